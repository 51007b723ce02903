// Zip bombs handed to the CLI: inspect, verify and convert refuse an .npz or .keras that would inflate to
// a gibibyte, promptly, with a message naming the archive and the member.
#include <gtest/gtest.h>

#include <chrono>

#include "cli_runner.h"
#include "data/zip_builder.h"

namespace cairn::testing {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
// Refusing reads headers only; inflating a gibibyte would take seconds and a gibibyte of memory.
constexpr auto kPrompt = std::chrono::seconds(10);

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

class ZipBombCli : public CliFixture {
 protected:
  // Runs cairn, which must fail within kPrompt with every one of `parts` in its message.
  void expect_refusal(const std::vector<std::string>& args, const std::vector<std::string>& parts) {
    SCOPED_TRACE(args.front());
    const auto start = std::chrono::steady_clock::now();
    const CliResult run = cairn(args);
    EXPECT_LT(std::chrono::steady_clock::now() - start, kPrompt);
    EXPECT_EQ(run.status, 1) << run.err;
    for (const std::string& part : parts) EXPECT_TRUE(contains(run.err, part)) << run.err << "\nmissing: " << part;
  }
};

TEST_F(ZipBombCli, NpzInflatingToAGibibyte) {
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (268435456,), }";
  std::string padded = header;
  while ((10 + padded.size() + 1) % 64) padded += ' ';
  padded += '\n';
  DeflateStream stream;
  stream.text(std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(padded.size()) + '\0' + padded).zeros(kGiB);
  write_file(path("bomb.npz"), build_zip({TestMember::deflated("a.npy", stream)}));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"inspect", path("bomb.npz")}, {"verify", path("bomb.npz")},
        {"convert", path("bomb.npz"), path("out.safetensors")}})
    expect_refusal(args, {path("bomb.npz"), "'a.npy'", "zip bomb"});
}

TEST_F(ZipBombCli, KerasWeightsInflatingToAGibibyte) {
  DeflateStream config, weights;
  config.text("{}");
  weights.zeros(kGiB);
  write_file(path("bomb.keras"), build_zip({TestMember::deflated("config.json", config),
                                            TestMember::deflated("model.weights.h5", weights)}));
  expect_refusal({"convert", path("bomb.keras"), path("out.npz")},
                 {path("bomb.keras"), "'model.weights.h5'", "zip bomb"});
}

TEST_F(ZipBombCli, KerasConfigLargerThanAModelConfig) {
  // 65 MiB of JSON whitespace; a stored member makes the archive large enough for the ratio to allow it.
  DeflateStream config;
  config.zeros(65 << 20);
  write_file(path("big.keras"), build_zip({TestMember::deflated("config.json", config),
                                           TestMember::stored("padding", std::vector<uint8_t>(700'000, 1))}));
  expect_refusal({"convert", path("big.keras"), path("out.npz")}, {path("big.keras"), "'config.json'", "64 MiB"});
}

}  // namespace
}  // namespace cairn::testing
