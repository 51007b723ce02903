// The text `checkpoint` state file of a checkpoint directory, read as latest_checkpoint reads it.
#include "cairn/checkpoint.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(checkpoint_state) {
  cairn::fuzz::MemoryEnv env;
  env.add_file("dir/checkpoint", cairn::fuzz::as_text(data, size));
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::read_checkpoint_state(env, "dir"); });
}
