// Keras's HDF5 weights files (".h5": tf.keras 2.x's layout; ".weights.h5": Keras 3's), which
// Model::save_weights / load_weights (the saving module, above this one) hand to the keras_io module.
// Internal to cairn: the keras_io module's interface to the modules above it, not installed.
#pragma once

#include <string>

#include "cairn/model.h"

namespace cairn {

// True for the names Keras saves as HDF5 rather than as a TensorFlow checkpoint (.h5, .hdf5, .keras).
inline bool is_keras_weights_file(const std::string& path) {
  return path.ends_with(".h5") || path.ends_with(".hdf5") || path.ends_with(".keras");
}

// The weights (and, for ".weights.h5", the optimizer state and random streams) of a built model, written
// atomically. InvalidArgument for ".keras", which holds a whole model (save_model).
void save_hdf5_weights(Model& model, const std::string& path);
// Reads them back, matching layers by order or by name (options); also the weights of a whole-model
// .h5 or .keras file.
void load_hdf5_weights(Model& model, const std::string& path, const LoadWeightsOptions& options);

}  // namespace cairn
