// save_npy and save_npz (what `cairn predict --output` and `cairn convert DST.npz` write with) replace
// their file through an Env. A crash at any write operation leaves the previous file or none, never a
// torn one.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "cairn/npy.h"
#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::NoSyncEnv;
using testing::TempDir;

Tensor counting_from(float start, int64_t n) {
  Tensor t({n}, DType::Float32);
  for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

std::vector<NamedTensor> arrays_of(float version) {
  // Large enough for several appends.
  return {{"kernel", counting_from(version, 70000)}, {"bias", counting_from(-version, 3)}};
}

void expect_arrays(const std::vector<NamedTensor>& got, float version) {
  const std::vector<NamedTensor> want = arrays_of(version);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name);
    EXPECT_TRUE(equal_bytes(got[i].tensor, want[i].tensor)) << want[i].name << " of version " << version;
  }
}

// Runs `save` through a FaultInjectionEnv failing its nth operation, for every n, then crashes and
// hands the directory's state to `check` (the path and whether the file exists).
template <class Save, class Check>
void crash_at_every_operation(const std::optional<float>& previous, Save save, Check check) {
  NoSyncEnv no_sync;
  int operations = 0;
  {
    TempDir dir;
    FaultInjectionEnv counting(no_sync);
    save(counting, dir / "out");
    operations = counting.operation_count();
  }
  ASSERT_GE(operations, 5);  // create, appends, sync, close, rename, sync of the directory
  for (int n = 1; n <= operations; ++n) {
    SCOPED_TRACE("crash at operation " + std::to_string(n) + " of " + std::to_string(operations));
    TempDir dir;
    const std::string path = dir / "out";
    if (previous) save(Env::Default(), path, *previous);
    FaultInjectionEnv env(no_sync);
    env.fail_nth(n, std::nullopt, ENOSPC, /*short_write=*/true);
    EXPECT_THROW(save(env, path, 2.0f), IOError);
    env.drop_unsynced_data();
    const std::vector<std::string> names = Env::Default().list_dir(dir.path());
    EXPECT_LE(names.size(), 1u) << "a temporary file was left";
    check(path, Env::Default().file_exists(path));
  }
}

TEST(AtomicSaveCrash, SaveNpzKeepsThePreviousArchiveOrWritesTheWholeNewOne) {
  auto save = [](Env& env, const std::string& path, float version = 2.0f) { save_npz(path, arrays_of(version), env); };
  crash_at_every_operation(1.0f, save, [](const std::string& path, bool exists) {
    ASSERT_TRUE(exists) << "the previous archive was lost";
    const std::vector<NamedTensor> arrays = load_npz(path);  // a torn archive is a FormatError
    ASSERT_FALSE(arrays.empty());
    const float version = arrays[1].tensor.data<float>()[0] == -1.0f ? 1.0f : 2.0f;
    expect_arrays(arrays, version);
  });
}

TEST(AtomicSaveCrash, SaveNpyLeavesNothingOrTheWholeArray) {
  auto save = [](Env& env, const std::string& path, float version = 2.0f) {
    save_npy(path, counting_from(version, 70000), env);
  };
  crash_at_every_operation(std::nullopt, save, [](const std::string& path, bool exists) {
    if (exists) EXPECT_TRUE(equal_bytes(load_npy(path), counting_from(2.0f, 70000)));
  });
}

}  // namespace
}  // namespace cairn
