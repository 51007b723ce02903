// A checkpoint's .index file as a LevelDB table (blocks, restarts, handles, footer, checksums).
#include "checkpoint/table.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(table) {
  cairn::fuzz::expect_only_cairn_errors(
      [&] { cairn::table::read_table(cairn::fuzz::as_text(data, size), "fuzz.index"); });
}
