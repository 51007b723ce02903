// read_summary_events and read_scalar_events: the summaries of TensorBoard event files, in TensorFlow 1's
// and 2's encodings.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <type_traits>

#include "cairn/error.h"
#include "cairn/summary.h"
#include "summary/proto/event.pb.h"
#include "summary/proto/plugin_data.pb.h"
#include "record.h"

namespace cairn {
namespace {

constexpr char kScalarsPlugin[] = "scalars";

// Per run, as TensorBoard keeps it: the plugin of each tag, from the metadata of the tag's first value
// that carries any (TensorFlow writes it on every value, but only the first is required).
using TagPlugins = std::map<std::string, std::string>;

template <class T>
T little_endian(const std::string& bytes) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  Bits bits = 0;
  for (size_t i = 0; i < sizeof(T); ++i) bits |= static_cast<Bits>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  T value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The value of a one-element float or double tensor; nullopt for anything else.
std::optional<double> scalar_of(const proto::TensorProto& tensor) {
  for (const auto& dim : tensor.tensor_shape().dim())
    if (dim.size() != 1) return std::nullopt;
  const std::string& content = tensor.tensor_content();
  switch (tensor.dtype()) {
    case proto::DT_FLOAT:
      if (content.size() == 4) return little_endian<float>(content);
      if (content.empty() && tensor.float_val_size() == 1) return tensor.float_val(0);
      return std::nullopt;
    case proto::DT_DOUBLE:
      if (content.size() == 8) return little_endian<double>(content);
      if (content.empty() && tensor.double_val_size() == 1) return tensor.double_val(0);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Where read_scalar_events reports what it skips: the caller's list, or stderr.
class Warnings {
 public:
  explicit Warnings(std::vector<std::string>* sink) : sink_(sink) {}
  void operator()(const std::string& message) const {
    if (sink_)
      sink_->push_back(message);
    else
      std::cerr << "cairn: WARNING: " << message << std::endl;
  }

 private:
  std::vector<std::string>* sink_;
};

std::string shape_text(const proto::TensorProto& tensor) {
  std::string text = "(";
  for (int i = 0; i < tensor.tensor_shape().dim_size(); ++i)
    text += (i ? ", " : "") + std::to_string(tensor.tensor_shape().dim(i).size());
  return text + (tensor.tensor_shape().dim_size() == 1 ? ",)" : ")");
}

// The doubles of a float or double tensor, from tensor_content or the *_val fields; nullopt otherwise.
std::optional<std::vector<double>> doubles_of(const proto::TensorProto& tensor) {
  const std::string& content = tensor.tensor_content();
  std::vector<double> values;
  if (tensor.dtype() == proto::DT_DOUBLE) {
    if (content.size() % 8) return std::nullopt;
    for (size_t i = 0; i < content.size(); i += 8) values.push_back(little_endian<double>(content.substr(i, 8)));
    if (content.empty()) values.assign(tensor.double_val().begin(), tensor.double_val().end());
  } else if (tensor.dtype() == proto::DT_FLOAT) {
    if (content.size() % 4) return std::nullopt;
    for (size_t i = 0; i < content.size(); i += 4) values.push_back(little_endian<float>(content.substr(i, 4)));
    if (content.empty()) values.assign(tensor.float_val().begin(), tensor.float_val().end());
  } else {
    return std::nullopt;
  }
  return values;
}

std::string hparam_value_text(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      std::string text = std::to_string(value.number_value());
      return text.erase(text.find_last_not_of('0') + 1).erase(text.find_last_not_of('.') + 1);
    }
    case google::protobuf::Value::kBoolValue: return value.bool_value() ? "true" : "false";
    case google::protobuf::Value::kStringValue: return value.string_value();
    default: return "?";
  }
}

// What an hparams record says, in one line; nullopt when its plugin data is not HParamsPluginData.
std::optional<std::string> hparams_text(const std::string& content) {
  proto::tensorboard::HParamsPluginData data;
  if (!data.ParseFromString(content)) return std::nullopt;
  std::string text;
  switch (data.data_case()) {
    case proto::tensorboard::HParamsPluginData::kExperiment: {
      text = "experiment: hparams";
      for (const auto& info : data.experiment().hparam_infos()) text += " " + info.name();
      text += "; metrics";
      for (const auto& info : data.experiment().metric_infos())
        text += " " + info.name().group() + (info.name().group().empty() ? "" : "/") + info.name().tag();
      return text;
    }
    case proto::tensorboard::HParamsPluginData::kSessionStartInfo: {
      text = "session_start_info:";
      // Sorted by name: a protobuf map has no order.
      const auto& hparams = data.session_start_info().hparams();
      const std::map<std::string, google::protobuf::Value> sorted(hparams.begin(), hparams.end());
      bool first = true;
      for (const auto& [name, value] : sorted) {
        text += (first ? " " : ", ") + name + "=" + hparam_value_text(value);
        first = false;
      }
      if (!data.session_start_info().group_name().empty()) text += "; group " + data.session_start_info().group_name();
      return text;
    }
    case proto::tensorboard::HParamsPluginData::kSessionEndInfo:
      return "session_end_info: " + proto::tensorboard::Status_Name(data.session_end_info().status());
    default:
      return std::nullopt;
  }
}

// Decodes one summary value into `event` (its run, step, tag and time already set).
void decode_value(const proto::Summary::Value& entry, const std::string& plugin, const std::string& where,
                  SummaryEvent& event) {
  const auto malformed = [&](const std::string& what) {
    return FormatError(where + ": the " + what + " '" + entry.tag() + "' is malformed");
  };
  event.plugin = plugin;
  switch (entry.value_case()) {
    case proto::Summary::Value::kSimpleValue:
      event.kind = SummaryEvent::Kind::kScalar;
      event.value = entry.simple_value();
      return;
    case proto::Summary::Value::kHisto: {
      const proto::HistogramProto& histo = entry.histo();
      if (histo.bucket_size() != histo.bucket_limit_size()) throw malformed("histogram");
      event.kind = SummaryEvent::Kind::kHistogram;
      for (int i = 0; i < histo.bucket_size(); ++i)
        event.buckets.push_back({i == 0 ? histo.min() : histo.bucket_limit(i - 1), histo.bucket_limit(i), histo.bucket(i)});
      return;
    }
    case proto::Summary::Value::kImage:
      event.kind = SummaryEvent::Kind::kImages;
      event.width = entry.image().width();
      event.height = entry.image().height();
      event.images = 1;
      return;
    case proto::Summary::Value::kTensor:
      break;
    default:
      event.text = "a TF1 value of another kind";
      return;
  }
  const proto::TensorProto& tensor = entry.tensor();
  const auto& dims = tensor.tensor_shape().dim();
  if (plugin == kScalarsPlugin) {
    std::optional<double> value = scalar_of(tensor);
    if (!value)
      throw FormatError(where + ": the scalar '" + entry.tag() + "' is not a one-element float or double tensor (dtype " +
                        proto::DataType_Name(tensor.dtype()) + ")");
    event.kind = SummaryEvent::Kind::kScalar;
    event.value = *value;
  } else if (plugin == "histograms") {
    std::optional<std::vector<double>> rows = doubles_of(tensor);
    if (dims.size() != 2 || dims[1].size() != 3 || !rows || static_cast<int64_t>(rows->size()) != dims[0].size() * 3)
      throw malformed("histogram");
    event.kind = SummaryEvent::Kind::kHistogram;
    for (size_t i = 0; i < rows->size(); i += 3) event.buckets.push_back({(*rows)[i], (*rows)[i + 1], (*rows)[i + 2]});
  } else if (plugin == "images") {
    if (tensor.dtype() != proto::DT_STRING || tensor.string_val_size() < 2) throw malformed("images");
    int64_t width = 0, height = 0;
    try {
      width = std::stoll(tensor.string_val(0));
      height = std::stoll(tensor.string_val(1));
    } catch (const std::exception&) {
      throw malformed("images");
    }
    event.kind = SummaryEvent::Kind::kImages;
    event.width = width;
    event.height = height;
    event.images = tensor.string_val_size() - 2;
  } else if (plugin == "text" || plugin == "graph_keras_model") {
    if (tensor.dtype() != proto::DT_STRING) throw malformed(plugin == "text" ? "text" : "Keras model");
    event.kind = plugin == "text" ? SummaryEvent::Kind::kText : SummaryEvent::Kind::kKerasModel;
    for (int i = 0; i < tensor.string_val_size(); ++i) event.text += (i ? "\n" : "") + tensor.string_val(i);
  } else if (plugin == "hparams") {
    std::optional<std::string> text = hparams_text(entry.metadata().plugin_data().content());
    if (!text) throw malformed("hparams record");
    event.kind = SummaryEvent::Kind::kHParams;
    event.text = *text;
  } else {
    event.text = proto::DataType_Name(tensor.dtype()) + " " + shape_text(tensor);
  }
}

// What a reader keeps: every summary, or only scalars (read_scalar_events, which does not decode, and so
// does not judge, the others).
enum class Keep { kAll, kScalars };

void read_event_file(Env& env, const std::string& path, const std::string& run, TagPlugins& tag_plugins,
                     Keep keep, std::vector<SummaryEvent>& events, const Warnings& warn) {
  const std::unique_ptr<RandomAccessFile> file = env.new_random_access_file(path);
  tfrecord::RecordReader reader(*file);
  proto::Event event;
  while (std::optional<tfrecord::Record> record = reader.next()) {
    const std::string where = path + ": the record at offset " + std::to_string(record->offset);
    if (!event.ParseFromArray(record->data.data(), static_cast<int>(record->data.size())))
      throw FormatError(where + " is not an Event proto");
    if (!event.has_summary()) continue;
    for (const proto::Summary::Value& entry : event.summary().value()) {
      if (entry.has_metadata()) tag_plugins.try_emplace(entry.tag(), entry.metadata().plugin_data().plugin_name());
      const auto known = tag_plugins.find(entry.tag());
      const std::string& plugin = known == tag_plugins.end() ? "" : known->second;
      if (keep == Keep::kScalars && plugin != kScalarsPlugin &&
          entry.value_case() != proto::Summary::Value::kSimpleValue)
        continue;
      SummaryEvent decoded{.run = run, .step = event.step(), .tag = entry.tag(), .wall_time = event.wall_time()};
      decode_value(entry, plugin, where, decoded);
      if (keep == Keep::kAll || decoded.kind == SummaryEvent::Kind::kScalar) events.push_back(std::move(decoded));
    }
  }
  if (reader.truncation()) warn(*reader.truncation() + "; read the events before it");
}

bool is_event_file_name(const std::string& name) { return name.find("tfevents") != std::string::npos; }

struct FileId {
  uint64_t device, inode;
  auto operator<=>(const FileId&) const = default;
};

FileId id_of(const FileStatus& status) { return {status.device, status.inode}; }

// The runs of a log directory, found without ever following a symlink, then read. Symlinks are
// resolved only once the whole tree is known, so that none leads out of it, around a loop, or to a
// directory or file read a second time: a symlink is read only when it names an event file (its name
// contains "tfevents") and leads to a regular file inside the tree that nothing else reads.
class LogDirReader {
 public:
  LogDirReader(Env& env, const Warnings& warn, Keep keep) : env_(env), warn_(warn), keep_(keep) {}

