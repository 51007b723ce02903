// Keras model files: the legacy HDF5 whole model of tf.keras 2.x (.h5, .hdf5) and Keras 3's zip (.keras),
// written so that Keras reads them and read back from files real Keras versions wrote:
//
//   save_model(*model, "model.h5");                  // or "model.keras"
//   std::shared_ptr<Model> same = load_model("model.h5");
//   same->train_on_batch(x, y);                       // continues exactly where `model` stopped
//
// The weights-only files of Model::save_weights / load_weights (".h5": tf.keras 2.x's layout with layer
// groups at the root; ".weights.h5": Keras 3's layout) are written and read by this module too; see
// model.h. Every write is atomic (a temporary file, fsynced, renamed over the destination), so a failed
// save leaves nothing new at the destination and a previous file intact. Reads check everything before
// they change anything; damaged files are FormatErrors naming the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/model.h"
#include "cairn/shape.h"
#include "cairn/tensor.h"

namespace cairn {

// Writes a Sequential or functional model with its weights, and, once compiled, its training config and
// optimizer state:
// * "*.h5" / "*.hdf5": root attributes model_config, training_config (compiled models), keras_version
//   and backend; group model_weights (layer_names, and per layer a group with weight_names and the
//   datasets "dense/kernel:0"...); group optimizer_weights ("Adam/iter:0", "Adam/dense/kernel/m:0"...).
// * "*.keras": a zip of metadata.json, config.json (model_config plus compile_config) and
//   model.weights.h5 (layers/<name>/vars/<i>, optimizer/vars/<i>).
// Both also keep the random streams of layers that draw random numbers (Dropout) in a group
// cairn_generator_states, which Keras ignores, so that training resumes exactly. InvalidArgument for
// another extension and for a subclassed model (it has no config); IOError when the file cannot be
// written.
void save_model(const Model& model, const std::string& path, Env& env = Env::Default());

// The model of a file save_model or Keras wrote (.h5 / .hdf5 / .keras; the content decides between
// HDF5 and zip). A file with a training config gives a compiled model whose optimizer state is restored:
// its next training step equals the saved model's next step bit for bit. FormatError naming the file
// for damaged content, an unknown layer class (named) or a config cairn cannot honour; ShapeError
// naming the layer and both shapes when weights do not fit; InvalidArgument for other extensions and
// for directories (export directories are read by load_exported_model).
std::shared_ptr<Model> load_model(const std::string& path, Env& env = Env::Default());

// One dataset of a Keras file: a weight, an optimizer variable or anything else the file holds.
struct KerasDataset {
  // Its HDF5 path ("/model_weights/dense/dense/kernel:0"); in a .keras zip, inside model.weights.h5
  // ("/layers/dense/vars/0").
  std::string path;
  // numpy's name of the stored type ("float32", "float16", "int64"), or the HDF5 class of one numpy has
  // no plain name for ("string", "compound").
  std::string dtype;
  Shape shape;
  uint64_t bytes = 0;  // of its values: elements times the stored element's size
  // The dtype read() gives (float16 widened to float32, int8/int16/uint16/uint32 to int64); nullopt when
  // cairn cannot read the values.
  std::optional<DType> read_dtype;
};

// The datasets of a Keras .h5, .hdf5 or .keras file (the content decides; of a zip, its
// model.weights.h5), to list them and read each. The HDF5 file is opened, and its links checked, once.
class KerasFileDatasets {
 public:
  // FormatError naming the file for damaged content or one that is neither HDF5 nor a .keras zip;
  // IOError when it cannot be read.
  explicit KerasFileDatasets(const std::string& path, Env& env = Env::Default());
  ~KerasFileDatasets();
  KerasFileDatasets(const KerasFileDatasets&) = delete;
  KerasFileDatasets& operator=(const KerasFileDatasets&) = delete;

  const std::string& path() const;
  // Sorted bytewise by path.
  const std::vector<KerasDataset>& datasets() const;
  // The values of the dataset at `dataset_path` (as listed), in its read_dtype: reading checks that
  // they lie inside the file. FormatError naming the file and the dataset when they cannot be read;
  // InvalidArgument for a path that is not a listed, readable dataset.
  Tensor read(const std::string& dataset_path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn
