// A whole TensorFlow checkpoint: the input is a 4-byte little-endian length n, then n bytes of the
// .index file, then the data shard. Every tensor is read, then the checkpoint is restored into a small
// model and optimizer, which parses the object graph and matches its keys, dtypes and shapes.
#include <cstring>

#include "cairn/checkpoint.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "cairn/optimizers.h"
#include "cairn/tensor_bundle.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

namespace {

constexpr const char* kPrefix = "ckpt";

void read_every_tensor(cairn::Env& env) {
  cairn::BundleReader reader(env, kPrefix);
  for (const std::string& key : reader.keys()) {
    cairn::fuzz::expect_only_cairn_errors([&] {
      if (reader.info(key).tf_dtype == cairn::kTfDtypeString)
        reader.read_strings(key);
      else
        reader.read(key);
    });
  }
}

void restore_into_model(cairn::Env& env) {
  auto model = std::make_shared<cairn::Sequential>(
      std::vector<cairn::LayerPtr>{std::make_shared<cairn::Dense>(3), std::make_shared<cairn::Dense>(2)},
      cairn::Shape{4});
  cairn::Checkpoint checkpoint({{"model", model}, {"optimizer", std::make_shared<cairn::Adam>()}}, env);
  checkpoint.restore(kPrefix);
}

}  // namespace

CAIRN_FUZZ_TARGET(bundle) {
  uint32_t index_size = 0;
  if (size < sizeof index_size) return;
  std::memcpy(&index_size, data, sizeof index_size);
  const std::string_view rest = cairn::fuzz::as_text(data + sizeof index_size, size - sizeof index_size);
  const std::string_view index = rest.substr(0, index_size);
  cairn::fuzz::MemoryEnv env;
  env.add_file(cairn::bundle_index_path(kPrefix), index);
  env.add_file(cairn::bundle_data_path(kPrefix), rest.substr(index.size()));
  cairn::fuzz::expect_only_cairn_errors([&] { read_every_tensor(env); });
  cairn::fuzz::expect_only_cairn_errors([&] { restore_into_model(env); });
}
