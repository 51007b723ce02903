// read_scalar_events: the scalars of TensorBoard event files, in either of TensorFlow's encodings.
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
#include "summary/record.h"

namespace cairn {
namespace {

constexpr char kScalarsPlugin[] = "scalars";

// Per run, as TensorBoard keeps it: whether a tag's values are scalars, from the metadata of the tag's
// first value that carries any (TensorFlow writes it on every value, but only the first is required).
using TagIsScalar = std::map<std::string, bool>;

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

void read_event_file(Env& env, const std::string& path, const std::string& run, TagIsScalar& tag_is_scalar,
                     std::vector<ScalarEvent>& events, const Warnings& warn) {
  const std::unique_ptr<RandomAccessFile> file = env.new_random_access_file(path);
  tfrecord::RecordReader reader(*file);
  proto::Event event;
  while (std::optional<tfrecord::Record> record = reader.next()) {
    const std::string where = path + ": the record at offset " + std::to_string(record->offset);
    if (!event.ParseFromArray(record->data.data(), static_cast<int>(record->data.size())))
      throw FormatError(where + " is not an Event proto");
    if (!event.has_summary()) continue;
    for (const proto::Summary::Value& entry : event.summary().value()) {
      if (entry.has_metadata())
        tag_is_scalar.try_emplace(entry.tag(),
                                  entry.metadata().plugin_data().plugin_name() == kScalarsPlugin);
      const auto known = tag_is_scalar.find(entry.tag());
      const bool tag_is_a_scalar = known != tag_is_scalar.end() && known->second;
      std::optional<double> value;
      if (entry.value_case() == proto::Summary::Value::kSimpleValue) {
        value = entry.simple_value();
      } else if (entry.value_case() == proto::Summary::Value::kTensor && tag_is_a_scalar) {
        value = scalar_of(entry.tensor());
        if (!value)
          throw FormatError(where + ": the scalar '" + entry.tag() +
                            "' is not a one-element float or double tensor (dtype " +
                            proto::DataType_Name(entry.tensor().dtype()) + ")");
      }
      if (value) events.push_back({run, event.step(), entry.tag(), *value, event.wall_time()});
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
  LogDirReader(Env& env, const Warnings& warn) : env_(env), warn_(warn) {}

  std::vector<ScalarEvent> read(const std::string& root) {
    walked_directories_.insert(id_of(env_.file_status(root, /*follow_symlinks=*/true)));
    scan(root, "");
    warn_about_directories_outside();
    std::vector<ScalarEvent> events;
    for (const Run& run : runs_) {
      TagIsScalar tag_is_scalar;
      for (const Candidate& candidate : run.files)
        if (!candidate.is_symlink || follow(candidate.path))
          read_event_file(env_, candidate.path, run.name, tag_is_scalar, events, warn_);
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
  std::vector<Run> runs_;
  std::vector<std::string> other_symlinks_;  // those whose names are not event files'
  std::set<FileId> walked_directories_;
  std::set<FileId> inside_;      // the regular files of the tree
  std::set<FileId> read_files_;  // the event files read (or to be read)
};

}  // namespace

std::vector<ScalarEvent> read_scalar_events(const std::string& path_or_dir, Env& env,
                                            std::vector<std::string>* warnings) {
  const Warnings warn(warnings);
  const FileStatus status = env.file_status(path_or_dir, /*follow_symlinks=*/true);
  if (status.type == FileStatus::Type::kDirectory) return LogDirReader(env, warn).read(path_or_dir);
  // Opening a FIFO would wait for a writer, and a device may never end.
  if (status.type == FileStatus::Type::kOther)
    throw IOError(path_or_dir + " is not a regular file or a directory (a FIFO, socket or device)");
  std::vector<ScalarEvent> events;
  TagIsScalar tag_is_scalar;
  read_event_file(env, path_or_dir, "", tag_is_scalar, events, warn);
  return events;
}

}  // namespace cairn
