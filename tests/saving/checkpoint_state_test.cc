// The `checkpoint` state file: TensorFlow's exact text, parsing what TensorFlow writes, paths, and
// latest_checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "cairn/checkpoint.h"
#include "cairn/tensor_bundle.h"
#include "io/test_util.h"
#include "saving/paths.h"
#include "saving/text_format.h"

namespace cairn {
namespace {

using testing::TempDir;

void write_bundle(const std::string& prefix) {
  BundleWriter writer(Env::Default(), prefix);
  writer.add("x", Tensor::scalar(1));
  writer.finish();
}

// As CheckpointManager(max_to_keep=5) leaves it after six saves.
const char* const kManagerStateText =
    "model_checkpoint_path: \"ckpt-6\"\n"
    "all_model_checkpoint_paths: \"ckpt-2\"\n"
    "all_model_checkpoint_paths: \"ckpt-3\"\n"
    "all_model_checkpoint_paths: \"ckpt-4\"\n"
    "all_model_checkpoint_paths: \"ckpt-5\"\n"
    "all_model_checkpoint_paths: \"ckpt-6\"\n"
    "all_model_checkpoint_timestamps: 1619766156.2447531\n"
    "all_model_checkpoint_timestamps: 1619766156.5027034\n"
    "all_model_checkpoint_timestamps: 1619766157.0\n"
    "all_model_checkpoint_timestamps: 1619766278.4836671\n"
    "all_model_checkpoint_timestamps: 1619766300.1\n"
    "last_preserved_timestamp: 1619766155.9818847\n";

TEST(CheckpointState, TextIsTensorFlowsExactly) {
  CheckpointState state;
  state.model_checkpoint_path = "ckpt-6";
  state.all_model_checkpoint_paths = {"ckpt-2", "ckpt-3", "ckpt-4", "ckpt-5", "ckpt-6"};
  state.all_model_checkpoint_timestamps = {1619766156.2447531, 1619766156.5027034, 1619766157.0,
                                           1619766278.4836671, 1619766300.1};
  state.last_preserved_timestamp = 1619766155.9818847;
  EXPECT_EQ(checkpoint_state_to_text(state), kManagerStateText);
}

TEST(CheckpointState, DefaultsAreLeftOutAsInProto3) {
  CheckpointState state;
  state.model_checkpoint_path = "/tmp/saved_model/half_plus_two/variables/variables";
  state.all_model_checkpoint_paths = {state.model_checkpoint_path};
  EXPECT_EQ(checkpoint_state_to_text(state),
            "model_checkpoint_path: \"/tmp/saved_model/half_plus_two/variables/variables\"\n"
            "all_model_checkpoint_paths: \"/tmp/saved_model/half_plus_two/variables/variables\"\n");
}

TEST(CheckpointState, ParsesTensorFlowsTextAndRoundTrips) {
  CheckpointState state = checkpoint_state_from_text(kManagerStateText, "dir/checkpoint");
  EXPECT_EQ(state.model_checkpoint_path, "ckpt-6");
  ASSERT_EQ(state.all_model_checkpoint_paths,
            (std::vector<std::string>{"ckpt-2", "ckpt-3", "ckpt-4", "ckpt-5", "ckpt-6"}));
  ASSERT_EQ(state.all_model_checkpoint_timestamps.size(), 5u);
  EXPECT_EQ(state.all_model_checkpoint_timestamps[3], 1619766278.4836671);
  EXPECT_EQ(state.all_model_checkpoint_timestamps[2], 1619766157.0);
  EXPECT_EQ(state.last_preserved_timestamp, 1619766155.9818847);
  EXPECT_EQ(checkpoint_state_to_text(state), kManagerStateText);
}

TEST(CheckpointState, DoublesArePrintedAsPythonDoes) {
  using text_format::format_double;
  EXPECT_EQ(format_double(5.0), "5.0");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(-2.5), "-2.5");
  EXPECT_EQ(format_double(1619766278.4836671), "1619766278.4836671");
  EXPECT_EQ(format_double(0.0001), "0.0001");
  EXPECT_EQ(format_double(0.00001), "1e-05");
  EXPECT_EQ(format_double(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_double(1e15), "1000000000000000.0");
  EXPECT_EQ(format_double(1e16), "1e+16");
  EXPECT_EQ(format_double(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(format_double(1e300), "1e+300");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_double(std::nan("")), "nan");
}

TEST(CheckpointState, StringsAreEscapedAsPythonProtobufDoes) {
  EXPECT_EQ(text_format::quote("a\"b'c\\d\te\nf\rg"), R"("a\"b\'c\\d\te\nf\rg")");
  // Non-ASCII bytes (UTF-8 of "é") and control characters as octal.
  EXPECT_EQ(text_format::quote("\xc3\xa9\x01\x7f"), R"("\303\251\001\177")");

  CheckpointState state;
  state.model_checkpoint_path = "run \"A\"/caf\xc3\xa9\n-1";
  state.all_model_checkpoint_paths = {state.model_checkpoint_path};
  CheckpointState back = checkpoint_state_from_text(checkpoint_state_to_text(state), "x");
  EXPECT_EQ(back.model_checkpoint_path, state.model_checkpoint_path);
  EXPECT_EQ(back.all_model_checkpoint_paths, state.all_model_checkpoint_paths);
}

TEST(CheckpointState, ParsesEverythingTheTextFormatAllows) {
  CheckpointState state = checkpoint_state_from_text(
      "# written by hand\n"
      "model_checkpoint_path: 'dir/' \"ckpt\\x2d\\0623\"  # concatenated, hex and octal escapes\n"
      "all_model_checkpoint_paths: [\"a\\u00e9\", 'b\\'q', \"dir/ckpt-3\"],\n"
      "all_model_checkpoint_timestamps: [1, 2.5e3, -inf];\n"
      "last_preserved_timestamp:1.5f",
      "hand");
  EXPECT_EQ(state.model_checkpoint_path, "dir/ckpt-23");
  EXPECT_EQ(state.all_model_checkpoint_paths, (std::vector<std::string>{"a\xc3\xa9", "b'q", "dir/ckpt-3"}));
  ASSERT_EQ(state.all_model_checkpoint_timestamps.size(), 3u);
  EXPECT_EQ(state.all_model_checkpoint_timestamps[0], 1.0);
  EXPECT_EQ(state.all_model_checkpoint_timestamps[1], 2500.0);
  EXPECT_EQ(state.all_model_checkpoint_timestamps[2], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(state.last_preserved_timestamp, 1.5);
}

TEST(CheckpointState, GarbageIsAFormatErrorNamingTheFile) {
  const std::vector<std::string> bad = {
      "model_checkpoint_path \"ckpt-1\"",                                           // no colon
      "model_checkpoint_path: \"ckpt-1",                                            // unterminated
      "model_checkpoint_path: ckpt-1",                                              // unquoted
      "model_checkpoint_path: \"ckpt-1\"\nall_model_checkpoint_timestamps: \"x\"",  // wrong type
      "model_checkpoint_path: \"ckpt-1\"\nsave_counter: 3",                         // unknown field
      "all_model_checkpoint_paths: \"ckpt-1\"",                                     // no model path
      "model_checkpoint_path: \"a\\qb\"",                                           // unknown escape
      "model_checkpoint_path: \"a\"\nall_model_checkpoint_timestamps: [1, 2",       // open list
      "\x89PNG\r\n\x1a\n",
      "",
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    try {
      checkpoint_state_from_text(text, "/some/dir/checkpoint");
      ADD_FAILURE() << "parsed";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("/some/dir/checkpoint"), std::string::npos) << e.what();
    }
  }
}

TEST(CheckpointState, ReadOfAMissingFileIsNulloptAndOfGarbageAFormatError) {
  TempDir dir;
  EXPECT_FALSE(read_checkpoint_state(Env::Default(), dir.path()).has_value());
  EXPECT_FALSE(latest_checkpoint(dir.path()).has_value());
  testing::write_bytes(dir / "checkpoint", "model_checkpoint_path: 12\n");
  try {
    read_checkpoint_state(Env::Default(), dir.path());
    FAIL() << "parsed";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "checkpoint"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
  }
}

TEST(CheckpointState, WriteStoresPathsRelativeToTheDirectoryAndReadJoinsThem) {
  TempDir dir;
  CheckpointState state;
  state.model_checkpoint_path = dir / "ckpt-2";
  state.all_model_checkpoint_paths = {"/elsewhere/ckpt-0", dir.path() + "//sub/../ckpt-1"};
  state.all_model_checkpoint_timestamps = {10.0, 20.0};
  state.last_preserved_timestamp = 5.0;
  // model_checkpoint_path is not last: TensorFlow appends it, and so must the timestamps count.
  EXPECT_THROW(write_checkpoint_state(Env::Default(), dir.path(), state), InvalidArgument);
  state.all_model_checkpoint_timestamps.push_back(30.0);
  write_checkpoint_state(Env::Default(), dir.path() + "/", state);
  EXPECT_EQ(testing::read_bytes(dir / "checkpoint"),
            "model_checkpoint_path: \"ckpt-2\"\n"
            "all_model_checkpoint_paths: \"/elsewhere/ckpt-0\"\n"
            "all_model_checkpoint_paths: \"ckpt-1\"\n"
            "all_model_checkpoint_paths: \"ckpt-2\"\n"
            "all_model_checkpoint_timestamps: 10.0\n"
            "all_model_checkpoint_timestamps: 20.0\n"
            "all_model_checkpoint_timestamps: 30.0\n"
            "last_preserved_timestamp: 5.0\n");
  EXPECT_EQ(Env::Default().list_dir(dir.path()),
            std::vector<std::string>{"checkpoint"});  // no temp file left

  std::optional<CheckpointState> back = read_checkpoint_state(Env::Default(), dir.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->model_checkpoint_path, dir / "ckpt-2");
  EXPECT_EQ(back->all_model_checkpoint_paths,
            (std::vector<std::string>{"/elsewhere/ckpt-0", dir / "ckpt-1", dir / "ckpt-2"}));
  EXPECT_EQ(back->all_model_checkpoint_timestamps, (std::vector<double>{10.0, 20.0, 30.0}));
}

TEST(CheckpointState, RelativePathArithmetic) {
  EXPECT_EQ(path_relative_to("/a/b", "/a/b/ckpt-1"), "ckpt-1");
  EXPECT_EQ(path_relative_to("/a/b/", "/a/b/sub/ckpt-1"), "sub/ckpt-1");
  EXPECT_EQ(path_relative_to("/a/b", "/a/bc/ckpt-1"), "/a/bc/ckpt-1");
  EXPECT_EQ(path_relative_to("/a/b", "/a/ckpt-1"), "/a/ckpt-1");
  EXPECT_EQ(path_relative_to("runs", "runs/ckpt-1"), "ckpt-1");
  EXPECT_EQ(path_relative_to("runs", "/runs/ckpt-1"), "/runs/ckpt-1");
  EXPECT_EQ(path_relative_to(".", "ckpt-1"), "ckpt-1");
  EXPECT_EQ(path_relative_to("", "ckpt-1"), "ckpt-1");
  EXPECT_EQ(join_path("/a/b", "ckpt-1"), "/a/b/ckpt-1");
  EXPECT_EQ(join_path("/a/b/", "ckpt-1"), "/a/b/ckpt-1");
  EXPECT_EQ(join_path("/a/b", "/c/ckpt-1"), "/c/ckpt-1");
  EXPECT_EQ(join_path("", "ckpt-1"), "ckpt-1");
}

TEST(CheckpointState, LatestCheckpointIsTheNewestWithAnIndex) {
  TempDir dir;
  TempDir other;
  write_bundle(dir / "ckpt-1");
  write_bundle(dir / "ckpt-2");
  write_bundle(other / "model-7");
  testing::write_bytes(dir / "checkpoint",
                       "model_checkpoint_path: \"ckpt-3\"\n"
                       "all_model_checkpoint_paths: \"" +
                           other / "model-7" +
                           "\"\n"
                           "all_model_checkpoint_paths: \"ckpt-1\"\n"
                           "all_model_checkpoint_paths: \"ckpt-2\"\n"
                           "all_model_checkpoint_paths: \"ckpt-3\"\n");
  // ckpt-3 has no index (a crash while it was being replaced): the next newest.
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-2");
  write_bundle(dir / "ckpt-3");
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-3");
  for (const char* name : {"ckpt-3", "ckpt-2", "ckpt-1"}) remove_bundle(Env::Default(), dir / name);
  EXPECT_EQ(latest_checkpoint(dir.path()), other / "model-7");  // an absolute path
  remove_bundle(Env::Default(), other / "model-7");
  EXPECT_EQ(latest_checkpoint(dir.path()), std::nullopt);
}

// A damaged state file can be anything: a file of hundreds of megabytes, a value of megabytes. It is
// refused before it is read (when too large), and an error quotes at most a short part of a bad value.
TEST(CheckpointState, AHugeStateFileIsRefusedBeforeItIsRead) {
  TempDir dir;
  testing::write_bytes(dir / "checkpoint", "");
  std::filesystem::resize_file(dir / "checkpoint", (16 << 20) + 1);  // sparse
  try {
    read_checkpoint_state(Env::Default(), dir.path());
    FAIL() << "read";
  } catch (const ResourceLimitError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "checkpoint"), std::string::npos) << e.what();
  }
  EXPECT_THROW(latest_checkpoint(dir.path()), ResourceLimitError);
}

TEST(CheckpointState, ErrorsQuoteOnlyAnExcerptOfABadValue) {
  const std::string huge(4 << 20, '7');
  const std::vector<std::string> bad = {
      "model_checkpoint_path: \"" + huge + "\"\n",                   // longer than any path
      "model_checkpoint_path: \"ckpt-1\"\n" + huge + "x: 1\n",       // a field name
      "model_checkpoint_path: \"ckpt-1\"\nlast_preserved_timestamp: " + huge + "x\n",  // a number
      "model_checkpoint_path: \"ckpt-1\"\nlast_preserved_timestamp: x" + huge + "\n",  // a value
      "model_checkpoint_path: \"ckpt-1\"\n" + huge + ": 1\n",        // an unknown field
      "model_checkpoint_path: \"ckpt-1\"\nall_model_checkpoint_paths " + huge + "\n",
  };
  for (const std::string& text : bad) {
    try {
      checkpoint_state_from_text(text, "/some/dir/checkpoint");
      ADD_FAILURE() << "parsed " << text.substr(0, 80);
    } catch (const FormatError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("/some/dir/checkpoint"), std::string::npos) << message.substr(0, 300);
      EXPECT_LT(message.size(), 300u) << message.substr(0, 300);
    }
  }
}

TEST(CheckpointState, AHalfDeletedCheckpointIsNotTheLatest) {
  TempDir dir;
  write_bundle(dir / "ckpt-1");
  write_bundle(dir / "ckpt-2");
  testing::write_bytes(dir / "checkpoint",
                       "model_checkpoint_path: \"ckpt-2\"\n"
                       "all_model_checkpoint_paths: \"ckpt-1\"\n"
                       "all_model_checkpoint_paths: \"ckpt-2\"\n");
  // What deleting the data before the index, cut short, leaves.
  Env::Default().remove_file(bundle_data_path(dir / "ckpt-2"));
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-1");
}

}  // namespace
}  // namespace cairn