  std::vector<SummaryEvent> read(const std::string& root) {
    walked_directories_.insert(id_of(env_.file_status(root, /*follow_symlinks=*/true)));
    scan(root, "");
    warn_about_directories_outside();
    std::vector<SummaryEvent> events;
    for (const Run& run : runs_) {
      TagPlugins tag_plugins;
      for (const Candidate& candidate : run.files)
        if (!candidate.is_symlink || follow(candidate.path))
          read_event_file(env_, candidate.path, run.name, tag_plugins, keep_, events, warn_);
    }
    return events;
  }

 private:
  struct Candidate {
    std::string path;
    bool is_symlink;
  };
  struct Run {
    std::string name;
    std::vector<Candidate> files;  // sorted by name
  };

  // Depth-first with names sorted: the files of a directory, then its subdirectories.
  void scan(const std::string& dir, const std::string& run_name) {
    std::vector<std::string> names = env_.list_dir(dir);
    std::sort(names.begin(), names.end());
    Run run{run_name, {}};
    std::vector<std::string> subdirectories;
    for (const std::string& name : names) {
      const std::string path = join_path(dir, name);
      const FileStatus status = env_.file_status(path, /*follow_symlinks=*/false);
      switch (status.type) {
        case FileStatus::Type::kDirectory:
          // A directory met twice (a bind mount of an ancestor) would be a loop.
          if (walked_directories_.insert(id_of(status)).second) subdirectories.push_back(name);
          break;
        case FileStatus::Type::kRegular:
          inside_.insert(id_of(status));
          // A second hard link to a file already found is the same events.
          if (is_event_file_name(name) && read_files_.insert(id_of(status)).second)
            run.files.push_back({path, false});
          break;
        case FileStatus::Type::kSymlink:
          if (is_event_file_name(name))
            run.files.push_back({path, true});
          else
            other_symlinks_.push_back(path);
          break;
        case FileStatus::Type::kOther:
          if (is_event_file_name(name)) warn_(path + " is not a regular file (a FIFO, socket or device): skipped");
          break;
        case FileStatus::Type::kMissing:  // removed while listed
          break;
      }
    }
    runs_.push_back(std::move(run));
    for (const std::string& name : subdirectories)
      scan(join_path(dir, name), run_name.empty() ? name : run_name + "/" + name);
  }

