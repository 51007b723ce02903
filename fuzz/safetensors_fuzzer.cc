// A safetensors file (memory-mapped by SafetensorsFile, hence a real file): header, then every tensor.
#include "cairn/safetensors.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(safetensors) {
  const std::string path = cairn::fuzz::write_input_file(data, size, ".safetensors");
  cairn::fuzz::expect_only_cairn_errors([&] {
    cairn::SafetensorsFile file(path);
    for (const std::string& key : file.keys()) {
      file.raw_bytes(key);
      cairn::fuzz::expect_only_cairn_errors([&] { file.read(key); });
    }
  });
}
