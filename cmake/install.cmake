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

configure_file(${PROJECT_SOURCE_DIR}/cmake/scopegate.pc.in ${PROJECT_BINARY_DIR}/scopegate.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/scopegate-c.pc.in ${PROJECT_BINARY_DIR}/scopegate-c.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/scopegate.pc ${PROJECT_BINARY_DIR}/scopegate-c.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
