// What every fuzz target includes. A target is written as
//
//   CAIRN_FUZZ_TARGET(npy) { cairn::fuzz::expect_only_cairn_errors([&] { decode_npy({data, size}, "x"); }); }
//
// Built for libFuzzer (CAIRN_LIBFUZZER defined) the body is LLVMFuzzerTestOneInput. In the normal build
// every target registers under its name instead, so that one program (regression_main.cc) runs the saved
// reproducers of all targets through the same code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "cairn/error.h"

namespace cairn::fuzz {

using TargetFunction = void (*)(const uint8_t* data, size_t size);

// The targets linked into the regression runner, by name.
std::map<std::string, TargetFunction>& registered_targets();
bool register_target(const char* name, TargetFunction function);

// A cairn::Error is how a parser answers bad input, so it is the normal result here. Anything else (a
// standard exception, a crash, a sanitizer report) escapes and is what the fuzzer reports.
template <class Function>
void expect_only_cairn_errors(Function&& function) {
  try {
    function();
  } catch (const cairn::Error&) {
  }
}

}  // namespace cairn::fuzz

#ifdef CAIRN_LIBFUZZER
#define CAIRN_FUZZ_TARGET(name)                                                      \
  static void fuzz_one_input(const uint8_t* data, size_t size);                     \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {         \
    fuzz_one_input(data, size);                                                      \
    return 0;                                                                        \
  }                                                                                  \
  static void fuzz_one_input(const uint8_t* data, size_t size)
#else
#define CAIRN_FUZZ_TARGET(name)                                                      \
  static void fuzz_one_input(const uint8_t* data, size_t size);                     \
  [[maybe_unused]] static const bool registered_##name =                            \
      ::cairn::fuzz::register_target(#name, fuzz_one_input);                         \
  static void fuzz_one_input(const uint8_t* data, size_t size)
#endif
