# Helpers so that each folder's CMakeLists.txt reads like a BUILD file.

# Warnings apply to project code only, never to generated code.
set(HUB_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Werror=unused-result)

# hub_cc_library(NAME n HDRS ... SRCS ... DEPS ... PRIVATE_DEPS ...) -> hub_n, alias hub::n
function(hub_cc_library)
  cmake_parse_arguments(A "" "NAME" "HDRS;SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(A_SRCS)
    add_library(hub_${A_NAME} STATIC ${A_SRCS} ${A_HDRS})
    target_include_directories(hub_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(hub_${A_NAME} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
    target_compile_options(hub_${A_NAME} PRIVATE ${HUB_WARNINGS})
  else()
    add_library(hub_${A_NAME} INTERFACE ${A_HDRS})
    target_include_directories(hub_${A_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(hub_${A_NAME} INTERFACE ${A_DEPS})
  endif()
  add_library(hub::${A_NAME} ALIAS hub_${A_NAME})
endfunction()

# hub_cc_binary(NAME n SRCS ... DEPS ...)
function(hub_cc_binary)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  target_compile_options(${A_NAME} PRIVATE ${HUB_WARNINGS})
endfunction()

# hub_cc_test(NAME n SRCS ... DEPS ... [PROPERTIES ...]): one executable per suite, every
# case listed in ctest.
function(hub_cc_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} hub::testing GTest::gmock GTest::gtest_main)
  target_compile_options(${A_NAME} PRIVATE ${HUB_WARNINGS})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  gtest_discover_tests(${A_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${A_TIMEOUT})
endfunction()

# hub_proto_library(NAME n PROTOS ... [GRPC] DEPS ...): generates into the build tree.
function(hub_proto_library)
  cmake_parse_arguments(A "GRPC" "NAME" "PROTOS;DEPS" ${ARGN})
  set(gen_dir ${CMAKE_BINARY_DIR}/proto_gen)
  file(MAKE_DIRECTORY ${gen_dir})
  add_library(hub_${A_NAME} STATIC ${A_PROTOS})
  target_include_directories(hub_${A_NAME} PUBLIC ${gen_dir})
  target_link_libraries(hub_${A_NAME} PUBLIC protobuf::libprotobuf ${A_DEPS})
  protobuf_generate(TARGET hub_${A_NAME} LANGUAGE cpp
                    IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto PROTOC_OUT_DIR ${gen_dir})
  if(A_GRPC)
    target_link_libraries(hub_${A_NAME} PUBLIC gRPC::grpc++)
    protobuf_generate(TARGET hub_${A_NAME} LANGUAGE grpc
                      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                      PLUGIN protoc-gen-grpc=${GRPC_CPP_PLUGIN}
                      IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto PROTOC_OUT_DIR ${gen_dir})
  endif()
  add_library(hub::${A_NAME} ALIAS hub_${A_NAME})
endfunction()
