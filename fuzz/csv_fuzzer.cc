// A numeric CSV file, read plainly and as a labelled file with a header (Iris's layout).
#include "cairn/data.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(csv) {
  const std::string path = cairn::fuzz::write_input_file(data, size, ".csv");
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::read_csv(path); });
  cairn::fuzz::expect_only_cairn_errors(
      [&] { cairn::read_csv(path, {.header = true, .label_column = -1, .label_dtype = cairn::DType::Int64}); });
}
