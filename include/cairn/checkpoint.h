// Object-based checkpoints, as tf.train.Checkpoint: named objects (a model, an optimizer, a step
// variable, random generators, a data iterator, callbacks) saved under TensorFlow 2's keys
// ("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE", "optimizer/_iterations/...",
// "optimizer/_variables/1/...", "save_counter") with the "_CHECKPOINTABLE_OBJECT_GRAPH" entry, in the
// TensorFlow checkpoint V2 format (prefix.index + prefix.data-00000-of-00001). The object graph is the
// one tf-keras (2.11+) writes for the same model and optimizer, so that TensorFlow restores the file into
// them with tf.train.Checkpoint(model=, optimizer=).restore(path).assert_consumed(); cairn's own state
// (random generators of layers, hyperparameters other than the learning rate) is stored beside it.
// Restores read that layout, the legacy one (TF 2.0-2.10, and cairn's files before: hyperparameters as
// optimizer children, slots under ".OPTIMIZER_SLOT"), and Keras 3's.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/env.h"
#include "cairn/layers/layer.h"
#include "cairn/optimizers.h"
#include "cairn/random.h"
#include "cairn/variable.h"

namespace cairn {

class BatchIterator;
class Model;

// One named child of a Checkpoint. The first item may be a layer or model with an empty name: it is then
// the root object, and its children's keys have no prefix (as in Keras's save_weights files). Layers and models contribute their variables (and the random
// generator of layers that draw, such as Dropout); optimizers their iterations, hyperparameters and
// slots (slots are listed for the trainable variables of the checkpoint's layers, in Keras's order).
struct CheckpointItem {
  CheckpointItem(std::string name, std::shared_ptr<Layer> layer) : name(std::move(name)), object(std::move(layer)) {}
  CheckpointItem(std::string name, std::shared_ptr<Optimizer> optimizer) : name(std::move(name)), object(std::move(optimizer)) {}
  CheckpointItem(std::string name, VariablePtr variable) : name(std::move(name)), object(std::move(variable)) {}
  CheckpointItem(std::string name, Generator* generator) : name(std::move(name)), object(generator) {}
  CheckpointItem(std::string name, BatchIterator* iterator) : name(std::move(name)), object(iterator) {}
  CheckpointItem(std::string name, std::shared_ptr<Callback> callback) : name(std::move(name)), object(std::move(callback)) {}
  template <class L>
    requires std::is_base_of_v<Layer, L>
  CheckpointItem(std::string name, std::shared_ptr<L> layer)
      : CheckpointItem(std::move(name), std::static_pointer_cast<Layer>(std::move(layer))) {}
  template <class O>
    requires std::is_base_of_v<Optimizer, O>
  CheckpointItem(std::string name, std::shared_ptr<O> optimizer)
      : CheckpointItem(std::move(name), std::static_pointer_cast<Optimizer>(std::move(optimizer))) {}

  std::string name;
  std::variant<std::shared_ptr<Layer>, std::shared_ptr<Optimizer>, VariablePtr, Generator*, BatchIterator*,
               std::shared_ptr<Callback>>
      object;
};

// TensorFlow's key of the object graph in a checkpoint, a DT_STRING scalar.
inline constexpr const char* kCheckpointObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

// What a restore matched, as tf.train.Checkpoint.restore's status object.
class RestoreStatus {
 public:
  // Every value in the checkpoint was used and every object of the checkpoint got a value.
  const RestoreStatus& assert_consumed() const;
  // Every object of this Checkpoint that the file has values for got them (unused file keys allowed).
  const RestoreStatus& assert_existing_objects_matched() const;
  // Silences warnings about unused values (partial restores are fine).
  const RestoreStatus& expect_partial() const { return *this; }
  const std::vector<std::string>& unused_keys() const { return unused_keys_; }
  const std::vector<std::string>& missing_keys() const { return missing_keys_; }
  const std::string& path() const { return path_; }

