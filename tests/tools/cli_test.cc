// Runs the built `cairn` binary (CAIRN_CLI) on real and written checkpoints, and unit-tests its
// argument parser.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "cairn/env.h"
#include "cairn/npy.h"
#include "cairn/tensor_bundle.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

const std::string kFixture = std::string(CAIRN_FIXTURES_DIR) + "/tf_checkpoint/variables";

using testing::CliResult;
using testing::lines;
using testing::read_text;
using testing::shell_quote;

class CliTest : public testing::CliFixture {
 protected:
  // Runs a python3 program on a file; returns its exit status (0 when its assertions hold).
  int python(const std::string& program, const std::string& file) const {
    std::string command = "python3 -c " + shell_quote(program) + " " + shell_quote(file);
    return WEXITSTATUS(std::system(command.c_str()));
  }

  // A checkpoint with a float kernel, an int64 step and a string, as BundleWriter writes it.
  std::string write_checkpoint(const std::string& name, float kernel_scale = 1.0f) const {
    std::string prefix = path(name);
    BundleWriter writer(Env::Default(), prefix);
    writer.add("dense/kernel",
               Tensor::from_vector<float>({2, 3}, {0.5f * kernel_scale, -1.25f, 3, 0, 1e-5f, -7}));
    writer.add("step", Tensor::from_vector<int64_t>({}, {7}));
    writer.add_string("_CHECKPOINTABLE_OBJECT_GRAPH", std::string("\x0a\x01\x00graph", 8));
    writer.finish();
    return prefix;
  }
};

