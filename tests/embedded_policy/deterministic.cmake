# Generates the Comwit header twice, from the policy file and from a copy of it
# in another directory, and compares both with the header the build generated:
# the same input gives the same bytes. Then the exit statuses of a policy with
# errors (1) and of a namespace that is not one (2), neither writing a header.
#   cmake -DPOLICY_CHECK=... -DPOLICY=... -DBUILT=... -DWORK=... -DNAMESPACE=... -P deterministic.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/copy)
get_filename_component(name ${POLICY} NAME)
file(COPY ${POLICY} DESTINATION ${WORK}/copy)
foreach(run IN ITEMS first:${POLICY} second:${WORK}/copy/${name})
  string(REPLACE ":" ";" parts ${run})
  list(GET parts 0 tag)
  list(GET parts 1 source)
  execute_process(COMMAND ${POLICY_CHECK} compile ${source} --emit-cpp ${WORK}/${tag}.hpp --namespace ${NAMESPACE}
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "policy-check compile ${source} exited ${status}")
  endif()
endforeach()
foreach(other IN ITEMS ${WORK}/second.hpp ${BUILT})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/first.hpp ${other} RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "${WORK}/first.hpp and ${other} differ")
  endif()
endforeach()
message(STATUS "three generations of ${name}, the same bytes")

file(WRITE ${WORK}/broken.yaml "scopegate: 1\nname: broken\nroutes:\n  - {method: GET, path: /a, scope: nope}\n")
foreach(run IN ITEMS 1:${WORK}/broken.yaml:ns 2:${POLICY}:1ns)
  string(REPLACE ":" ";" parts ${run})
  list(GET parts 0 want)
  list(GET parts 1 source)
  list(GET parts 2 ns)
  execute_process(COMMAND ${POLICY_CHECK} compile ${source} --emit-cpp ${WORK}/refused.hpp --namespace ${ns}
                  RESULT_VARIABLE status ERROR_VARIABLE stderr)
  if(NOT status EQUAL want OR EXISTS ${WORK}/refused.hpp)
    message(FATAL_ERROR "policy-check compile ${source} --namespace ${ns}: exit ${status}, want ${want}: ${stderr}")
  endif()
endforeach()
message(STATUS "a policy with errors exits 1, a bad namespace 2, and neither writes a header")
