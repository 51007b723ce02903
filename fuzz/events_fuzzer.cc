// A TensorBoard event file: TFRecords with their CRCs, Event and Summary protos, scalar values, and every
// other summary read_summary_events decodes (histograms, images, text, Keras models, hparams plugin data).
#include "cairn/summary.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(events) {
  cairn::fuzz::MemoryEnv env;
  env.add_file("events.out.tfevents.1.fuzz", cairn::fuzz::as_text(data, size));
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::read_scalar_events("events.out.tfevents.1.fuzz", env); });
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::read_summary_events("events.out.tfevents.1.fuzz", env); });
}
