// What `cairn train`, `evaluate` and `predict` share: reading data (a named dataset or files) and
// shaping it for a model, the layout of a run directory, and loading a trained model from one.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/data.h"
#include "cairn/model.h"

namespace cairn::cli {

// ---- option values

// The integer value of --NAME (fallback when not given); UsageError unless it is an integer in
// [minimum, maximum].
int64_t int_option(const Args& args, const std::string& name, int64_t fallback, int64_t minimum,
                   int64_t maximum = std::numeric_limits<int64_t>::max());
// The number value of --NAME; UsageError unless it is a finite number.
std::optional<double> number_option(const Args& args, const std::string& name);
// "a,b" -> {"a", "b"}; "" -> {}.
std::vector<std::string> comma_list(const std::string& text);

// ---- data

// --data, --x, --y, --label-column, --header.
std::vector<OptionSpec> labeled_data_options();

// Those options' values, as a run directory records them (so that evaluate finds the run's data).
struct DataOptions {
  std::optional<std::string> data, x, y, label_column;
  bool header = false;
  bool given() const { return data || x || y || label_column || header; }
};
DataOptions data_options(const Args& args);
Json data_options_to_json(const DataOptions& options);
// FormatError naming `source` for a value that is not what data_options_to_json writes.
DataOptions data_options_from_json(const Json& json, const std::string& source);

enum class Split { Train, Test };

// The data that --data NAME or --x/--y name: the Train or Test part of a dataset (generated and file
// datasets have both), or the files whole. UsageError for an unknown dataset or a bad combination of
// options; the library's errors for unreadable files.
LabeledData load_labeled_data(const Args& args, Split split);
LabeledData load_labeled_data(const DataOptions& options, Split split);
// The inputs of one file: .npy, .csv (every column a feature) or IDX (any other name, gzipped or not).
Tensor load_inputs(const std::string& path, bool csv_header);
// x as the model takes it: uint8 (image pixels) scaled to [0, 1] in float32, float64 narrowed to
// float32, and rows reshaped to the model's input shape when only the layout differs (28x28 images for
// a model of 784 inputs or of 28x28x1). Other mismatches are left for the model to report.
Tensor prepare_inputs(const Tensor& x, const Model& model);
// Integer labels as int64 (IDX labels are uint8); others unchanged.
Tensor prepare_labels(const Tensor& y);

// ---- run directories

// What `cairn train` writes in its --checkpoint-dir.
inline constexpr const char* kModelFile = "model.json";                     // model_to_json
inline constexpr const char* kTrainingConfigFile = "training_config.json";  // loss, metrics, optimizer
inline constexpr const char* kFinalWeights = "final";                       // save_weights at the end
inline constexpr const char* kBackupDir = "backup";                         // BackupAndRestore
inline constexpr const char* kEpochCheckpoints = "cp-{epoch:04d}.ckpt";     // ModelCheckpoint
// The run's settings (data, batch size, seed...), its target epochs and, once finished, the epochs done.
inline constexpr const char* kRunFile = "run.json";

// The data options recorded in the run directory of run_or_weights (a run directory, or a checkpoint in
// one), when it has a run file.
std::optional<DataOptions> recorded_data_options(const std::string& run_or_weights);

struct TrainedModel {
  std::shared_ptr<Model> model;         // with the weights loaded
  std::string weights;                  // the checkpoint prefix or Keras file the weights came from
  std::optional<Json> training_config;  // the run's training_config.json (or the Keras file's), if any
};

// Whether a path names a Keras model file (.h5, .hdf5, .keras).
bool is_keras_file(const std::string& path);

// What save_weights writes: the model as the root object and, once compiled, its optimizer.
std::vector<CheckpointItem> model_items(const std::shared_ptr<Model>& model);

// A run directory (its latest checkpoint: final once training has finished), a checkpoint prefix (a
// run's cp-0003.ckpt, or its .index file) or a Keras model file. For checkpoints the architecture comes
// from model_file or else the model.json of their directory. with_optimizer: also compile the model as
// its training config says and restore the optimizer's state, when the checkpoint has it (a Keras file
// comes compiled when it has a training config). Otherwise the model of a checkpoint is not compiled.
TrainedModel load_trained_model(const std::string& run_or_weights, const std::optional<std::string>& model_file,
                                bool with_optimizer = false);

// The compile options of a trained model: --loss and --metrics when given, else the run's
// training_config. UsageError when there is neither a loss option nor a training config.
CompileOptions evaluation_compile_options(const TrainedModel& trained, const std::optional<std::string>& loss,
                                          const std::optional<std::string>& metrics);

// A loss from --loss: a Keras identifier ("mse") or a JSON config ('{"class_name": ..., "config": ...}').
LossPtr loss_option(const std::string& text);

}  // namespace cairn::cli
