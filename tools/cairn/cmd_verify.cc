// cairn verify PATH: reads every tensor, which checks every checksum and size the format has.
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "command.h"
#include "tensor_source.h"

namespace cairn::cli {
namespace {

int run_verify(const Args& args) {
  // A damaged index (or .npy/.npz) fails here, with a message naming the file.
  std::unique_ptr<TensorSource> source = TensorSource::open(args.positional("PATH"));
  const std::vector<TensorInfo>& tensors = source->tensors();
  std::vector<std::string> damage;  // distinct messages: a missing data file fails every key alike
  size_t damaged = 0, verified = 0, unverifiable = 0;
  uint64_t verified_bytes = 0;
  for (const TensorInfo& info : tensors) {
    if (!info.readable) {
      print_error("verify", "not verified: key '" + info.key + "': " + info.unreadable_reason);
      ++unverifiable;
      continue;
    }
    try {
      source->read(info.key);
      ++verified;
      verified_bytes += info.bytes;
    } catch (const Error& e) {
      ++damaged;
      if (std::find(damage.begin(), damage.end(), e.what()) == damage.end()) damage.push_back(e.what());
    }
  }
  for (const std::string& message : damage) print_error("verify", message);
  if (damaged > 0) {
    print_error("verify", "FAILED: " + std::to_string(damaged) + " of " + std::to_string(tensors.size()) +
                              " tensors damaged in " + source->path());
    return 1;
  }
  std::cout << "OK: " << verified << (verified == 1 ? " tensor, " : " tensors, ") << verified_bytes
            << " bytes verified in " << source->path();
  if (unverifiable > 0) std::cout << " (" << unverifiable << " of a kind cairn cannot read not verified)";
  std::cout << "\n";
  return 0;
}

const RegisterCommand kRegistration({
    .name = "verify",
    .summary = "check that every tensor of a checkpoint, .npy, .npz, .safetensors or Keras file is intact",
    .description =
        "Reads every tensor, which verifies the checksums of the index blocks and of every entry's data\n"
        "and that each entry lies inside its data file and has its shape's size. Prints\n"
        "\"OK: N tensors, B bytes verified in PATH\" and exits 0, or names each damaged file and key on\n"
        "stderr and exits 1. Tensors of dtypes cairn cannot read are reported as not verified. A\n"
        "safetensors file has no checksums: its header, offsets and sizes are checked, and bool bytes.\n"
        "Of a Keras .h5, .hdf5 or .keras file (its zip's CRCs checked), every HDF5 dataset is read, which\n"
        "checks that its data lies inside the file; a damaged one is named by its HDF5 path.",
    .positionals = {{"PATH", std::string(kPathOrKerasHelp)}},
    .run = run_verify,
});

}  // namespace
}  // namespace cairn::cli
