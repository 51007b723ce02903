#include "cairn/checkpoint_manager.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>
#include <set>

#include "cairn/error.h"
#include "cairn/tensor_bundle.h"
#include "checkpoint_files.h"
#include "paths.h"
#include "text_format.h"

namespace cairn {
namespace {

constexpr const char* kStateFileName = "checkpoint";
constexpr const char* kBestFileName = "checkpoint_best";

// A path for a message: paths come from state files, which a damaged file can make very long.
std::string shown_path(const std::string& path) {
  constexpr size_t kMaxShownPath = 512;
  return path.size() <= kMaxShownPath ? path : excerpt(path, kMaxShownPath);
}

void warn(const std::string& message) { std::cerr << "cairn: WARNING: " << message << std::endl; }

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// N when file is "<name>-<N>" followed by nothing or by ".<something>" (rest receives that part).
std::optional<int64_t> checkpoint_number_of(std::string_view file, const std::string& name,
                                            std::string_view* rest) {
  if (!file.starts_with(name) || file.size() <= name.size() + 1 || file[name.size()] != '-')
    return std::nullopt;
  std::string_view tail = file.substr(name.size() + 1);
  int64_t number = 0;
  const char* first = tail.data();
  auto [end, error] = std::from_chars(first, tail.data() + tail.size(), number);
  if (error != std::errc() || end == first) return std::nullopt;
  std::string_view after = tail.substr(static_cast<size_t>(end - first));
  if (!after.empty() && after.front() != '.') return std::nullopt;
  if (rest) *rest = after;
  return number;
}

// The complete checkpoints "<name>-<N>" in dir (their index and data exist), highest N first.
std::vector<std::string> numbered_checkpoints(Env& env, const std::string& dir, const std::string& name) {
  if (!env.file_exists(dir)) return {};
  const std::vector<std::string> files = env.list_dir(dir);
  std::vector<std::pair<int64_t, std::string>> found;
  for (const std::string& file : files) {
    std::string_view rest;
    auto number = checkpoint_number_of(file, name, &rest);
    if (!number || rest != ".index") continue;
    const std::string base = file.substr(0, file.size() - rest.size());
    if (std::any_of(files.begin(), files.end(), [&](const std::string& f) { return is_data_file_of(f, base); }))
      found.emplace_back(*number, join_path(dir, base));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> paths;
  for (auto& [number, path] : found) paths.push_back(std::move(path));
  return paths;
}

void append_unique(std::vector<std::string>& list, const std::string& path) {
  if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(path);
}

// Restores the first candidate that restores, warning about each one that does not.
std::optional<std::string> restore_first(Checkpoint& checkpoint, const std::vector<std::string>& candidates,
                                         const std::string& directory) {
  std::vector<std::string> failures;
  auto damaged = [&](const std::string& path, const Error& e) {
    warn("checkpoint " + shown_path(path) + " is damaged and was not restored: " + e.what());
    failures.push_back(shown_path(path) + ": " + e.what());
  };
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string& path = candidates[i];
    if (!checkpoint_complete(checkpoint.env(), path)) {
      // Older recorded ones may be gone on purpose (deleted by a sweep that a crash cut short).
      if (i == 0)
        warn("the newest checkpoint recorded in " + directory + ", " + shown_path(path) +
             ", does not exist or was partly deleted (no index or no data file)");
      continue;
    }
    try {
      checkpoint.restore(path);
      if (!failures.empty()) warn("restored the older checkpoint " + path + " instead");
      return path;
    } catch (const FormatError& e) {
      damaged(path, e);
    } catch (const IOError& e) {
      damaged(path, e);
    }
  }
  if (failures.empty()) return std::nullopt;
  std::string message = "no checkpoint in " + directory + " can be restored:";
  for (const std::string& failure : failures) message += "\n  " + failure;
  throw FormatError(message);
}

}  // namespace

CheckpointManager::CheckpointManager(Checkpoint& checkpoint, std::string directory,
                                     CheckpointManagerOptions options)
    : checkpoint_(checkpoint), directory_(std::move(directory)), options_(std::move(options)) {
  const auto& o = options_;
  if (o.max_to_keep && *o.max_to_keep <= 0)
    throw InvalidArgument("CheckpointManager: max_to_keep must be positive or unset, got " +
                          std::to_string(*o.max_to_keep));
  if (o.keep_checkpoint_every_n_hours && *o.keep_checkpoint_every_n_hours < 0)
    throw InvalidArgument("CheckpointManager: keep_checkpoint_every_n_hours must not be negative");
  if (o.checkpoint_name.empty() || o.checkpoint_name.find('/') != std::string::npos)
    throw InvalidArgument("CheckpointManager: checkpoint_name must be a file name, got '" +
                          o.checkpoint_name + "'");
  if (o.checkpoint_interval) {
    if (!o.step_counter) throw InvalidArgument("CheckpointManager: checkpoint_interval needs a step_counter");
    if (*o.checkpoint_interval < 0)
      throw InvalidArgument("CheckpointManager: checkpoint_interval must not be negative");
    if (o.step_counter->value().numel() != 1)
      throw InvalidArgument("CheckpointManager: the step counter " + o.step_counter->name() +
                            " is not a scalar");
  }
  if (o.monitor_mode != "min" && o.monitor_mode != "max")
    throw InvalidArgument("CheckpointManager: monitor_mode must be \"min\" or \"max\", got \"" +
                          o.monitor_mode + "\"");
  if (o.keep_best < 0) throw InvalidArgument("CheckpointManager: keep_best must not be negative");
  if (directory_.empty()) directory_ = ".";
  if (!checkpoint_.env().is_directory(directory_)) checkpoint_.env().create_dirs(directory_);
  lock_ = lock_directory(checkpoint_.env(), directory_);
  recover_state();
  recover_best();
}

double CheckpointManager::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t CheckpointManager::current_step() const {
  return static_cast<int64_t>(options_.step_counter->value().item());
}

bool CheckpointManager::better(double a, double b) const {
  return options_.monitor_mode == "min" ? a < b : a > b;
}

void CheckpointManager::recover_state() {
  Env& env = checkpoint_.env();
  const double clock = now();
  std::optional<CheckpointState> state;
  try {
    state = read_checkpoint_state(env, directory_);
  } catch (const FormatError& e) {
    // Nothing old is managed (so nothing old gets deleted); the newest file on disk is the latest.
    std::vector<std::string> on_disk = numbered_checkpoints(env, directory_, options_.checkpoint_name);
    if (!on_disk.empty()) latest_ = on_disk.front();
    warn(std::string(e.what()) + "; ignoring the state file" +
         (latest_ ? ", taking " + *latest_ + " as the latest checkpoint" : std::string()));
    last_preserved_timestamp_ = clock - 1;
    return;
  }
  if (!state) {
    // Slightly in the past, so that a manager re-created at once still counts its first save as new.
    last_preserved_timestamp_ = clock - 1;
    return;
  }
  latest_ = state->model_checkpoint_path;
  last_preserved_timestamp_ = state->last_preserved_timestamp;
  if (clock < last_preserved_timestamp_) {
    warn("the clock is behind the last preserved checkpoint's time in " +
         join_path(directory_, kStateFileName) + "; checkpoint times are clamped to now");
    last_preserved_timestamp_ = clock;
  }
  std::vector<double> timestamps = state->all_model_checkpoint_timestamps;
  if (timestamps.empty())
    timestamps.assign(state->all_model_checkpoint_paths.size(), last_preserved_timestamp_);
  const size_t n = std::min(timestamps.size(), state->all_model_checkpoint_paths.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string& path = state->all_model_checkpoint_paths[i];
    double timestamp = std::min(timestamps[i], clock);
    if (timestamp <= last_preserved_timestamp_) continue;
    auto same =
        std::find_if(tracked_.begin(), tracked_.end(), [&](const Entry& e) { return e.path == path; });
    if (same != tracked_.end()) {
      same->timestamp = timestamp;
    } else {
      tracked_.push_back({path, timestamp});
    }
  }
}

void CheckpointManager::recover_best() {
  if (options_.keep_best == 0) return;  // the file, if any, is left alone: nothing in it gets deleted
  Env& env = checkpoint_.env();
  const std::string file = join_path(directory_, kBestFileName);
  if (!env.file_exists(file)) return;
  std::string mode;
  std::vector<std::string> paths, preserved;
  std::vector<double> metrics, timestamps;
  try {
    for (const text_format::Field& field :
         text_format::parse(read_small_text_file(env, file, "record of the best checkpoints"), file)) {
      const std::string* text = std::get_if<std::string>(&field.value);
      const double* number = std::get_if<double>(&field.value);
      if (field.name == "monitor_mode" && text) {
        mode = *text;
      } else if (field.name == "best_checkpoint_paths" && text) {
        paths.push_back(*text);
      } else if (field.name == "preserved_checkpoint_paths" && text) {
        preserved.push_back(join_path(directory_, *text));
      } else if (field.name == "best_checkpoint_metrics" && number) {
        metrics.push_back(*number);
      } else if (field.name == "best_checkpoint_timestamps" && number) {
        timestamps.push_back(*number);
      } else {
        throw FormatError("cannot parse " + file + ", line " + std::to_string(field.line) +
                          ": unexpected field " + excerpt(field.name));
      }
    }
    if (metrics.size() != paths.size() || timestamps.size() != paths.size())
      throw FormatError(file + " lists " + std::to_string(paths.size()) + " checkpoints but " +
                        std::to_string(metrics.size()) + " metrics and " + std::to_string(timestamps.size()) +
                        " timestamps");
  } catch (const FormatError& e) {
    // The best checkpoints are no longer known as such; they stay on disk (nothing deletes them).
    warn(std::string(e.what()) + "; ignoring the record of the best checkpoints");
    return;
  }
  if (mode != options_.monitor_mode)
    throw InvalidArgument("CheckpointManager: " + file + " ranks checkpoints with monitor_mode \"" + mode +
                          "\" but this manager uses \"" + options_.monitor_mode +
                          "\"; delete the file to rank them anew (the checkpoints stay)");
  const double clock = now();
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string path = join_path(directory_, paths[i]);
    // A best checkpoint that was being overwritten when a crash came no longer holds what was ranked.
    if (!checkpoint_complete(env, path)) continue;
    bool kept = std::find(preserved.begin(), preserved.end(), path) != preserved.end();
    best_.push_back({path, metrics[i], std::min(timestamps[i], clock), kept});
  }
  std::stable_sort(best_.begin(), best_.end(),
                   [&](const Best& a, const Best& b) { return better(a.metric, b.metric); });
}

