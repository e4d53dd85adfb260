# Installs headers, libraries, tools and a package config so that
# find_package(scopegate CONFIG) works for consumers.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/scopegate DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS scopegate scopegate_yaml scopegate_c EXPORT scopegateTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT scopegateTargets NAMESPACE scopegate:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scopegate)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/scopegateConfig.cmake.in
  ${PROJECT_BINARY_DIR}/scopegateConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scopegate)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/scopegateConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/scopegateConfig.cmake ${PROJECT_BINARY_DIR}/scopegateConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scopegate)

# The .pc files find the prefix from their own place, so that an install
# moved or made with `cmake --install --prefix` still points at itself.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" pc_up "${pc_up}")
  set(pc_prefix "\${pcfiledir}/${pc_up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/scopegate.pc.in ${PROJECT_BINARY_DIR}/scopegate.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/scopegate-c.pc.in ${PROJECT_BINARY_DIR}/scopegate-c.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/scopegate.pc ${PROJECT_BINARY_DIR}/scopegate-c.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
