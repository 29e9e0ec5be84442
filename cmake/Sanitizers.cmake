# Instrumented builds for finding memory errors and undefined behaviour.
#
# CLEARBOUNCE_SANITIZE=ON  AddressSanitizer and UndefinedBehaviorSanitizer on
#                          every compile and link; undefined behaviour aborts
#                          instead of printing and going on, so a test fails.
#                          scripts/test.sh runs the unit and CLI tests in such
#                          a build (build-asan/).
# CLEARBOUNCE_FUZZ=ON      clang only: the same plus libFuzzer's coverage
#                          instrumentation, and the fuzz targets of tests/fuzz.
#                          tests/fuzz/run_fuzz.sh configures such a build.
option(CLEARBOUNCE_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(CLEARBOUNCE_FUZZ "Build the libFuzzer targets (clang only; implies CLEARBOUNCE_SANITIZE)" OFF)

if(CLEARBOUNCE_SANITIZE OR CLEARBOUNCE_FUZZ)
  set(CLEARBOUNCE_SANITIZER_FLAGS
      -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${CLEARBOUNCE_SANITIZER_FLAGS})
  add_link_options(${CLEARBOUNCE_SANITIZER_FLAGS})
endif()

if(CLEARBOUNCE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CLEARBOUNCE_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  # Coverage feedback for libFuzzer in every library; the fuzz programs
  # themselves link with -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_compile_options(-fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/cmake/sanitizer-ignore.txt)
endif()
