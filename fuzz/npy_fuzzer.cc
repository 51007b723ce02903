// A NumPy .npy array (magic, version, header dict, data).
#include "cairn/npy.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(npy) {
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::decode_npy({data, size}, "fuzz.npy"); });
}