  // A symlink to a directory of the tree (a loop, an alias of a run) is not followed, silently: that
  // directory is read under its own name. One to a directory outside may hide runs the user expects.
  void warn_about_directories_outside() {
    for (const std::string& path : other_symlinks_) {
      FileStatus target;
      try {
        target = env_.file_status(path, /*follow_symlinks=*/true);
      } catch (const IOError&) {  // a loop of symlinks leads nowhere
        continue;
      }
      if (target.type == FileStatus::Type::kDirectory && !walked_directories_.contains(id_of(target)))
        warn_(path + " is a symlink to a directory outside the log directory: not followed");
    }
  }

  // Whether to read the event file a symlink leads to.
  bool follow(const std::string& path) {
    FileStatus target;
    try {
      target = env_.file_status(path, /*follow_symlinks=*/true);
    } catch (const IOError& error) {  // a loop of symlinks
      warn_(std::string(error.what()) + ": skipped");
      return false;
    }
    if (target.type == FileStatus::Type::kMissing) {
      warn_(path + " is a symlink to nothing: skipped");
      return false;
    }
    if (target.type != FileStatus::Type::kRegular) {
      warn_(path + " is a symlink to something other than a regular file: skipped");
      return false;
    }
    if (!inside_.contains(id_of(target))) {
      warn_(path + " is a symlink that leads out of the log directory: not followed");
      return false;
    }
    return read_files_.insert(id_of(target)).second;  // read already, under its own name
  }

