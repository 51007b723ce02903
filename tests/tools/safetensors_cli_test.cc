// `cairn inspect`, `verify` and `diff` on safetensors files: the reference sample, files cairn writes,
// damaged ones, and comparisons with the other formats.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/npy.h"
#include "cairn/safetensors.h"
#include "cairn/tensor_bundle.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

const std::string kOverall = std::string(CAIRN_FIXTURES_DIR) + "/safetensors/overall.safetensors";

using testing::CliResult;
using testing::contains;
using testing::lines;
using testing::read_text;

class SafetensorsCli : public testing::CliFixture {
 protected:
  // Three tensors of three dtypes; `kernel_scale` changes one element of the kernel.
  std::string write_model(const std::string& name, float kernel_scale = 1.0f) const {
    save_safetensors(
        path(name),
        {{"dense/kernel", Tensor::from_vector<float>({2, 3}, {0.5f * kernel_scale, -1.25f, 3, 0, 1e-5f, -7})},
         {"step", Tensor::from_vector<int64_t>({}, {7})},
         {"mask", Tensor::from_vector<bool>({2}, {true, false})}});
    return path(name);
  }
};

TEST_F(SafetensorsCli, InspectListsTheTensorsSortedByKey) {
  std::string file = write_model("model.safetensors");
  CliResult run = cairn({"inspect", file});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "key           dtype    shape   bytes\n"
            "dense/kernel  float32  (2, 3)     24\n"
            "mask          bool     (2,)        2\n"
            "step          int64    ()          8\n"
            "total: 3 tensors, 34 bytes in " +
                file + "\n");

  CliResult values = cairn({"inspect", "--json", "--values", file});
  ASSERT_EQ(values.status, 0) << values.err;
  EXPECT_TRUE(contains(
      values.out, "{\"key\": \"step\", \"dtype\": \"int64\", \"shape\": [], \"bytes\": 8, \"values\": 7}"))
      << values.out;
  EXPECT_TRUE(contains(values.out,
                       "\"key\": \"mask\", \"dtype\": \"bool\", \"shape\": [2], \"bytes\": 2, "
                       "\"values\": [true, false]}"))
      << values.out;

  CliResult help = cairn({"help", "inspect"});
  EXPECT_TRUE(contains(help.out, ".safetensors")) << help.out;
}

TEST_F(SafetensorsCli, InspectShowsTheStoredDtypesOfTheReferenceSample) {
  CliResult run = cairn({"inspect", kOverall});
  ASSERT_EQ(run.status, 0) << run.err;
  std::vector<std::string> rows = lines(run.out);
  ASSERT_EQ(rows.size(), 11u) << run.out;
  EXPECT_EQ(rows[0], "key  dtype    shape  bytes");
  EXPECT_EQ(rows[1], "B    uint8    (6,)       6");
  EXPECT_EQ(rows[2], "H    uint16   (6,)      12");
  EXPECT_EQ(rows[3], "I    uint32   (6,)      24");
  EXPECT_EQ(rows[4], "b    int8     (6,)       6");
  EXPECT_EQ(rows[5], "d    float64  (6,)      48");
  EXPECT_EQ(rows[6], "e    float16  (6,)      12");
  EXPECT_EQ(rows[7], "f    float32  (6,)      24");
  EXPECT_EQ(rows[8], "h    int16    (6,)      12");
  EXPECT_EQ(rows[9], "i    int32    (6,)      24");
  EXPECT_EQ(rows[10], "total: 9 tensors, 168 bytes in " + kOverall);

  // Values of the dtypes cairn reads (float16 widened to float32); none for the others.
  CliResult values = cairn({"inspect", "--values", kOverall});
  ASSERT_EQ(values.status, 0) << values.err;
  EXPECT_EQ(values.out,
            "key  dtype    shape  bytes\n"
            "B    uint8    (6,)       6\n"
            "    = [253, 254, 255, 0, 1, 2]\n"
            "H    uint16   (6,)      12\n"
            "I    uint32   (6,)      24\n"
            "b    int8     (6,)       6\n"
            "d    float64  (6,)      48\n"
            "    = [-3, -2, -1, 0, 1, 2]\n"
            "e    float16  (6,)      12\n"
            "    = [-3, -2, -1, 0, 1, 2]\n"
            "f    float32  (6,)      24\n"
            "    = [-3, -2, -1, 0, 1, 2]\n"
            "h    int16    (6,)      12\n"
            "i    int32    (6,)      24\n"
            "    = [-3, -2, -1, 0, 1, 2]\n"
            "total: 9 tensors, 168 bytes in " +
                kOverall + "\n");
}