std::vector<std::string> CheckpointManager::checkpoints() const {
  checkpoint_.sync();
  std::vector<std::string> paths;
  for (const Entry& e : tracked_) paths.push_back(e.path);
  return paths;
}

std::vector<BestCheckpoint> CheckpointManager::best_checkpoints() const {
  checkpoint_.sync();
  std::vector<BestCheckpoint> out;
  for (const Best& b : best_) out.push_back({b.path, b.metric, b.timestamp});
  return out;
}

std::vector<std::string> CheckpointManager::remove_leftovers() {
  Env& env = checkpoint_.env();
  if (!env.file_exists(directory_)) return {};
  std::vector<std::string> entries = env.list_dir(directory_);
  std::set<std::string> present(entries.begin(), entries.end());
  std::set<std::string> doomed;              // files
  std::set<std::string> doomed_checkpoints;  // prefixes (file names without .index/.data-*)
  for (const std::string& file : entries) {
    std::string_view rest;
    if (file.starts_with(std::string(kStateFileName) + ".tempstate") ||
        file.starts_with(std::string(kBestFileName) + ".tempstate")) {
      doomed.insert(file);
    } else if (auto number = checkpoint_number_of(file, options_.checkpoint_name, &rest)) {
      // Temporary files of a save that died. Data files whose index is gone and indexes whose data is
      // gone (a deletion that died, the latter in the order of older versions): remove_bundle takes
      // their checkpoint, index first.
      std::string base = file.substr(0, file.size() - rest.size());
      if (rest.find(".tempstate") != std::string_view::npos) {
        doomed.insert(file);
      } else if (rest.starts_with(".data-") && !present.contains(base + ".index")) {
        doomed_checkpoints.insert(base);
      } else if (rest == ".index" && std::none_of(entries.begin(), entries.end(), [&](const std::string& f) {
                   return is_data_file_of(f, base);
                 })) {
        doomed_checkpoints.insert(base);
      }
    }
  }
  try {
    for (const std::string& file : doomed) env.remove_file(join_path(directory_, file));
    if (!doomed.empty()) env.sync_dir(directory_);
    for (const std::string& base : doomed_checkpoints) remove_bundle(env, join_path(directory_, base));
  } catch (const Error& e) {
    warn(std::string("cannot remove what an interrupted save or deletion left: ") + e.what());
  }
  if (doomed.empty() && doomed_checkpoints.empty()) return entries;
  return env.list_dir(directory_);
}

int64_t CheckpointManager::highest_number_in_use(const std::vector<std::string>& directory_entries) const {
  int64_t highest = 0;
  auto consider = [&](const std::string& file, bool need_index) {
    std::string_view rest;
    auto number = checkpoint_number_of(file, options_.checkpoint_name, &rest);
    if (number && (!need_index || rest == ".index")) highest = std::max(highest, *number);
  };
  for (const std::string& file : directory_entries) consider(file, true);
  for (const Entry& e : tracked_) consider(base_name(e.path), false);
  for (const Best& b : best_) consider(base_name(b.path), false);
  if (latest_) consider(base_name(*latest_), false);
  return highest;
}

void CheckpointManager::write_state(const std::string& latest, const std::vector<Entry>& tracked,
                                    double last_preserved_timestamp) const {
  CheckpointState state;
  state.model_checkpoint_path = latest;
  for (const Entry& e : tracked) {
    state.all_model_checkpoint_paths.push_back(e.path);
    state.all_model_checkpoint_timestamps.push_back(e.timestamp);
  }
  state.last_preserved_timestamp = last_preserved_timestamp;
  write_checkpoint_state(checkpoint_.env(), directory_, state);
}

void CheckpointManager::write_best(const std::vector<Best>& best) const {
  // Protobuf-style text like the state file, parallel lists as TensorFlow's CheckpointState has them.
  std::string text = "# cairn CheckpointManager: checkpoints kept for their metric, best first\n";
  text += "monitor_mode: " + text_format::quote(options_.monitor_mode) + "\n";
  for (const Best& b : best)
    text += "best_checkpoint_paths: " + text_format::quote(path_relative_to(directory_, b.path)) + "\n";
  for (const Best& b : best)
    text += "best_checkpoint_metrics: " + text_format::format_double(b.metric) + "\n";
  for (const Best& b : best)
    text += "best_checkpoint_timestamps: " + text_format::format_double(b.timestamp) + "\n";
  for (const Best& b : best)
    if (b.preserved)
      text +=
          "preserved_checkpoint_paths: " + text_format::quote(path_relative_to(directory_, b.path)) + "\n";
  write_file_atomically(checkpoint_.env(), join_path(directory_, kBestFileName), text);
}

CheckpointManager::~CheckpointManager() {
  if (!saved_async_) return;  // nothing of this manager in flight (and the checkpoint may be gone)
  try {
    checkpoint_.sync();  // the save in flight writes into this manager's bookkeeping
  } catch (const std::exception& e) {
    warn(std::string("the last asynchronous save in ") + directory_ + " failed and nothing waited for it: " + e.what());
  }
}

std::optional<std::string> CheckpointManager::save(std::optional<int64_t> checkpoint_number,
                                                   bool check_interval, std::optional<double> metric,
                                                   const CheckpointOptions& options) {
  checkpoint_.sync();
  std::optional<int64_t> step;
  if (options_.checkpoint_interval) {
    step = current_step();
    if (last_checkpoint_step_) {
      if (*step == *last_checkpoint_step_) return std::nullopt;
      if (check_interval && *step < *last_checkpoint_step_ + *options_.checkpoint_interval)
        return std::nullopt;
    }
  }
  if (!lock_) throw InvalidArgument("CheckpointManager: save after delete_all in " + directory_);
  std::vector<std::string> entries = remove_leftovers();

  Tensor& counter = checkpoint_.save_counter()->mutable_value();
  const int64_t previous_counter = counter.data<int64_t>()[0];
  int64_t next_counter = previous_counter + 1;
  if (!checkpoint_number) next_counter = std::max(next_counter, highest_number_in_use(entries) + 1);
  counter.data<int64_t>()[0] = next_counter;
  const std::string prefix = join_path(
      directory_, options_.checkpoint_name + "-" + std::to_string(checkpoint_number.value_or(next_counter)));

  // Until the state file names the new checkpoint, a failure leaves everything as it was.
  auto recorded = std::make_shared<bool>(false);
  auto undo = [counter = checkpoint_.save_counter(), previous_counter, recorded] {
    if (!*recorded) counter->mutable_value().data<int64_t>()[0] = previous_counter;
  };
  try {
    auto same = std::find_if(best_.begin(), best_.end(), [&](const Best& b) { return b.path == prefix; });
    if (same != best_.end()) {
      // Overwriting a best checkpoint: its metric goes first (durably), as its content will.
      std::vector<Best> best = best_;
      best.erase(best.begin() + (same - best_.begin()));
      write_best(best);
      best_ = std::move(best);
    }
  } catch (...) {
    undo();
    throw;
  }
  saved_async_ |= options.enable_async;
  checkpoint_.write_and_commit(
      prefix, options, [this, prefix, metric, step, recorded] { record_save(prefix, metric, step, *recorded); }, undo);
  return prefix;
}

void CheckpointManager::record_save(const std::string& prefix, std::optional<double> metric,
                                    std::optional<int64_t> step, bool& recorded) {
  Env& env = checkpoint_.env();
  std::vector<std::string> evicted;  // best no more
  std::vector<Entry> tracked = tracked_;
  const double timestamp = now();

  if (options_.keep_best > 0) {
    std::vector<Best> best = best_;
    const auto keep = static_cast<size_t>(options_.keep_best);
    if (metric && !std::isnan(*metric) && (best.size() < keep || better(*metric, best.back().metric))) {
      // After those with an equal metric: of equals, the earlier one stays.
      auto at =
          std::find_if(best.begin(), best.end(), [&](const Best& b) { return better(*metric, b.metric); });
      best.insert(at, {prefix, *metric, timestamp, false});
    }
    for (; best.size() > keep; best.pop_back())
      if (!best.back().preserved) evicted.push_back(best.back().path);
    bool changed = best.size() != best_.size() ||
                   !std::equal(best.begin(), best.end(), best_.begin(),
                               [](const Best& a, const Best& b) { return a.path == b.path; });
    if (changed) {
      write_best(best);
      best_ = std::move(best);
    }
  }

  std::erase_if(tracked, [&](const Entry& e) { return e.path == prefix; });
  tracked.push_back({prefix, timestamp});
  write_state(prefix, tracked, last_preserved_timestamp_);
  recorded = true;
  tracked_ = std::move(tracked);
  latest_ = prefix;
  if (step) last_checkpoint_step_ = step;

  // The new checkpoint is durably recorded: from here on, failures are only reported.
  const double last_preserved_before = last_preserved_timestamp_;
  const size_t tracked_before = tracked_.size();
  bool preserved_best = false;
  std::vector<Entry> doomed;
  auto find_best = [&](const std::string& path) {
    return std::find_if(best_.begin(), best_.end(), [&](const Best& b) { return b.path == path; });
  };
  if (options_.max_to_keep) {
    const double hours = options_.keep_checkpoint_every_n_hours.value_or(0);
    while (tracked_.size() > static_cast<size_t>(*options_.max_to_keep)) {
      Entry oldest = tracked_.front();
      tracked_.erase(tracked_.begin());
      auto best = find_best(oldest.path);
      // Kept for good, but no longer listed, so that the state file does not grow forever.
      if (hours > 0 && oldest.timestamp - hours * 3600 >= last_preserved_timestamp_) {
        last_preserved_timestamp_ = oldest.timestamp;
        if (best != best_.end()) best->preserved = preserved_best = true;
        continue;
      }
      if (best == best_.end()) doomed.push_back(oldest);
    }
  }
  if (preserved_best) {
    try {
      write_best(best_);
    } catch (const Error& e) {
      warn(std::string("cannot record which best checkpoints are kept for good: ") + e.what());
    }
  }
  // A checkpoint leaves the state file before its files go (index first, see remove_bundle), so that
  // the state file never names a checkpoint that is being deleted.
  auto record = [&](const std::string& when) {
    try {
      write_state(*latest_, tracked_, last_preserved_timestamp_);
      return true;
    } catch (const Error& e) {
      warn("cannot update the state file " + when + ": " + e.what());
      return false;
    }
  };
  if (tracked_.size() != tracked_before || last_preserved_timestamp_ != last_preserved_before) {
    if (!record("before deleting old checkpoints (they stay; the next save deletes them)")) {
      tracked_.insert(tracked_.begin(), doomed.begin(), doomed.end());
      doomed.clear();
    }
  }
  std::vector<Entry> undeleted;
  for (const Entry& e : doomed) {
    try {
      remove_bundle(env, e.path);
    } catch (const Error& error) {
      warn("cannot delete the old checkpoint " + e.path + " (the next save retries): " + error.what());
      undeleted.push_back(e);
    }
  }
  if (!undeleted.empty()) {
    // Listed again, so that a manager created after a restart deletes them too.
    tracked_.insert(tracked_.begin(), undeleted.begin(), undeleted.end());
    record("after failing to delete old checkpoints");
  }
  for (const std::string& path : evicted) {
    bool still_kept = path == latest_ || std::any_of(tracked_.begin(), tracked_.end(),
                                                     [&](const Entry& e) { return e.path == path; });
    if (still_kept) continue;
    try {
      remove_bundle(env, path);
    } catch (const Error& error) {
      warn("cannot delete the checkpoint " + path + " that is no longer among the best: " + error.what());
    }
  }
}

