// A zip archive (end of central directory, Zip64, central and local headers, inflate, CRC-32).
#include "cairn/zip.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(zip) {
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::parse_zip({data, size}, "fuzz.zip"); });
}
