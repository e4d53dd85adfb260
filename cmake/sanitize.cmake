# Sanitizer instrumentation, per target (never through global flags), for
# SCOPEGATE_SANITIZE and for the fuzz targets. `sanitizers` is a list for
# -fsanitize=, e.g. `address,undefined`, `thread` or `fuzzer,address,undefined`.

# Instruments one target. Every finding stops the program: a sanitizer report
# that only prints lets ctest pass.
function(scopegate_sanitize target sanitizers)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()  # header-only: its consumers are compiled with the flags
  endif()
  target_compile_options(${target} PRIVATE
    -fsanitize=${sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer -g1)
  target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
endfunction()

# The build targets of `dir` and of every directory below it.
function(_scopegate_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _scopegate_targets_below(${sub} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# Instruments every target of the project; call once, after the last
# add_subdirectory. Test drivers that are scripts run instrumented binaries.
function(scopegate_sanitize_all sanitizers)
  _scopegate_targets_below(${PROJECT_SOURCE_DIR} targets)
  foreach(target IN LISTS targets)
    scopegate_sanitize(${target} ${sanitizers})
  endforeach()
endfunction()
