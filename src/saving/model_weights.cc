// Model::save_weights / load_weights: TensorFlow checkpoints here, Keras's HDF5 files by the keras_io
// module below.
#include "cairn/checkpoint.h"
#include "cairn/error.h"
#include "cairn/internal/keras_io/weights_files.h"
#include "cairn/model.h"

namespace cairn {

namespace {

std::vector<CheckpointItem> weight_items(Model& model) {
  std::shared_ptr<Layer> self = model.weak_from_this().lock();
  if (!self) throw InvalidArgument("save_weights/load_weights: model \"" + model.name() + "\" must be owned by a std::shared_ptr");
  std::vector<CheckpointItem> items{CheckpointItem("", self)};
  if (model.optimizer_ptr()) items.emplace_back("optimizer", model.optimizer_ptr());
  return items;
}

}  // namespace

void Model::save_weights(const std::string& path) {
  if (is_keras_weights_file(path)) {
    save_hdf5_weights(*this, path);
    return;
  }
  Checkpoint checkpoint(weight_items(*this));
  checkpoint.write(path);
  CheckpointState state;
  state.model_checkpoint_path = path;
  state.all_model_checkpoint_paths = {path};
  write_checkpoint_state(checkpoint.env(), parent_dir(path), state);
}

void Model::load_weights(const std::string& path, const LoadWeightsOptions& options) {
  if (is_keras_weights_file(path)) {
    load_hdf5_weights(*this, path, options);
    return;
  }
  if (options.by_name || options.skip_mismatch)
    throw InvalidArgument("load_weights('" + path +
                          "'): by_name and skip_mismatch apply to HDF5 files (.h5) only; this is a TensorFlow "
                          "checkpoint, whose keys match objects by their place in the model");
  std::string prefix = path;
  if (Env::Default().is_directory(path)) {
    auto latest = latest_checkpoint(path);
    if (!latest) throw IOError("load_weights: no checkpoint found in directory '" + path + "'");
    prefix = *latest;
  }
  Checkpoint checkpoint(weight_items(*this));
  checkpoint.restore(prefix).expect_partial();
}

}  // namespace cairn
