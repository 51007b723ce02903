// The `checkpoint` state file of a checkpoint directory, byte for byte as TensorFlow writes it.
#include <algorithm>
#include <filesystem>

#include "cairn/checkpoint.h"
#include "cairn/error.h"
#include "cairn/tensor_bundle.h"
#include "checkpoint_files.h"
#include "paths.h"
#include "text_format.h"

namespace cairn {
namespace {

constexpr const char* kStateFileName = "checkpoint";
// A state file lists a few paths and numbers; anything much larger is not one.
constexpr uint64_t kMaxStateFileBytes = 16 << 20;
// No file system takes a longer path (Linux's PATH_MAX): a longer one cannot name a checkpoint.
constexpr size_t kMaxCheckpointPathBytes = 4096;

std::filesystem::path normalized_path(const std::string& dir) {
  std::filesystem::path normal = std::filesystem::path(dir.empty() ? "." : dir).lexically_normal();
  // "a/b/" normalizes to "a/b/" (an empty last element); compare as "a/b".
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path())
    normal = normal.parent_path();
  return normal;
}

}  // namespace

std::string path_relative_to(const std::string& dir, const std::string& path) {
  std::filesystem::path relative =
      std::filesystem::path(path).lexically_normal().lexically_relative(normalized_path(dir));
  if (relative.empty() || relative == "." || *relative.begin() == "..") return path;
  return relative.generic_string();
}

std::string checkpoint_state_to_text(const CheckpointState& state) {
  // Proto3 text: fields in field-number order, default values (empty string, 0) left out.
  std::string text;
  if (!state.model_checkpoint_path.empty())
    text += "model_checkpoint_path: " + text_format::quote(state.model_checkpoint_path) + "\n";
  for (const std::string& path : state.all_model_checkpoint_paths)
    text += "all_model_checkpoint_paths: " + text_format::quote(path) + "\n";
  for (double timestamp : state.all_model_checkpoint_timestamps)
    text += "all_model_checkpoint_timestamps: " + text_format::format_double(timestamp) + "\n";
  if (state.last_preserved_timestamp != 0)
    text += "last_preserved_timestamp: " + text_format::format_double(state.last_preserved_timestamp) + "\n";
  return text;
}

CheckpointState checkpoint_state_from_text(const std::string& text, const std::string& source) {
  CheckpointState state;
  for (const text_format::Field& field : text_format::parse(text, source)) {
    auto fail = [&](const std::string& what) -> void {
      throw FormatError("cannot parse " + source + ", line " + std::to_string(field.line) + ": " + what);
    };
    const std::string* string_value = std::get_if<std::string>(&field.value);
    const double* number_value = std::get_if<double>(&field.value);
    if (field.name == "model_checkpoint_path" || field.name == "all_model_checkpoint_paths") {
      if (!string_value) fail("field " + field.name + " needs a string");
      if (string_value->size() > kMaxCheckpointPathBytes)
        fail("field " + field.name + " is a path of " + std::to_string(string_value->size()) +
             " bytes, longer than any file system takes: " + excerpt(*string_value));
      // A repeated scalar field keeps the last value, as protobuf's text_format.Merge (used by TF) does.
      if (field.name == "model_checkpoint_path") {
        state.model_checkpoint_path = *string_value;
      } else {
        state.all_model_checkpoint_paths.push_back(*string_value);
      }
    } else if (field.name == "all_model_checkpoint_timestamps" || field.name == "last_preserved_timestamp") {
      if (!number_value) fail("field " + field.name + " needs a number");
      if (field.name == "last_preserved_timestamp") {
        state.last_preserved_timestamp = *number_value;
      } else {
        state.all_model_checkpoint_timestamps.push_back(*number_value);
      }
    } else {
      fail("unknown field " + excerpt(field.name) + " (not a CheckpointState)");
    }
  }
  if (state.model_checkpoint_path.empty())
    throw FormatError("invalid checkpoint state " + source + ": model_checkpoint_path is missing");
  return state;
}

std::optional<CheckpointState> read_checkpoint_state(Env& env, const std::string& dir) {
  std::string path = join_path(dir, kStateFileName);
  if (!env.file_exists(path)) return std::nullopt;
  CheckpointState state = checkpoint_state_from_text(read_small_text_file(env, path, "checkpoint state file"), path);
  // Relative paths are relative to the directory (TensorFlow's get_checkpoint_state).
  state.model_checkpoint_path = join_path(dir, state.model_checkpoint_path);
  for (std::string& p : state.all_model_checkpoint_paths) p = join_path(dir, p);
  return state;
}

void write_checkpoint_state(Env& env, const std::string& dir, const CheckpointState& state) {
  std::string path = join_path(dir, kStateFileName);
  if (state.model_checkpoint_path.empty())
    throw InvalidArgument("checkpoint state for " + path + ": model_checkpoint_path is empty");
  CheckpointState stored = state;
  // As TensorFlow: the newest checkpoint is always the last of all_model_checkpoint_paths.
  if (stored.all_model_checkpoint_paths.empty() ||
      stored.all_model_checkpoint_paths.back() != stored.model_checkpoint_path) {
    stored.all_model_checkpoint_paths.push_back(stored.model_checkpoint_path);
  }
  if (!stored.all_model_checkpoint_timestamps.empty() &&
      stored.all_model_checkpoint_timestamps.size() != stored.all_model_checkpoint_paths.size()) {
    throw InvalidArgument("checkpoint state for " + path + ": " +
                          std::to_string(stored.all_model_checkpoint_timestamps.size()) + " timestamps for " +
                          std::to_string(stored.all_model_checkpoint_paths.size()) + " checkpoints");
  }
  if (normalized_path(stored.model_checkpoint_path) == normalized_path(path))
    throw InvalidArgument("checkpoint path " + stored.model_checkpoint_path +
                          " is the state file's own name");
  stored.model_checkpoint_path = path_relative_to(dir, stored.model_checkpoint_path);
  for (std::string& p : stored.all_model_checkpoint_paths) p = path_relative_to(dir, p);
  write_file_atomically(env, path, checkpoint_state_to_text(stored));
}

std::string read_small_text_file(Env& env, const std::string& path, const std::string& what) {
  const uint64_t size = env.file_size(path);
  if (size > kMaxStateFileBytes)
    throw ResourceLimitError(path + " is " + std::to_string(size) + " bytes, more than a " + what + " holds (at most " +
                             std::to_string(kMaxStateFileBytes) + ")");
  return env.read_file(path);
}

bool is_data_file_of(const std::string& file, const std::string& base) {
  return file.starts_with(base + ".data-") && file.find(".tempstate") == std::string::npos;
}

bool checkpoint_complete(Env& env, const std::string& prefix) {
  if (!bundle_exists(env, prefix)) return false;
  const std::string base = prefix.substr(prefix.find_last_of('/') + 1);
  const std::vector<std::string> files = env.list_dir(parent_dir(prefix));
  return std::any_of(files.begin(), files.end(), [&](const std::string& file) { return is_data_file_of(file, base); });
}

std::optional<std::string> latest_checkpoint(const std::string& dir, Env& env) {
  std::optional<CheckpointState> state = read_checkpoint_state(env, dir);
  if (!state) return std::nullopt;
  if (checkpoint_complete(env, state->model_checkpoint_path)) return state->model_checkpoint_path;
  // The newest one is gone (deleted by hand, or a crash while it was being replaced or deleted): the
  // next newest.
  const auto& paths = state->all_model_checkpoint_paths;
  for (auto it = paths.rbegin(); it != paths.rend(); ++it)
    if (checkpoint_complete(env, *it)) return *it;
  return std::nullopt;
}

}  // namespace cairn