TEST_F(CliTest, VersionAndHelpListTheCommands) {
  CliResult version = cairn({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out, "cairn 0.1.0\n");

  CliResult help = cairn({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const char* command : {"inspect", "verify", "diff"})
    EXPECT_NE(help.out.find("\n  " + std::string(command) + " "), std::string::npos) << command;

  CliResult inspect_help = cairn({"help", "inspect"});
  EXPECT_EQ(inspect_help.status, 0);
  EXPECT_TRUE(inspect_help.out.starts_with("usage: cairn inspect [--json] [--values] PATH\n"))
      << inspect_help.out;
  EXPECT_NE(inspect_help.out.find("--values"), std::string::npos);
  // `cairn CMD --help` is the same text, even with other mistakes on the line.
  EXPECT_EQ(cairn({"inspect", "--help"}).out, inspect_help.out);
  EXPECT_EQ(cairn({"inspect", "--bogus", "-h"}).out, inspect_help.out);
  for (const char* command : {"verify", "diff"}) {
    CliResult run = cairn({command, "--help"});
    EXPECT_EQ(run.status, 0);
    EXPECT_TRUE(run.out.starts_with("usage: cairn " + std::string(command))) << run.out;
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "usage: cairn COMMAND"},
      {{"bogus"}, "cairn: unknown command 'bogus'"},
      {{"--bogus"}, "cairn: unknown option '--bogus'"},
      {{"help", "bogus"}, "cairn help: unknown command 'bogus'"},
      {{"inspect"}, "cairn inspect: missing PATH\nusage: cairn inspect [--json] [--values] PATH\n"},
      {{"inspect", "--bogus", kFixture}, "cairn inspect: unknown option '--bogus'\nusage: cairn inspect"},
      {{"inspect", "-x", kFixture}, "cairn inspect: unknown option '-x'"},
      {{"inspect", "--json=yes", kFixture}, "cairn inspect: option --json takes no value"},
      {{"inspect", "--json", "--json", kFixture}, "cairn inspect: option --json is given twice"},
      {{"inspect", kFixture, "extra"}, "cairn inspect: unexpected argument 'extra'"},
      {{"verify"}, "cairn verify: missing PATH"},
      {{"diff", kFixture}, "cairn diff: missing B"},
  };
  for (const Case& c : cases) {
    CliResult run = cairn(c.args);
    EXPECT_EQ(run.status, 2) << c.message;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
    EXPECT_EQ(run.out, "");
  }
}

TEST_F(CliTest, MissingPathNamesIt) {
  std::string missing = path("no/such/ckpt");
  for (const char* command : {"inspect", "verify"}) {
    CliResult run = cairn({command, missing});
    EXPECT_EQ(run.status, 1);
    EXPECT_TRUE(run.err.starts_with("cairn " + std::string(command) + ": " + missing + ": no such file"))
        << run.err;
  }
  // For diff, as for diff(1), 1 means "different": trouble is 2.
  CliResult diff = cairn({"diff", kFixture, missing});
  EXPECT_EQ(diff.status, 2);
  EXPECT_NE(diff.err.find(missing), std::string::npos) << diff.err;
}

TEST_F(CliTest, InspectListsTheRealCheckpoint) {
  CliResult run = cairn({"inspect", kFixture});
  ASSERT_EQ(run.status, 0) << run.err;
  std::vector<std::string> rows = lines(run.out);
  // A header, the 28 tensors (the index's 29th entry is its header, not a tensor), the total.
  ASSERT_EQ(rows.size(), 30u) << run.out;
  EXPECT_TRUE(rows[0].starts_with("key ")) << rows[0];
  EXPECT_TRUE(rows[1].starts_with("_CHECKPOINTABLE_OBJECT_GRAPH ")) << rows[1];
  EXPECT_NE(rows[1].find(" string "), std::string::npos) << rows[1];
  EXPECT_TRUE(rows[1].ends_with(" 4653")) << rows[1];
  EXPECT_EQ(rows.back(), "total: 28 tensors, 5485 bytes in " + kFixture);
  // Sorted by key, with aligned columns.
  for (size_t i = 2; i + 1 < rows.size(); ++i) {
    EXPECT_LT(rows[i - 1], rows[i]);
    EXPECT_EQ(rows[i].size(), rows[0].size()) << rows[i];
  }
  const std::string kernel = "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE";
  bool found = false;
  for (const std::string& row : rows) {
    if (!row.starts_with(kernel + " ")) continue;
    found = true;
    std::istringstream fields(row);
    std::string key, dtype, shape_a, shape_b, bytes;
    fields >> key >> dtype >> shape_a >> shape_b >> bytes;
    EXPECT_EQ(dtype, "float32");
    EXPECT_EQ(shape_a + " " + shape_b, "(5, 5)");
    EXPECT_EQ(bytes, "100");
  }
  EXPECT_TRUE(found) << run.out;
  // The same checkpoint by its index file and by its directory (a SavedModel's variables/ has no
  // `checkpoint` state file but only this checkpoint).
  EXPECT_EQ(cairn({"inspect", kFixture + ".index"}).out, run.out);
  EXPECT_EQ(cairn({"inspect", fs::path(kFixture).parent_path().string()}).out, run.out);
}

TEST_F(CliTest, InspectJsonParses) {
  CliResult run = cairn({"inspect", "--json", kFixture});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string json_path = path("inspect.json");
  std::ofstream(json_path) << run.out;
  EXPECT_EQ(python(R"py(
import json, sys
entries = json.load(open(sys.argv[1]))
assert len(entries) == 28, len(entries)
assert all(set(e) == {"key", "dtype", "shape", "bytes"} for e in entries)
assert [e["key"] for e in entries] == sorted(e["key"] for e in entries)
by_key = {e["key"]: e for e in entries}
assert by_key["_CHECKPOINTABLE_OBJECT_GRAPH"] == {"key": "_CHECKPOINTABLE_OBJECT_GRAPH", "dtype": "string", "shape": [], "bytes": 4653}
k = by_key["layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
assert k["dtype"] == "float32" and k["shape"] == [5, 1] and k["bytes"] == 20, k
assert by_key["optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"]["dtype"] == "int64"
)py",
                   json_path),
            0)
      << run.out;
}

TEST_F(CliTest, InspectValuesOfSmallTensors) {
  std::string prefix = write_checkpoint("ckpt");
  {
    BundleWriter writer(Env::Default(), path("big"));
    writer.add("big", Tensor::zeros({21}));
    writer.add("bools", Tensor::from_vector<bool>({2}, {true, false}));
    writer.finish();
  }
  CliResult run = cairn({"inspect", "--values", prefix});
  ASSERT_EQ(run.status, 0) << run.err;
  std::vector<std::string> rows = lines(run.out);
  ASSERT_EQ(rows.size(), 8u) << run.out;
  EXPECT_TRUE(rows[1].starts_with("_CHECKPOINTABLE_OBJECT_GRAPH  string   ()     ")) << rows[1];
  EXPECT_EQ(rows[2], "    = <8 bytes>");
  EXPECT_TRUE(rows[3].starts_with("dense/kernel                  float32  (2, 3)")) << rows[3];
  EXPECT_EQ(rows[4], "    = [[0.5, -1.25, 3], [0, 1e-05, -7]]");
  EXPECT_EQ(rows[6], "    = 7");

  CliResult json = cairn({"inspect", "--json", "--values", prefix});
  ASSERT_EQ(json.status, 0) << json.err;
  std::string json_path = path("values.json");
  std::ofstream(json_path) << json.out;
  EXPECT_EQ(python(R"py(
import json, sys
e = {x["key"]: x for x in json.load(open(sys.argv[1]))}
assert e["dense/kernel"]["values"] == [[0.5, -1.25, 3], [0, 1e-05, -7]], e
assert e["step"]["values"] == 7 and e["_CHECKPOINTABLE_OBJECT_GRAPH"]["string_lengths"] == 8
)py",
                   json_path),
            0)
      << json.out;

  CliResult big = cairn({"inspect", "--values", path("big")});
  ASSERT_EQ(big.status, 0) << big.err;
  EXPECT_EQ(lines(big.out).size(), 5u) << big.out;  // no values line for 21 elements
  EXPECT_NE(big.out.find("    = [true, false]\n"), std::string::npos) << big.out;
}

