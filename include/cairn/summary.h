// TensorBoard event files: a writer of scalars, a reader, and the Keras TensorBoard callback.
//
//   EventFileWriter writer("logs/run1");
//   writer.add_scalar("loss", 0.25, /*step=*/3);
//   writer.flush();  // TensorBoard sees it now
//
// An event file is a sequence of TFRecords (uint64 length, masked CRC-32C of the length, the data,
// masked CRC-32C of the data), each a serialized tensorflow.Event proto; the first holds the
// file_version "brain.Event:2". Scalars are written as TensorFlow 2's tf.summary.scalar writes them: a
// rank-0 DT_FLOAT tensor with the "scalars" plugin's metadata.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/env.h"

namespace cairn {

// Writes one new event file, <log_dir>/events.out.tfevents.<10-digit unix seconds>.<hostname><suffix>
// (TensorFlow's name; TF2 uses the suffix ".<pid>.<n>.v2"). The directory is created when missing; an
// existing file of that name is an IOError, never overwritten. The file_version record is written and
// flushed at once, so TensorBoard lists the run from the start.
class EventFileWriter {
 public:
  explicit EventFileWriter(std::string log_dir, Env& env = Env::Default(), std::string filename_suffix = "");

  // One scalar event at `step`, stored as float32 as TensorFlow does. wall_time is seconds since the
  // epoch, now when not given. InvalidArgument for an empty tag.
  void add_scalar(const std::string& tag, double value, int64_t step, std::optional<double> wall_time = {});
  // Hands the events written so far to the operating system: other processes (TensorBoard) can read
  // them, though they are durable only after close().
  void flush();
  // Flushes, fsyncs the file and its directory, and closes it. Later writes are IOErrors; a second
  // close does nothing. Destroying a writer that was not closed flushes without fsync.
  void close();
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& serialized_event);

  Env& env_;
  std::string log_dir_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  bool closed_ = false;
};

// One scalar of an event file.
struct ScalarEvent {
  std::string run;  // the file's directory relative to the directory read ("" for that directory itself)
  int64_t step = 0;
  std::string tag;
  double value = 0;
  double wall_time = 0;
};

// The scalars of an event file, or of every event file (a file whose name contains "tfevents") in a
// directory and its subdirectories, as TensorBoard finds runs. Both scalar encodings are read: TF1's
// simple_value and TF2's rank-0 float tensor of a tag whose metadata names the "scalars" plugin; other
// summaries (histograms, graphs...) are skipped. Order: runs depth-first with names sorted, the files of
// a run sorted by name, events in file order.
// The walk never follows a symlink out of the directory, around a loop, or to a file it reads anyway: a
// symlink named like an event file is read when it leads to a regular file in the tree that is read
// under no other name, and symlinks to directories are not followed. Only regular files are opened.
// Files are read one record at a time: both CRCs of every record are checked, and damage is a
// FormatError naming the file and the record's offset; a record longer than 256 MiB is a
// ResourceLimitError. A file that ends inside its last record (as while a writer is still writing it)
// gives the events before that record, with a warning, as TensorBoard does.
// Warnings (what was skipped, and why) go to `warnings` when given, else to stderr, one line each.
// Errors name the file: IOError when it cannot be read, or when path_or_dir is a FIFO, socket or device.
std::vector<ScalarEvent> read_scalar_events(const std::string& path_or_dir, Env& env = Env::Default(),
                                            std::vector<std::string>* warnings = nullptr);

// Logs training to TensorBoard as Keras's TensorBoard callback does (tf.keras 2.x): at the end of each
// epoch, every log entry `key` as the scalar "epoch_<key>" at step = epoch index, the training entries
// in <log_dir>/train and the val_* entries (without "val_") in <log_dir>/validation, where the val_*
// entries also go as "evaluation_<key>_vs_iterations" at step = optimizer iterations (Keras writes
// those when validation ends). With update_freq N, the logs of every Nth training batch (counted by the
// optimizer's iterations, across epochs and resumed runs) go to train as "batch_<key>" at step =
// iterations. Each fit writes new event files, flushed every epoch and closed when training ends.
class TensorBoard : public Callback {
 public:
  // update_freq: "epoch" (no batch scalars) or "batch" (every batch).
  explicit TensorBoard(std::string log_dir, const std::string& update_freq = "epoch",
                       Env& env = Env::Default());
  // Batch scalars every update_freq batches (InvalidArgument unless positive).
  TensorBoard(std::string log_dir, int64_t update_freq, Env& env = Env::Default());

  void on_train_begin(const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  EventFileWriter& writer(std::unique_ptr<EventFileWriter>& slot, const std::string& subdirectory);

  std::string log_dir_;
  int64_t update_freq_;  // 0: epoch
  Env& env_;
  std::unique_ptr<EventFileWriter> train_writer_, validation_writer_;
};

}  // namespace cairn
