# `cmake --install`: the `cctv` command, libcctv, its headers, and a CMake
# package so that another project can find_package(cctv) and link cctv::cctv.
include(CMakePackageConfigHelpers)

install(TARGETS cctv EXPORT cctvTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS cctv_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/cctv DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(CCTV_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cctv)
install(EXPORT cctvTargets NAMESPACE cctv:: DESTINATION ${CCTV_CMAKE_DIR})
configure_package_config_file(cmake/cctvConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cctvConfig.cmake INSTALL_DESTINATION ${CCTV_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cctvConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cctvConfig.cmake ${PROJECT_BINARY_DIR}/cctvConfigVersion.cmake
  DESTINATION ${CCTV_CMAKE_DIR})