 private:
  friend class Checkpoint;
  std::string path_;
  std::vector<std::string> unused_keys_;   // in the file, not in the objects
  std::vector<std::string> missing_keys_;  // in the objects, not in the file
};

class AsyncCheckpointWriter;
class CheckpointManager;
class ModelCheckpoint;

// tf.train.CheckpointOptions.
struct CheckpointOptions {
  // Save in the background: the call returns once the values are copied into staging buffers, and a
  // background thread writes, checksums, fsyncs and commits the checkpoint exactly as a synchronous
  // save would (a kill at any moment leaves the previous checkpoint intact and the new one complete or
  // invisible). At most one save is in flight: the next save, sync(), restore(), the CheckpointManager's
  // calls and the Checkpoint's destruction wait for it. A failure in the background is thrown by the
  // next of these calls (the save counter and the latest checkpoint are then as before that save);
  // the destructor prints it on stderr. Memory: the staging buffers hold one more copy of the saved
  // state, kept for the next save. See src/saving/async_checkpoint_writer.h.
  bool enable_async = false;
};

class Checkpoint {
 public:
  explicit Checkpoint(std::vector<CheckpointItem> items, Env& env = Env::Default());
  ~Checkpoint();  // waits for a save in flight
  Checkpoint(Checkpoint&&) noexcept;

  // Writes prefix-N with N the incremented save counter, records it in the directory's `checkpoint`
  // state file, and returns the path. Either the whole checkpoint is there afterwards or nothing new.
  std::string save(const std::string& prefix, const CheckpointOptions& options = {});
  // Writes exactly `path` (no numbering, state file untouched); returns it.
  std::string write(const std::string& path, const CheckpointOptions& options = {});
  // Waits for an asynchronous save to finish; throws its failure (tf.train.Checkpoint.sync).
  void sync();
  // Readies asynchronous saves: allocates the staging buffers for the state as it is now on the
  // background thread and returns at once, so that the first save with enable_async only copies
  // instead of also faulting in fresh pages while training waits. Call it once the state exists (after
  // the first training step, which creates the optimizer's slots); a save waits for it to finish. It
  // takes the memory the first asynchronous save would take; a failure is thrown by the next call.
  void reserve_async_staging();
  // Reads `path` (a prefix), checks every key's dtype and shape against the objects, and only then
  // assigns them all: a failed restore changes nothing. ShapeError names the key and both shapes;
  // FormatError/IOError name the file.
  RestoreStatus restore(const std::string& path);

  const VariablePtr& save_counter() const { return save_counter_; }
  Env& env() const { return env_; }
  // The key -> tensor map this checkpoint would write now (for tests and tools).
  std::vector<std::pair<std::string, Tensor>> values() const;
  // The object graph (a serialized TrackableObjectGraph) that a checkpoint written now stores beside
  // values() under kCheckpointObjectGraphKey: for writers of other layouts (sharded checkpoints).
  std::string object_graph() const;

 private:
  friend class CheckpointManager;
  friend class ModelCheckpoint;
  // write(), then `commit` (recording the checkpoint), both in the background when asynchronous. When
  // either fails, `undo` runs before the failure is thrown (at the next call, when asynchronous).
  std::string write_and_commit(const std::string& path, const CheckpointOptions& options,
                               std::function<void()> commit, std::function<void()> undo);

  std::vector<CheckpointItem> items_;
  VariablePtr save_counter_;
  Env& env_;
  std::unique_ptr<AsyncCheckpointWriter> async_;  // created by the first asynchronous save
};

// The state file of a checkpoint directory (TensorFlow's text CheckpointState in `dir/checkpoint`).
struct CheckpointState {
  std::string model_checkpoint_path;
  std::vector<std::string> all_model_checkpoint_paths;
  std::vector<double> all_model_checkpoint_timestamps;
  double last_preserved_timestamp = 0;
};
std::string checkpoint_state_to_text(const CheckpointState& state);
CheckpointState checkpoint_state_from_text(const std::string& text, const std::string& source);
// Reads dir/checkpoint; nullopt when the file does not exist. FormatError when unparsable. Relative
// paths come back joined with dir (as TensorFlow's get_checkpoint_state).
std::optional<CheckpointState> read_checkpoint_state(Env& env, const std::string& dir);
// Replaces dir/checkpoint atomically (temp file, fsync, rename, fsync dir). Paths are stored
// relative to dir when they are inside it.
void write_checkpoint_state(Env& env, const std::string& dir, const CheckpointState& state);

// tf.train.latest_checkpoint: the newest checkpoint recorded in dir/checkpoint whose index exists, as a
// path joined with dir; nullopt when there is none. FormatError when the state file is unparsable.
std::optional<std::string> latest_checkpoint(const std::string& dir, Env& env = Env::Default());

}  // namespace cairn
