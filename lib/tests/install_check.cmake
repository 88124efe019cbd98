# Installs the built library into a scratch prefix, then configures, builds and runs a consumer
# project against it with find_package(socklab). Run by CTest with -P.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
foreach(f include/socklab/socklab.hpp lib/cmake/socklab/socklabConfig.cmake share/doc/socklab/LICENSE)
  if(NOT EXISTS ${WORK_DIR}/prefix/${f})
    message(FATAL_ERROR "install did not put ${f} in place")
  endif()
endforeach()
# Sockets alone with nlohmann/json hidden from find_package (a consumer must not need it), then
# the json component.
foreach(variant sockets json)
  if(variant STREQUAL "sockets")
    set(flags -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=TRUE)
  else()
    set(flags -DWITH_JSON=ON)
  endif()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/lib/tests/consumer -B ${WORK_DIR}/build-${variant} -G ${GENERATOR}
      ${flags} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_EXTENSIONS=ON -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
      "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build-${variant})
  run(${WORK_DIR}/build-${variant}/consumer)
endforeach()
message(STATUS "both consumers built and ran against the installed socklab")
