// A NumPy .npz archive: a zip (stored or deflated members) of .npy arrays.
#include "cairn/npy.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(npz) {
  const std::string path = cairn::fuzz::write_input_file(data, size, ".npz");
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::load_npz(path); });
}