TEST_F(CliTest, InspectNumpyFiles) {
  save_npy(path("a.npy"), Tensor::from_vector<double>({2, 3}, {1, 2, 3, 4, 5, 6}));
  save_npz(path("b.npz"), {{"weights", Tensor::from_vector<float>({2}, {1, 2})},
                           {"counts", Tensor::from_vector<int32_t>({3}, {1, 2, 3})}});
  CliResult npy = cairn({"inspect", path("a.npy")});
  ASSERT_EQ(npy.status, 0) << npy.err;
  EXPECT_EQ(npy.out,
            "key    dtype    shape   bytes\narr_0  float64  (2, 3)     48\n"
            "total: 1 tensor, 48 bytes in " +
                path("a.npy") + "\n");
  CliResult npz = cairn({"inspect", path("b.npz")});
  ASSERT_EQ(npz.status, 0) << npz.err;
  std::vector<std::string> rows = lines(npz.out);
  ASSERT_EQ(rows.size(), 4u) << npz.out;
  EXPECT_EQ(rows[1], "counts   int32    (3,)      12");
  EXPECT_EQ(rows[2], "weights  float32  (2,)       8");

  std::ofstream(path("notes.txt")) << "hello";
  CliResult other = cairn({"inspect", path("notes.txt")});
  EXPECT_EQ(other.status, 1);
  EXPECT_NE(other.err.find(path("notes.txt") + " is neither a checkpoint"), std::string::npos) << other.err;
}

TEST_F(CliTest, InspectFollowsTheCheckpointStateFile) {
  write_checkpoint("ckpt-1");
  std::string latest = write_checkpoint("ckpt-2");
  std::ofstream(path("checkpoint")) << "model_checkpoint_path: \"ckpt-2\"\n"
                                       "all_model_checkpoint_paths: \"ckpt-1\"\n"
                                       "all_model_checkpoint_paths: \"ckpt-2\"\n";
  CliResult run = cairn({"inspect", dir_.path()});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(run.out.ends_with("bytes in " + latest + "\n")) << run.out;

  std::ofstream(path("checkpoint")) << "model_checkpoint_path: \"ckpt-9\"\n";
  CliResult stale = cairn({"inspect", dir_.path()});
  EXPECT_EQ(stale.status, 1);
  EXPECT_NE(stale.err.find(path("ckpt-9.index") + " does not exist"), std::string::npos) << stale.err;
}

TEST_F(CliTest, VerifyAcceptsIntactCheckpoints) {
  CliResult fixture = cairn({"verify", kFixture});
  EXPECT_EQ(fixture.status, 0) << fixture.err;
  EXPECT_EQ(fixture.out, "OK: 28 tensors, 5485 bytes verified in " + kFixture + "\n");

  std::string prefix = write_checkpoint("ckpt");
  uint64_t bytes = 0;
  BundleReader reader(Env::Default(), prefix);
  for (const std::string& key : reader.keys()) bytes += reader.info(key).size;
  CliResult run = cairn({"verify", prefix});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "OK: 3 tensors, " + std::to_string(bytes) + " bytes verified in " + prefix + "\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(CliTest, VerifyNamesTheDamagedKeyAndFile) {
  std::string prefix = write_checkpoint("ckpt");
  BundleEntryInfo kernel = BundleReader(Env::Default(), prefix).info("dense/kernel");
  std::string data_path = bundle_data_path(prefix);
  std::string data = read_text(data_path);
  data[kernel.offset + 5] ^= 0x10;
  std::ofstream(data_path, std::ios::binary | std::ios::trunc) << data;

  CliResult run = cairn({"verify", prefix});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  std::vector<std::string> messages = lines(run.err);
  ASSERT_EQ(messages.size(), 2u) << run.err;
  EXPECT_TRUE(messages[0].starts_with("cairn verify: ")) << messages[0];
  EXPECT_NE(messages[0].find(data_path), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("'dense/kernel'"), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("checksum"), std::string::npos) << messages[0];
  EXPECT_EQ(messages[1], "cairn verify: FAILED: 1 of 3 tensors damaged in " + prefix);
}

