// An IDX file (MNIST's format), raw or gzipped.
#include "cairn/data.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(idx) {
  const std::string path = cairn::fuzz::write_input_file(data, size, ".idx");
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::read_idx(path); });
}
