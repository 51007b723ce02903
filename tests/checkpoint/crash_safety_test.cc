// A checkpoint save that fails or is cut short by a crash must never damage another checkpoint and
// never leave a visible partial one.
#include <gtest/gtest.h>

#include <algorithm>

#include "cairn/tensor_bundle.h"
#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::TempDir;

Tensor kernel_of(int version) {
  Tensor t({3, 4}, DType::Float32);
  for (int i = 0; i < 12; ++i) t.data<float>()[i] = static_cast<float>(version * 100 + i);
  return t;
}

Tensor big_of(int version) {
  Tensor t({50000}, DType::Float32);  // several write buffers' worth
  for (int i = 0; i < 50000; ++i) t.data<float>()[i] = static_cast<float>(version + i);
  return t;
}

void save(Env& env, const std::string& prefix, int version) {
  BundleWriter writer(env, prefix);
  writer.add("dense/kernel", kernel_of(version));
  writer.add("big", big_of(version));
  writer.add("iter", Tensor::scalar(version, DType::Int64));
  writer.add_string("_CHECKPOINTABLE_OBJECT_GRAPH", "graph of version " + std::to_string(version));
  writer.finish();
}

// The checkpoint at prefix is exactly version `version`, all checksums verified.
void expect_checkpoint(const std::string& prefix, int version, const std::string& context) {
  SCOPED_TRACE(context);
  BundleReader reader(Env::Default(), prefix);
  ASSERT_EQ(reader.keys(), (std::vector<std::string>{"_CHECKPOINTABLE_OBJECT_GRAPH", "big", "dense/kernel", "iter"}));
  EXPECT_TRUE(equal_bytes(reader.read("dense/kernel"), kernel_of(version)));
  EXPECT_TRUE(equal_bytes(reader.read("big"), big_of(version)));
  EXPECT_EQ(reader.read("iter").item(), version);
  EXPECT_EQ(reader.read_string("_CHECKPOINTABLE_OBJECT_GRAPH"), "graph of version " + std::to_string(version));
}

std::vector<std::string> listing(const std::string& dir) {
  auto names = Env::Default().list_dir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void clear_dir(const std::string& dir) {
  for (const std::string& name : Env::Default().list_dir(dir)) Env::Default().remove_file(dir + "/" + name);
}

int operations_of_save(const std::string& prefix, int version) {
  FaultInjectionEnv env(Env::Default());
  save(env, prefix, version);
  return env.operation_count();
}

TEST(CrashSafety, CrashAfterFinishKeepsTheCheckpoint) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  save(env, dir / "ckpt-1", 1);
  env.drop_unsynced_data();
  expect_checkpoint(dir / "ckpt-1", 1, "after crash");
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"ckpt-1.data-00000-of-00001", "ckpt-1.index"}));
}

TEST(CrashSafety, CrashDuringSaveLeavesNoCheckpoint) {
  TempDir dir;
  save(Env::Default(), dir / "ckpt-1", 1);
  FaultInjectionEnv env(Env::Default());
  {
    BundleWriter writer(env, dir / "ckpt-2");
    writer.add("dense/kernel", kernel_of(2));
    writer.add("big", big_of(2));
    env.drop_unsynced_data();
  }  // the writer's cleanup runs on the rebooted disk
  EXPECT_FALSE(bundle_exists(Env::Default(), dir / "ckpt-2"));
  expect_checkpoint(dir / "ckpt-1", 1, "after crash");
}

TEST(CrashSafety, FailureAtEveryOperationLeavesOtherCheckpointsAloneAndNoPartialOne) {
  TempDir dir;
  save(Env::Default(), dir / "ckpt-1", 1);
  TempDir scratch;
  const int operations = operations_of_save(scratch / "probe", 2);
  ASSERT_GE(operations, 15);
  const std::vector<std::string> only_first = {"ckpt-1.data-00000-of-00001", "ckpt-1.index"};

  for (int n = 1; n <= operations; ++n) {
    for (bool short_write : {false, true}) {
      std::string context = "fault at operation " + std::to_string(n) + (short_write ? " (short write)" : "");
      FaultInjectionEnv env(Env::Default());
      env.fail_nth(n, std::nullopt, short_write ? ENOSPC : EIO, short_write);
      EXPECT_THROW(save(env, dir / "ckpt-2", 2), IOError) << context;
      EXPECT_TRUE(env.fault_fired()) << context;
      EXPECT_FALSE(bundle_exists(env, dir / "ckpt-2")) << context;
      EXPECT_EQ(listing(dir.path()), only_first) << context;  // temporary files were removed
      expect_checkpoint(dir / "ckpt-1", 1, context);

      env.drop_unsynced_data();
      EXPECT_FALSE(bundle_exists(env, dir / "ckpt-2")) << context << ", after crash";
      expect_checkpoint(dir / "ckpt-1", 1, context + ", after crash");
      remove_bundle(Env::Default(), dir / "ckpt-2");  // temporary files a crash brought back
      ASSERT_EQ(listing(dir.path()), only_first) << context;
    }
  }
}

TEST(CrashSafety, FailedOverwriteLeavesTheOldVersionOrNothingNeverAMix) {
  TempDir dir;
  std::string prefix = dir / "ckpt";
  save(Env::Default(), prefix, 1);
  const int operations = operations_of_save(prefix, 2);  // includes removing the old index
  clear_dir(dir.path());
  int old_version_kept = 0;

  for (int n = 1; n <= operations; ++n) {
    std::string context = "fault at operation " + std::to_string(n);
    FaultInjectionEnv env(Env::Default());
    save(env, prefix, 1);  // durable: finish() syncs everything
    env.fail_nth(n);
    EXPECT_THROW(save(env, prefix, 2), IOError) << context;
    if (bundle_exists(env, prefix)) {
      expect_checkpoint(prefix, 1, context);
      ++old_version_kept;
    }
    env.drop_unsynced_data();
    if (bundle_exists(env, prefix)) expect_checkpoint(prefix, 1, context + ", after crash");
    clear_dir(dir.path());
  }
  // Failures before finish() starts replacing the old checkpoint keep it.
  EXPECT_GT(old_version_kept, operations / 2);
}

TEST(CrashSafety, CrashAfterAnOverwriteKeepsTheNewVersion) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  save(env, dir / "ckpt", 1);
  save(env, dir / "ckpt", 2);
  env.drop_unsynced_data();
  expect_checkpoint(dir / "ckpt", 2, "after crash");
}

}  // namespace
}  // namespace cairn
