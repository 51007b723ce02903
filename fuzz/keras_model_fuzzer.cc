// A whole-model Keras file as load_model reads it: HDF5 (.h5, through the HDF5 library's in-memory
// file images) or a .keras zip of JSON configs and an HDF5 weights file; the content decides which.
#include "cairn/keras_io.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"
#include "hdf5_library_options.h"

CAIRN_FUZZ_TARGET(keras_model) {
  cairn::fuzz::MemoryEnv env;
  env.add_file("model.h5", cairn::fuzz::as_text(data, size));
  cairn::fuzz::expect_only_cairn_errors([&] { cairn::load_model("model.h5", env); });
}
