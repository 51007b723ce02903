# One static library per module under src/, so that a module and its tests build alone.
# cairn_module(NAME DEPS dep1 dep2 ...) compiles every .cc in src/NAME into cairn_NAME.
function(cairn_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cc)
  if(sources)
    add_library(cairn_${name} STATIC ${sources})
    target_include_directories(cairn_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(cairn_${name} PUBLIC ${ARG_DEPS})
  else()  # a module whose sources are not written yet
    add_library(cairn_${name} INTERFACE)
    target_include_directories(cairn_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(cairn_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# cairn_test(MODULE) builds every tests/MODULE/*_test.cc into one gtest binary test_MODULE.
function(cairn_test module)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(test_${module} ${sources})
  target_include_directories(test_${module} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(test_${module} PRIVATE cairn_${module} ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(test_${module} PRIVATE
    CAIRN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CAIRN_SHARED_DIR="${PROJECT_SOURCE_DIR}/tests")
  gtest_discover_tests(test_${module} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${module})
endfunction()
