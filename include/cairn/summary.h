// TensorBoard event files: a writer of summaries (scalars, histograms, images, text, Keras model
// configs, hparams) and a reader. The Keras TensorBoard callback is in cairn/tensorboard.h.
//
//   EventFileWriter writer("logs/run1");
//   writer.add_scalar("loss", 0.25, /*step=*/3);
//   writer.add_histogram("dense/kernel/histogram", kernel, /*step=*/3);
//   writer.flush();  // TensorBoard sees it now
//
// An event file is a sequence of TFRecords (uint64 length, masked CRC-32C of the length, the data,
// masked CRC-32C of the data), each a serialized tensorflow.Event proto; the first holds the
// file_version "brain.Event:2". Every summary is written as TensorFlow 2's tf.summary writes it: a
// tensor with its plugin's metadata (scalars: a rank-0 DT_FLOAT tensor of the "scalars" plugin).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cairn/env.h"
#include "cairn/image.h"
#include "cairn/tensor.h"

namespace cairn {

// A hyperparameter's value, of one of the hparams plugin's types: a number, a bool or a string.
using HParamValue = std::variant<double, bool, std::string>;
using HParams = std::map<std::string, HParamValue>;

// A metric of the hparams plugin: the scalar `tag` of the run `group`, relative to the session's run
// ("train" or "validation" under a TensorBoard callback's log_dir).
struct HParamsMetric {
  std::string group;
  std::string tag;
};

// How a session (one training run) ended, as the hparams plugin's Status.
enum class SessionStatus { kUnknown = 0, kSuccess = 1, kFailure = 2, kRunning = 3 };

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
  // A histogram of the values of `values` (any shape and number type), as TensorFlow 2's
  // tf.summary.histogram writes it: a (buckets, 3) float64 tensor of rows (left edge, right edge,
  // count) of the "histograms" plugin. The buckets split [min, max] into equal widths, each counting the
  // values from its left edge up to (not including) its right edge, the last including max; when every
  // value is the same, all edges are that value and the last bucket counts them all; no values: all
  // zero. NaN values are not counted (TensorFlow's would make every edge NaN). InvalidArgument for an
  // empty tag or buckets < 1.
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step, int buckets = 30,
                     std::optional<double> wall_time = {});
  // Images as tf.summary.image writes them: a rank-1 string tensor holding the width and the height (in
  // decimal) and then each image as PNG, of the "images" plugin. All images must have one size
  // (InvalidArgument naming both otherwise, or when there is none).
  void add_images(const std::string& tag, const std::vector<Image>& images, int64_t step,
                  std::optional<double> wall_time = {});
  // Text (Markdown) as tf.summary.text writes it: a rank-0 string tensor of the "text" plugin.
  void add_text(const std::string& tag, const std::string& text, int64_t step, std::optional<double> wall_time = {});
  // A Keras model config (model.to_json()) as Keras's TensorBoard callback writes it with write_graph: a
  // rank-0 string tensor of the "graph_keras_model" plugin, which TensorBoard's Graphs tab draws.
  void add_keras_model(const std::string& tag, const std::string& model_json, int64_t step);
  // The hparams plugin's records, as tensorboard.plugins.hparams writes them (step 0, tags
  // "_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"). The
  // experiment lists the hyperparameters (typed by their values, each value its domain) and metrics;
  // a session start gives this run's values and its group (empty: a group of its own); its end, how
  // training ended. Times are now.
  void add_hparams_experiment(const HParams& hparams, const std::vector<HParamsMetric>& metrics);
  void add_hparams_session_start(const HParams& hparams, const std::string& group_name = "");
  void add_hparams_session_end(SessionStatus status);
  // Hands the events written so far to the operating system: other processes (TensorBoard) can read
  // them, though they are durable only after close().
  void flush();
  // Flushes, fsyncs the file and its directory, and closes it. Later writes are IOErrors; a second
  // close does nothing. Destroying a writer that was not closed flushes without fsync.
  void close();
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& serialized_event);
  void check_tag(const std::string& tag, const char* method) const;
  void write_hparams(const std::string& tag, const std::string& plugin_content);

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

// One bucket of a histogram: `count` values from `left` to `right`.
struct HistogramBucket {
  double left = 0;
  double right = 0;
  double count = 0;
};

// One summary of an event file, of any kind.
struct SummaryEvent {
  enum class Kind { kScalar, kHistogram, kImages, kText, kKerasModel, kHParams, kOther };
  std::string run;  // as in ScalarEvent
  int64_t step = 0;
  std::string tag;
  double wall_time = 0;
  Kind kind = Kind::kOther;
  std::string plugin;  // the plugin the tag's metadata names ("" when none does)
  double value = 0;                      // kScalar
  std::vector<HistogramBucket> buckets;  // kHistogram
  int64_t width = 0, height = 0;         // kImages: the size of each image
  int64_t images = 0;                    // kImages: how many
  // kText: the text (a tensor of several strings: one a line); kKerasModel: the model's JSON;
  // kHParams: what the record holds ("session_start_info: lr=0.1, optimizer=adam"); kOther: the
  // tensor's dtype and shape, or the TF1 value kind.
  std::string text;
};

// Every summary of an event file or a log directory, found and checked as read_scalar_events does (the
// same runs, order, warnings and errors). Besides both scalar encodings it decodes TF2's histograms
// ((k, 3) tensors of the "histograms" plugin) and TF1's (HistogramProto), TF2's images (string tensors
// of the width, height and encoded images) and TF1's, text, Keras model configs and the hparams
// plugin's records; anything else is kOther. A summary of a known plugin whose tensor does not have
// that plugin's form is a FormatError naming the file, the record's offset and the tag.
std::vector<SummaryEvent> read_summary_events(const std::string& path_or_dir, Env& env = Env::Default(),
                                              std::vector<std::string>* warnings = nullptr);

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

}  // namespace cairn
