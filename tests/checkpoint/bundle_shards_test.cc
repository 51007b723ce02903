// Multi-shard checkpoints written by several BundleWriters (one per data shard) and one index.
#include <gtest/gtest.h>

#include <filesystem>

#include "cairn/error.h"
#include "cairn/tensor_bundle.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

TEST(BundleShards, ShardWritersAndOneIndexMakeACheckpoint) {
  testing::TempDir dir;
  const std::string prefix = dir / "ckpt";
  Env& env = Env::Default();
  Entries entries;
  const std::vector<std::vector<std::string>> keys_of_shard = {{"a", "d"}, {"b"}, {}};
  for (int shard = 0; shard < 3; ++shard) {
    BundleWriter writer(env, prefix, shard, 3);
    for (const std::string& key : keys_of_shard[static_cast<size_t>(shard)])
      writer.add(key, Tensor::from_vector<float>({2}, {static_cast<float>(key[0]), static_cast<float>(shard)}));
    if (shard == 1) writer.add_string("graph", "bytes");
    Entries mine = writer.finish_shard();
    entries.insert(entries.end(), mine.begin(), mine.end());
    // A shard alone is no checkpoint.
    EXPECT_TRUE(std::filesystem::exists(bundle_data_path(prefix, shard, 3)));
    EXPECT_FALSE(bundle_exists(env, prefix));
  }
  write_bundle_index(env, prefix, 3, entries);
  ASSERT_TRUE(bundle_exists(env, prefix));

  BundleReader reader(env, prefix);
  EXPECT_EQ(reader.keys(), (std::vector<std::string>{"a", "b", "d", "graph"}));
  EXPECT_EQ(reader.info("a").shard_id, 0);
  EXPECT_EQ(reader.info("d").shard_id, 0);
  EXPECT_EQ(reader.info("d").offset, 8u);
  EXPECT_EQ(reader.info("b").shard_id, 1);
  EXPECT_EQ(reader.read("d").span<float>()[0], static_cast<float>('d'));
  EXPECT_EQ(reader.read("b").span<float>()[1], 1.0f);
  EXPECT_EQ(reader.read_string("graph"), "bytes");
  EXPECT_EQ(std::filesystem::file_size(bundle_data_path(prefix, 2, 3)), 0u);

  remove_bundle(env, prefix);
  for (int shard = 0; shard < 3; ++shard) EXPECT_FALSE(std::filesystem::exists(bundle_data_path(prefix, shard, 3)));
}

TEST(BundleShards, TheIndexRefusesDuplicateKeysAndForeignShards) {
  testing::TempDir dir;
  Env& env = Env::Default();
  Entries entries;
  for (int shard = 0; shard < 2; ++shard) {
    BundleWriter writer(env, dir / "ckpt", shard, 2);
    writer.add("same", Tensor::from_vector<float>({1}, {1.0f}));
    Entries mine = writer.finish_shard();
    entries.insert(entries.end(), mine.begin(), mine.end());
  }
  EXPECT_THROW(write_bundle_index(env, dir / "ckpt", 2, entries), InvalidArgument);
  // An entry of shard 1 in an index of one shard.
  BundleWriter second(env, dir / "other", 1, 2);
  second.add("x", Tensor::from_vector<float>({1}, {1.0f}));
  Entries of_shard_one = second.finish_shard();
  EXPECT_THROW(write_bundle_index(env, dir / "other", 1, of_shard_one), InvalidArgument);
  EXPECT_FALSE(bundle_exists(env, dir / "ckpt"));
  EXPECT_FALSE(bundle_exists(env, dir / "other"));
}

TEST(BundleShards, AShardWriterEndsWithFinishShard) {
  testing::TempDir dir;
  BundleWriter writer(Env::Default(), dir / "ckpt", 0, 2);
  EXPECT_THROW(writer.finish(), InvalidArgument);
  EXPECT_THROW(BundleWriter(Env::Default(), dir / "ckpt", 2, 2), InvalidArgument);
}

}  // namespace
}  // namespace cairn
