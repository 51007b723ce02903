# One static library per module under src/, so that a module and its tests build alone, and one library
# for users, libcairn (static, or shared with BUILD_SHARED_LIBS), made of every module's objects.
#
# cairn_module(NAME DEPS dep1 dep2 ...) compiles every .cc in src/NAME once, into the object library
# cairn_NAME_objects (set a module's private compile settings on that target), and archives them as
# cairn_NAME for the module's tests. DEPS are the modules below it and the external libraries it uses.
# A module's sources see include/ and their own folder only: its private headers are included by bare
# name ("table.h"), and another module's private header does not compile (what a module offers the
# modules above it is in include/cairn, the internal part in include/cairn/internal/<module>/).
function(cairn_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cc)
  add_library(cairn_${name}_objects OBJECT ${sources})
  target_include_directories(cairn_${name}_objects PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  # -iquote: the folder serves "..." includes only, so that keras_io's "hdf5.h" does not hide <hdf5.h>.
  target_compile_options(cairn_${name}_objects PRIVATE "SHELL:-iquote ${CMAKE_CURRENT_SOURCE_DIR}/${name}")
  target_compile_features(cairn_${name}_objects PUBLIC cxx_std_20)
  target_link_libraries(cairn_${name}_objects PUBLIC ${ARG_DEPS})
  add_library(cairn_${name} STATIC)
  target_link_libraries(cairn_${name} PUBLIC cairn_${name}_objects)
  set_property(GLOBAL APPEND PROPERTY CAIRN_MODULES ${name})
  set_property(GLOBAL PROPERTY CAIRN_MODULE_DEPS_${name} ${ARG_DEPS})
  foreach(dep ${ARG_DEPS})
    if(NOT dep MATCHES "^cairn_[a-z_]+$")  # external: libcairn links it too
      set_property(GLOBAL APPEND PROPERTY CAIRN_EXTERNAL_DEPS ${dep})
    endif()
  endforeach()
endfunction()

# cairn_test(MODULE) builds every tests/MODULE/*_test.cc into one gtest binary test_MODULE. Tests see
# all of src/ (a module's tests use its private headers) and the modules' private generated protos.
function(cairn_test module)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(test_${module} ${sources})
  get_property(generated_dirs GLOBAL PROPERTY CAIRN_PRIVATE_GENERATED_DIRS)
  target_include_directories(test_${module} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests ${generated_dirs})
  target_link_libraries(test_${module} PRIVATE cairn_${module} ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(test_${module} PRIVATE
    CAIRN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CAIRN_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures")
  gtest_discover_tests(test_${module} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${module})
endfunction()

# Writes FILE, one line per module in declaration order: "name: the modules it depends on directly".
# tests/layering checks it against the graph drawn in docs/design.md and checks every include against it.
function(cairn_write_module_graph file)
  get_property(modules GLOBAL PROPERTY CAIRN_MODULES)
  set(text "")
  foreach(module ${modules})
    get_property(deps GLOBAL PROPERTY CAIRN_MODULE_DEPS_${module})
    set(module_deps "")
    foreach(dep ${deps})
      if(dep MATCHES "^cairn_([a-z_]+)$")
        list(APPEND module_deps ${CMAKE_MATCH_1})
      endif()
    endforeach()
    list(JOIN module_deps " " joined)
    string(APPEND text "${module}: ${joined}\n")
  endforeach()
  file(WRITE ${file} "${text}")
endfunction()
