// Sharded checkpoints: each process writes one data shard, process 0 the index; any number of processes
// restores them; missing or foreign shards are named and change nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "cairn/cairn.h"
#include "cairn/distributed.h"
#include "cairn/tensor_bundle.h"
#include "expect_error.h"
#include "mpi_environment.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using testing::SharedTempDir;

std::shared_ptr<Sequential> trained_model(uint64_t seed, int steps, const MultiWorkerMirroredStrategy& strategy) {
  set_random_seed(seed);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_dense(32, {.activation = "relu"}), make_dense(3, {.activation = "softmax"})}, Shape{4});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  const LabeledData iris = load_iris();
  if (steps > 0)
    model->fit(iris.x, iris.y, {.batch_size = 24, .verbose = 0, .steps_per_epoch = steps, .seed = 2,
                                .replica_context = strategy.replica_context()});
  return model;
}

Checkpoint checkpoint_of(const std::shared_ptr<Sequential>& model) {
  model->optimizer().build(model->trainable_weights());
  return Checkpoint({{"model", model}, {"optimizer", model->optimizer_ptr()}});
}

std::map<std::string, std::string> value_bytes(const Checkpoint& checkpoint) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : checkpoint.values())
    out[key] = std::string(static_cast<const char*>(value.raw_data()), value.nbytes());
  return out;
}

TEST(ShardedCheckpoint, EachProcessWritesOneShardAndAnyNumberRestores) {
  MultiWorkerMirroredStrategy strategy;
  Communicator& world = strategy.communicator();
  SharedTempDir dir(world);
  auto model = trained_model(1, 5, strategy);
  Checkpoint checkpoint = checkpoint_of(model);
  const std::string path = save_sharded(checkpoint, dir / "ckpt");
  EXPECT_EQ(path, dir / "ckpt-1");
  EXPECT_EQ(latest_checkpoint(dir / ""), path);

  // Every value once, in the shard the index names, and the shards balanced by bytes: no shard holds
  // more than the lightest one plus the largest value.
  BundleReader reader(Env::Default(), path);
  const int shards = world.size();
  std::vector<uint64_t> bytes(static_cast<size_t>(shards));
  uint64_t largest = 0;
  for (const std::string& key : reader.keys()) {
    const BundleEntryInfo& info = reader.info(key);
    ASSERT_LT(info.shard_id, shards) << key;
    bytes[static_cast<size_t>(info.shard_id)] += info.size;
    largest = std::max(largest, info.size);
  }
  EXPECT_EQ(reader.keys().size(), checkpoint.values().size() + 1);  // and the object graph
  for (int k = 0; k < shards; ++k) {
    EXPECT_EQ(std::filesystem::file_size(bundle_data_path(path, k, shards)), bytes[static_cast<size_t>(k)]);
    EXPECT_LE(bytes[static_cast<size_t>(k)], *std::min_element(bytes.begin(), bytes.end()) + largest);
  }

  // Restored by every process, and by process 0 alone: the same bytes as the trained model's.
  const auto expected = value_bytes(checkpoint);
  for (bool alone : {false, true}) {
    if (alone && world.rank() != 0) continue;
    auto fresh = trained_model(99, 0, strategy);
    Checkpoint restored = checkpoint_of(fresh);
    restored.restore(path).assert_consumed();
    EXPECT_TRUE(value_bytes(restored) == expected) << (alone ? "process 0 alone" : "every process");
  }
}

TEST(ShardedCheckpoint, AMissingShardIsNamedAndChangesNothing) {
  MultiWorkerMirroredStrategy strategy;
  Communicator& world = strategy.communicator();
  SharedTempDir dir(world);
  auto model = trained_model(1, 3, strategy);
  Checkpoint checkpoint = checkpoint_of(model);
  const std::string path = save_sharded(checkpoint, dir / "ckpt");
  const std::string missing = bundle_data_path(path, world.size() - 1, world.size());
  world.barrier();
  if (world.rank() == 0) std::filesystem::remove(missing);
  world.barrier();
  auto fresh = trained_model(99, 0, strategy);
  Checkpoint target = checkpoint_of(fresh);
  const auto before = value_bytes(target);
  testing::expect_error_mentioning<IOError>([&] { target.restore(path); }, {missing});
  EXPECT_TRUE(value_bytes(target) == before) << "the failed restore changed values";
}

TEST(ShardedCheckpoint, AShardOfAnotherCheckpointIsNamedAndChangesNothing) {
  MultiWorkerMirroredStrategy strategy;
  Communicator& world = strategy.communicator();
  SharedTempDir dir(world);
  auto model = trained_model(1, 3, strategy);
  Checkpoint checkpoint = checkpoint_of(model);
  const std::string first = save_sharded(checkpoint, dir / "ckpt");
  model->fit(load_iris().x, load_iris().y, {.batch_size = 24, .verbose = 0, .steps_per_epoch = 2,
                                            .replica_context = strategy.replica_context()});
  const std::string second = save_sharded(checkpoint, dir / "ckpt");
  // The shard with the first kernel, which training changed (a shard of unchanged values would be right).
  const int shard = BundleReader(Env::Default(), second).info("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE").shard_id;
  const std::string foreign = bundle_data_path(second, shard, world.size());
  world.barrier();
  if (world.rank() == 0)
    std::filesystem::copy_file(bundle_data_path(first, shard, world.size()), foreign,
                               std::filesystem::copy_options::overwrite_existing);
  world.barrier();
  auto fresh = trained_model(99, 0, strategy);
  Checkpoint target = checkpoint_of(fresh);
  const auto before = value_bytes(target);
  testing::expect_error_mentioning<FormatError>([&] { target.restore(second); }, {foreign});
  EXPECT_TRUE(value_bytes(target) == before) << "the failed restore changed values";
}

TEST(ShardedCheckpoint, AFailedSaveLeavesThePreviousCheckpointTheLatest) {
  MultiWorkerMirroredStrategy strategy;
  Communicator& world = strategy.communicator();
  SharedTempDir dir(world);
  auto model = trained_model(1, 3, strategy);
  Checkpoint checkpoint = checkpoint_of(model);
  const std::string first = save_sharded(checkpoint, dir / "ckpt");
  // The last process cannot put its shard in place: a directory stands where it would go.
  const std::string blocked = bundle_data_path(dir / "ckpt-2", world.size() - 1, world.size());
  world.barrier();
  if (world.rank() == world.size() - 1) std::filesystem::create_directory(blocked);
  world.barrier();
  EXPECT_THROW(save_sharded(checkpoint, dir / "ckpt"), Error);
  EXPECT_EQ(latest_checkpoint(dir / ""), first);
  EXPECT_FALSE(bundle_exists(Env::Default(), dir / "ckpt-2"));
  for (int k = 0; k < world.size() - 1; ++k)
    EXPECT_FALSE(std::filesystem::exists(bundle_data_path(dir / "ckpt-2", k, world.size()))) << k;
  EXPECT_EQ(checkpoint.save_counter()->value().item(), 1);
  world.barrier();
  if (world.rank() == world.size() - 1) std::filesystem::remove(blocked);
  world.barrier();
}

}  // namespace
}  // namespace cairn