TEST_F(CliTest, VerifyFailsOnATruncatedIndexOrDataFile) {
  std::string prefix = write_checkpoint("ckpt");
  std::string index_path = bundle_index_path(prefix);
  fs::resize_file(index_path, fs::file_size(index_path) / 2);
  CliResult index = cairn({"verify", prefix});
  EXPECT_EQ(index.status, 1);
  EXPECT_TRUE(index.err.starts_with("cairn verify: ")) << index.err;
  EXPECT_NE(index.err.find(index_path), std::string::npos) << index.err;

  std::string other = write_checkpoint("other");
  std::string data_path = bundle_data_path(other);
  fs::resize_file(data_path, fs::file_size(data_path) - 3);
  CliResult data = cairn({"verify", other});
  EXPECT_EQ(data.status, 1);
  EXPECT_NE(data.err.find(data_path + " is truncated"), std::string::npos) << data.err;

  fs::remove(data_path);
  CliResult missing = cairn({"verify", other});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find(data_path), std::string::npos) << missing.err;
  // The same "cannot open" for every key is reported once.
  EXPECT_EQ(lines(missing.err).size(), 2u) << missing.err;
}

TEST_F(CliTest, DiffOfIdenticalCheckpoints) {
  std::string a = write_checkpoint("a");
  std::string b = write_checkpoint("b");
  CliResult run = cairn({"diff", a, b});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "identical: 3 tensors\n");
  CliResult fixture = cairn({"diff", kFixture, kFixture});
  EXPECT_EQ(fixture.status, 0) << fixture.err;
  EXPECT_EQ(fixture.out, "identical: 28 tensors\n");
  // A NaN equals itself at the same place.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  save_npy(path("nan.npy"), Tensor::from_vector<float>({3}, {nan, 1, 2}));
  EXPECT_EQ(cairn({"diff", path("nan.npy"), path("nan.npy")}).status, 0);
  // ...but against a number it is the largest difference there is.
  save_npy(path("numbers.npy"), Tensor::from_vector<float>({3}, {1, 1, 5}));
  CliResult nan_diff = cairn({"diff", path("nan.npy"), path("numbers.npy")});
  EXPECT_EQ(nan_diff.status, 1);
  EXPECT_TRUE(nan_diff.out.starts_with("arr_0: max abs diff nan (2 of 3 elements differ)\n")) << nan_diff.out;
}

