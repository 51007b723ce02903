// Sharded checkpoints: each process writes one data shard, process 0 the index; any number of processes
// restores them; missing or foreign shards are named and change nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
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

std::map<std::string, std::string> value_bytes(const Checkpoint& checkpoint) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : checkpoint.values())
    out[key] = std::string(static_cast<const char*>(value.raw_data()), value.nbytes());
  return out;
}

// Every test runs on every process of the job, in one directory that all of them share.
class ShardedCheckpoint : public ::testing::Test {
 protected:
  std::shared_ptr<Sequential> trained_model(uint64_t seed, int steps) {
    set_random_seed(seed);
    auto model = std::make_shared<Sequential>(
        std::vector<LayerPtr>{make_dense(32, {.activation = "relu"}), make_dense(3, {.activation = "softmax"})}, Shape{4});
    model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    if (steps > 0) train(*model, steps);
    return model;
  }
  void train(Model& model, int steps) {
    const LabeledData iris = load_iris();
    model.fit(iris.x, iris.y, {.batch_size = 24, .verbose = 0, .steps_per_epoch = steps, .seed = 2,
                               .replica_context = strategy.replica_context()});
  }
  static Checkpoint checkpoint_of(const std::shared_ptr<Sequential>& model) {
    model->optimizer().build(model->trainable_weights());
    return Checkpoint({{"model", model}, {"optimizer", model->optimizer_ptr()}});
  }
  // `change` to the shared files by one process, while the others wait.
  void on_process(int rank, const std::function<void()>& change) {
    world.barrier();
    if (world.rank() == rank) change();
    world.barrier();
  }
  // Restoring `path` into an untrained model throws E naming `named` and changes no value.
  template <class E>
  void expect_failed_restore(const std::string& path, const std::string& named) {
    Checkpoint target = checkpoint_of(trained_model(99, 0));
    const auto before = value_bytes(target);
    testing::expect_error_mentioning<E>([&] { target.restore(path); }, {named});
    EXPECT_TRUE(value_bytes(target) == before) << "the failed restore changed values";
  }

  MultiWorkerMirroredStrategy strategy;
  Communicator& world = strategy.communicator();
  SharedTempDir dir{world};
};

TEST_F(ShardedCheckpoint, EachProcessWritesOneShardAndAnyNumberRestores) {
  auto model = trained_model(1, 5);
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
    Checkpoint restored = checkpoint_of(trained_model(99, 0));
    restored.restore(path).assert_consumed();
    EXPECT_TRUE(value_bytes(restored) == expected) << (alone ? "process 0 alone" : "every process");
  }
}

TEST_F(ShardedCheckpoint, AMissingShardIsNamedAndChangesNothing) {
  Checkpoint checkpoint = checkpoint_of(trained_model(1, 3));
  const std::string path = save_sharded(checkpoint, dir / "ckpt");
  const std::string missing = bundle_data_path(path, world.size() - 1, world.size());
  on_process(0, [&] { std::filesystem::remove(missing); });
  expect_failed_restore<IOError>(path, missing);
}

TEST_F(ShardedCheckpoint, AShardOfAnotherCheckpointIsNamedAndChangesNothing) {
  auto model = trained_model(1, 3);
  Checkpoint checkpoint = checkpoint_of(model);
  const std::string first = save_sharded(checkpoint, dir / "ckpt");
  train(*model, 2);
  const std::string second = save_sharded(checkpoint, dir / "ckpt");
  // The shard with the first kernel, which training changed (a shard of unchanged values would be right).
  const int shard = BundleReader(Env::Default(), second).info("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE").shard_id;
  const std::string foreign = bundle_data_path(second, shard, world.size());
  on_process(0, [&] {
    std::filesystem::copy_file(bundle_data_path(first, shard, world.size()), foreign,
                               std::filesystem::copy_options::overwrite_existing);
  });
  expect_failed_restore<FormatError>(second, foreign);
}

TEST_F(ShardedCheckpoint, AFailedSaveLeavesThePreviousCheckpointTheLatest) {
  Checkpoint checkpoint = checkpoint_of(trained_model(1, 3));
  const std::string first = save_sharded(checkpoint, dir / "ckpt");
  // The last process cannot put its shard in place: a directory stands where it would go.
  const std::string blocked = bundle_data_path(dir / "ckpt-2", world.size() - 1, world.size());
  const int last = world.size() - 1;
  on_process(last, [&] { std::filesystem::create_directory(blocked); });
  EXPECT_THROW(save_sharded(checkpoint, dir / "ckpt"), Error);
  EXPECT_EQ(latest_checkpoint(dir / ""), first);
  EXPECT_FALSE(bundle_exists(Env::Default(), dir / "ckpt-2"));
  for (int k = 0; k < last; ++k)
    EXPECT_FALSE(std::filesystem::exists(bundle_data_path(dir / "ckpt-2", k, world.size()))) << k;
  EXPECT_EQ(checkpoint.save_counter()->value().item(), 1);
  on_process(last, [&] { std::filesystem::remove(blocked); });
}

}  // namespace
}  // namespace cairn