void CheckpointManager::delete_all() {
  checkpoint_.sync();
  if (!lock_) throw InvalidArgument("CheckpointManager: delete_all after delete_all in " + directory_);
  Env& env = checkpoint_.env();
  // First nothing is recorded any more, then the checkpoints go oldest first, each index before its
  // data: a kill at any point leaves the newest remaining checkpoint complete and restorable.
  bool removed = false;
  for (const char* name : {kStateFileName, kBestFileName})
    if (env.file_exists(join_path(directory_, name))) {
      env.remove_file(join_path(directory_, name));
      removed = true;
    }
  if (removed) env.sync_dir(directory_);
  std::vector<std::pair<int64_t, std::string>> numbered;
  for (const std::string& file : env.list_dir(directory_)) {
    std::string_view rest;
    if (file.starts_with(std::string(kStateFileName) + ".tempstate") ||
        file.starts_with(std::string(kBestFileName) + ".tempstate")) {
      env.remove_file(join_path(directory_, file));
    } else if (auto number = checkpoint_number_of(file, options_.checkpoint_name, &rest)) {
      numbered.emplace_back(*number, file.substr(0, file.size() - rest.size()));
    }
  }
  std::sort(numbered.begin(), numbered.end());
  numbered.erase(std::unique(numbered.begin(), numbered.end()), numbered.end());
  for (const auto& [number, base] : numbered) remove_bundle(env, join_path(directory_, base));
  // Removed while held, so that no other writer can hold a lock on it in the meantime (lock_file
  // never locks a file that is no longer at its path).
  env.remove_file(lock_->path());
  env.sync_dir(directory_);
  lock_.reset();
  latest_.reset();
  tracked_.clear();
  best_.clear();
}

std::vector<std::string> CheckpointManager::restore_candidates() const {
  std::vector<std::string> candidates;
  if (latest_) candidates.push_back(*latest_);
  for (auto it = tracked_.rbegin(); it != tracked_.rend(); ++it) append_unique(candidates, it->path);
  std::vector<Best> by_time = best_;
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const Best& a, const Best& b) { return a.timestamp > b.timestamp; });
  for (const Best& b : by_time) append_unique(candidates, b.path);
  for (const std::string& path :
       numbered_checkpoints(checkpoint_.env(), directory_, options_.checkpoint_name))
    append_unique(candidates, path);
  return candidates;
}

std::optional<std::string> CheckpointManager::restore_latest() {
  checkpoint_.sync();
  std::optional<std::string> restored = restore_first(checkpoint_, restore_candidates(), directory_);
  if (restored && options_.checkpoint_interval) last_checkpoint_step_ = current_step();
  return restored;
}

std::optional<std::string> CheckpointManager::restore_or_initialize() {
  std::optional<std::string> restored = restore_latest();
  if (!restored && options_.init_fn) options_.init_fn();
  return restored;
}

std::optional<std::string> restore_latest_checkpoint(Checkpoint& checkpoint, const std::string& directory,
                                                     const std::string& checkpoint_name) {
  std::vector<std::string> candidates;
  try {
    if (std::optional<CheckpointState> state = read_checkpoint_state(checkpoint.env(), directory)) {
      candidates.push_back(state->model_checkpoint_path);
      const auto& paths = state->all_model_checkpoint_paths;
      for (auto it = paths.rbegin(); it != paths.rend(); ++it) append_unique(candidates, *it);
    }
  } catch (const FormatError& e) {
    warn(std::string(e.what()) + "; looking for " + checkpoint_name + "-<N> files instead");
  }
  for (const std::string& path : numbered_checkpoints(checkpoint.env(), directory, checkpoint_name))
    append_unique(candidates, path);
  return restore_first(checkpoint, candidates, directory);
}

}  // namespace cairn
