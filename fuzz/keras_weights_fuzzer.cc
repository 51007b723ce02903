// A weights-only Keras HDF5 file loaded into a small model, in both layouts: tf.keras 2.x's ".h5" (layer
// groups at the root, matched by name) and Keras 3's ".weights.h5" (layers/<name>/vars/<i>). The input is
// a real file because load_weights takes a path.
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"
#include "hdf5_library_options.h"

namespace {

void load_into_small_model(const std::string& path, const cairn::LoadWeightsOptions& options) {
  cairn::Sequential model({std::make_shared<cairn::Dense>(3), std::make_shared<cairn::Dense>(2)}, cairn::Shape{4});
  model.load_weights(path, options);
}

}  // namespace

CAIRN_FUZZ_TARGET(keras_weights) {
  const std::string tf_keras_path = cairn::fuzz::write_input_file(data, size, ".h5");
  cairn::fuzz::expect_only_cairn_errors([&] { load_into_small_model(tf_keras_path, {.by_name = true}); });
  const std::string keras3_path = cairn::fuzz::write_input_file(data, size, ".weights.h5");
  cairn::fuzz::expect_only_cairn_errors([&] { load_into_small_model(keras3_path, {}); });
}