TEST_F(CliTest, DiffReportsEveryKindOfDifference) {
  std::string a = path("a"), b = path("b");
  {
    BundleWriter writer(Env::Default(), a);
    writer.add("kernel", Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}));
    writer.add("bias", Tensor::from_vector<float>({2}, {0, 0}));
    writer.add("step", Tensor::from_vector<int64_t>({}, {3}));
    writer.add("same", Tensor::from_vector<int32_t>({2}, {5, 6}));
    writer.add("old", Tensor::zeros({1}));
    writer.add_string("graph", "abc");
    writer.finish();
  }
  {
    BundleWriter writer(Env::Default(), b);
    writer.add("kernel", Tensor::from_vector<float>({2, 2}, {1, 2.5f, 3, 3.75f}));
    writer.add("bias", Tensor::from_vector<float>({3}, {0, 0, 0}));
    writer.add("step", Tensor::from_vector<int32_t>({}, {3}));
    writer.add("same", Tensor::from_vector<int32_t>({2}, {5, 6}));
    writer.add("new", Tensor::zeros({1}));
    writer.add_string("graph", "abd");
    writer.finish();
  }
  CliResult run = cairn({"diff", a, b});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_EQ(run.out, "only in " + a +
                         ": old\n"
                         "only in " +
                         b +
                         ": new\n"
                         "bias: shape differs: (2,) vs (3,)\n"
                         "graph: 1 of 1 strings differ\n"
                         "kernel: max abs diff 0.5 (2 of 4 elements differ)\n"
                         "step: dtype differs: int64 vs int32\n"
                         "4 of 5 common tensors differ, 1 only in " +
                         a + ", 1 only in " + b + "\n");

  CliResult json = cairn({"diff", "--json", a, b});
  EXPECT_EQ(json.status, 1) << json.err;
  std::string json_path = path("diff.json");
  std::ofstream(json_path) << json.out;
  EXPECT_EQ(python(R"py(
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is False and d["only_in_a"] == ["old"] and d["only_in_b"] == ["new"], d
by_key = {x["key"]: x for x in d["differences"]}
assert set(by_key) == {"bias", "graph", "kernel", "step"}, by_key
assert by_key["kernel"] == {"key": "kernel", "kind": "values", "max_abs_diff": 0.5, "differing_elements": 2, "elements": 4}
assert by_key["bias"]["kind"] == "shape" and by_key["bias"]["a"] == "(2,)" and by_key["bias"]["b"] == "(3,)"
assert by_key["step"]["kind"] == "dtype" and by_key["step"]["a"] == "int64" and by_key["step"]["b"] == "int32"
)py",
                   json_path),
            0)
      << json.out;
}

TEST_F(CliTest, DiffComparesNumpyFilesWithCheckpoints) {
  save_npz(path("x.npz"), {{"step", Tensor::from_vector<int64_t>({}, {7})}});
  {
    BundleWriter writer(Env::Default(), path("ckpt"));
    writer.add("step", Tensor::from_vector<int64_t>({}, {9}));
    writer.finish();
  }
  CliResult run = cairn({"diff", path("x.npz"), path("ckpt")});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_EQ(run.out, "step: max abs diff 2 (1 of 1 elements differ)\n1 of 1 common tensors differ, 0 only in " +
                         path("x.npz") + ", 0 only in " + path("ckpt") + "\n");
}

TEST(ArgParser, AcceptsTheDeclaredForms) {
  cli::ArgParser parser({{"json", "", "json"}, {"limit", "N", "at most N"}}, {{"PATH", "p"}, {"OTHER", "o"}});
  EXPECT_EQ(parser.usage(), "[--json] [--limit N] PATH OTHER");
  std::vector<std::string> words = {"a", "--limit", "5", "--", "--json"};
  cli::Args args = parser.parse(words);
  EXPECT_FALSE(args.flag("json"));
  EXPECT_EQ(args.value("limit"), "5");
  EXPECT_EQ(args.positional("PATH"), "a");
  EXPECT_EQ(args.positional("OTHER"), "--json");

  words = {"--limit=", "--json", "-", "b"};
  args = parser.parse(words);
  EXPECT_TRUE(args.flag("json"));
  EXPECT_EQ(args.value("limit"), "");
  EXPECT_EQ(args.positional("PATH"), "-");

  words = {"x", "y"};
  EXPECT_EQ(parser.parse(words).value("limit"), std::nullopt);
  EXPECT_THROW(parser.parse(words).flag("jsn"), std::logic_error);

  words = {"--bogus", "--help"};
  EXPECT_TRUE(parser.parse(words).help_requested());
}

TEST(ArgParser, RefusesEverythingElse) {
  cli::ArgParser parser({{"json", "", "json"}, {"limit", "N", "at most N"}}, {{"PATH", "p"}});
  auto message = [&](std::vector<std::string> words) -> std::string {
    try {
      parser.parse(words);
    } catch (const cli::UsageError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(message({"p", "--limit"}), "option --limit needs a value (N)");
  EXPECT_EQ(message({"p", "--json=1"}), "option --json takes no value");
  EXPECT_EQ(message({"p", "--limit", "1", "--limit=2"}), "option --limit is given twice");
  EXPECT_EQ(message({"p", "--jsonx"}), "unknown option '--jsonx'");
  EXPECT_EQ(message({"p", "-j"}), "unknown option '-j'");
  EXPECT_EQ(message({}), "missing PATH");
  EXPECT_EQ(message({"p", "q"}), "unexpected argument 'q'");
  EXPECT_EQ(message({"--", "--help"}), "accepted");  // after --, even --help is a positional
}

}  // namespace
}  // namespace cairn
