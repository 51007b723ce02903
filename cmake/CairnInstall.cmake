# Installation: libcairn, the public headers, a CMake package (find_package(cairn CONFIG) then
# cairn::cairn), a pkg-config file, the data sets that ship with cairn, the command-line tool; and a
# Debian package of all of it (cpack -G DEB).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CAIRN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cairn)
install(TARGETS cairn EXPORT cairnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# include/cairn/internal holds what modules offer the modules above them only; no public header includes it.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/cairn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} PATTERN internal EXCLUDE)
install(EXPORT cairnTargets NAMESPACE cairn:: DESTINATION ${CAIRN_CMAKE_DIR})
if(BUILD_SHARED_LIBS)
  set(CAIRN_STATIC_LIBRARY FALSE)
else()
  set(CAIRN_STATIC_LIBRARY TRUE)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cairnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cairnConfig.cmake INSTALL_DESTINATION ${CAIRN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cairnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cairnConfig.cmake ${PROJECT_BINARY_DIR}/cairnConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/CairnDependencies.cmake DESTINATION ${CAIRN_CMAKE_DIR})

# pkg-config: a static libcairn brings its dependencies into Libs and Requires, so that a plain
# `pkg-config --libs cairn` links; a shared one keeps them private.
if(BUILD_SHARED_LIBS)
  set(CAIRN_PC_REQUIRES "nlohmann_json")
  set(CAIRN_PC_REQUIRES_PRIVATE "openblas hdf5 protobuf libpng zlib snappy")
  set(CAIRN_PC_LIBS "-lcairn")
  set(CAIRN_PC_LIBS_PRIVATE "-ldnnl -fopenmp -pthread")
else()
  set(CAIRN_PC_REQUIRES "nlohmann_json openblas hdf5 protobuf libpng zlib snappy")
  set(CAIRN_PC_REQUIRES_PRIVATE "")
  set(CAIRN_PC_LIBS "-lcairn -ldnnl -fopenmp -pthread")
  set(CAIRN_PC_LIBS_PRIVATE "")
endif()
if(CAIRN_WITH_MPI)  # the distributed module links MPI (mpi-cxx.pc: Debian's MPI of choice)
  if(BUILD_SHARED_LIBS)
    string(APPEND CAIRN_PC_REQUIRES_PRIVATE " mpi-cxx")
  else()
    string(APPEND CAIRN_PC_REQUIRES " mpi-cxx")
  endif()
endif()
# Relative to the file's own folder, so that an installed tree can move (a package unpacked elsewhere).
file(RELATIVE_PATH CAIRN_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/cairn.pc.in ${PROJECT_BINARY_DIR}/cairn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cairn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/data/iris.csv ${PROJECT_SOURCE_DIR}/data/iris_training.csv
  ${PROJECT_SOURCE_DIR}/data/iris_test.csv DESTINATION ${CMAKE_INSTALL_DATADIR}/cairn)
if(TARGET cairn-cli)
  install(TARGETS cairn-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(CPACK_PACKAGE_NAME cairn)
set(CPACK_PACKAGE_VENDOR "the cairn developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "train neural networks whose progress is never lost (C++ library and CLI)")
set(CPACK_PACKAGE_CONTACT "cairn developers <cairn@localhost>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The package installs where the build was configured to (the library knows its data directory); configure
# with -DCMAKE_INSTALL_PREFIX=/usr for a package that follows Debian's layout.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The tool's shared libraries come from dpkg-shlibdeps; linking the static library needs the -dev packages.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libopenblas-dev, libdnnl-dev, libprotobuf-dev, zlib1g-dev, nlohmann-json3-dev, libhdf5-dev, libpng-dev, libsnappy-dev, pkg-config")
if(CAIRN_WITH_MPI)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi-dev")
endif()
include(CPack)