TEST_F(SafetensorsCli, VerifyReadsWhatItCanAndNamesTheRest) {
  CliResult fixture = cairn({"verify", kOverall});
  EXPECT_EQ(fixture.status, 0) << fixture.err;
  // B 6 + d 48 + e 12 + f 24 + i 24 bytes.
  EXPECT_EQ(fixture.out, "OK: 5 tensors, 114 bytes verified in " + kOverall +
                             " (4 of a kind cairn cannot read not verified)\n");
  std::vector<std::string> notes = lines(fixture.err);
  ASSERT_EQ(notes.size(), 4u) << fixture.err;
  EXPECT_EQ(notes[0], "cairn verify: not verified: key 'H': cairn cannot read dtype U16");
  EXPECT_EQ(notes[2], "cairn verify: not verified: key 'b': cairn cannot read dtype I8");

  std::string file = write_model("model.safetensors");
  CliResult run = cairn({"verify", file});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "OK: 3 tensors, 34 bytes verified in " + file + "\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(SafetensorsCli, VerifyNamesTheDamagedFileAndKey) {
  std::string file = write_model("model.safetensors");
  std::string bytes = read_text(file);
  SafetensorsFile reader(file);
  uint64_t mask = reader.data_start() + reader.info("mask").begin;
  std::string damaged = bytes;
  damaged[mask] = 7;  // a bool byte that is neither 0 nor 1
  std::ofstream(path("bool.safetensors"), std::ios::binary) << damaged;
  CliResult run = cairn({"verify", path("bool.safetensors")});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  std::vector<std::string> messages = lines(run.err);
  ASSERT_EQ(messages.size(), 2u) << run.err;
  EXPECT_TRUE(contains(messages[0], path("bool.safetensors") + ": tensor 'mask'")) << messages[0];
  EXPECT_TRUE(contains(messages[0], "byte 7")) << messages[0];
  EXPECT_EQ(messages[1], "cairn verify: FAILED: 1 of 3 tensors damaged in " + path("bool.safetensors"));

  // A truncated file fails when it is opened: its sizes no longer add up.
  std::ofstream(path("cut.safetensors"), std::ios::binary) << bytes.substr(0, bytes.size() - 1);
  CliResult cut = cairn({"verify", path("cut.safetensors")});
  EXPECT_EQ(cut.status, 1);
  EXPECT_TRUE(contains(cut.err, path("cut.safetensors") + ": not a valid safetensors file: ")) << cut.err;
  EXPECT_TRUE(contains(cut.err, "truncated")) << cut.err;

  CliResult missing = cairn({"inspect", path("missing.safetensors")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.err, path("missing.safetensors"))) << missing.err;
}

TEST_F(SafetensorsCli, DiffComparesSafetensorsFilesWithEachOtherAndOtherFormats) {
  std::string a = write_model("a.safetensors");
  std::string b = write_model("b.safetensors", 3.0f);  // kernel[0, 0]: 0.5 -> 1.5
  CliResult same = cairn({"diff", a, write_model("a2.safetensors")});
  EXPECT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(same.out, "identical: 3 tensors\n");
  CliResult run = cairn({"diff", a, b});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_EQ(run.out,
            "dense/kernel: max abs diff 1 (1 of 6 elements differ)\n"
            "1 of 3 common tensors differ, 0 only in " +
                a + ", 0 only in " + b + "\n");

  // The same tensors in a TensorFlow checkpoint and an .npz file.
  std::string prefix = path("ckpt");
  {
    BundleWriter writer(Env::Default(), prefix);
    for (const NamedTensor& t : load_safetensors(a)) writer.add(t.name, t.tensor);
    writer.finish();
  }
  CliResult checkpoint = cairn({"diff", prefix, a});
  EXPECT_EQ(checkpoint.status, 0) << checkpoint.err << checkpoint.out;
  EXPECT_EQ(checkpoint.out, "identical: 3 tensors\n");
  save_npz(path("b.npz"), load_safetensors(b));
  CliResult npz = cairn({"diff", "--json", a, path("b.npz")});
  EXPECT_EQ(npz.status, 1) << npz.err;
  EXPECT_TRUE(contains(npz.out,
                       "{\"key\": \"dense/kernel\", \"kind\": \"values\", \"max_abs_diff\": 1, "
                       "\"differing_elements\": 1, \"elements\": 6}"))
      << npz.out;

  // float16 and float32 are different dtypes even where the values agree.
  save_safetensors(path("f.safetensors"), {{"e", Tensor::from_vector<float>({6}, {-3, -2, -1, 0, 1, 2})}});
  CliResult dtypes = cairn({"diff", kOverall, path("f.safetensors")});
  EXPECT_EQ(dtypes.status, 1) << dtypes.err;
  EXPECT_TRUE(contains(dtypes.out, "e: dtype differs: float16 vs float32\n")) << dtypes.out;
}

}  // namespace
}  // namespace cairn