  Env& env_;
  const Warnings& warn_;
  Keep keep_;
  std::vector<Run> runs_;
  std::vector<std::string> other_symlinks_;  // those whose names are not event files'
  std::set<FileId> walked_directories_;
  std::set<FileId> inside_;      // the regular files of the tree
  std::set<FileId> read_files_;  // the event files read (or to be read)
};

std::vector<SummaryEvent> read_events(const std::string& path_or_dir, Env& env, std::vector<std::string>* warnings,
                                      Keep keep) {
  const Warnings warn(warnings);
  const FileStatus status = env.file_status(path_or_dir, /*follow_symlinks=*/true);
  if (status.type == FileStatus::Type::kDirectory) return LogDirReader(env, warn, keep).read(path_or_dir);
  // Opening a FIFO would wait for a writer, and a device may never end.
  if (status.type == FileStatus::Type::kOther)
    throw IOError(path_or_dir + " is not a regular file or a directory (a FIFO, socket or device)");
  std::vector<SummaryEvent> events;
  TagPlugins tag_plugins;
  read_event_file(env, path_or_dir, "", tag_plugins, keep, events, warn);
  return events;
}

}  // namespace

std::vector<SummaryEvent> read_summary_events(const std::string& path_or_dir, Env& env,
                                              std::vector<std::string>* warnings) {
  return read_events(path_or_dir, env, warnings, Keep::kAll);
}

std::vector<ScalarEvent> read_scalar_events(const std::string& path_or_dir, Env& env,
                                            std::vector<std::string>* warnings) {
  std::vector<ScalarEvent> scalars;
  for (SummaryEvent& event : read_events(path_or_dir, env, warnings, Keep::kScalars))
    scalars.push_back({std::move(event.run), event.step, std::move(event.tag), event.value, event.wall_time});
  return scalars;
}

}  // namespace cairn
