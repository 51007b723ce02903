// keras.callbacks.ModelCheckpoint and the filepath templates it formats.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "cairn/error.h"
#include "cairn/internal/keras_io/weights_files.h"
#include "cairn/keras_io.h"
#include "cairn/model.h"
#include "cairn/saving_callbacks.h"

namespace cairn {

namespace {
// One replacement field's format spec, Python's mini-language restricted to numbers and strings.
std::string format_value(double value, const std::string& spec, const std::string& key) {
  size_t i = 0;
  char fill = ' ', align = 0, sign = 0;
  if (spec.size() >= 2 && (spec[1] == '<' || spec[1] == '>' || spec[1] == '^')) {
    fill = spec[0];
    align = spec[1];
    i = 2;
  } else if (!spec.empty() && (spec[0] == '<' || spec[0] == '>' || spec[0] == '^')) {
    align = spec[0];
    i = 1;
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  bool zero = false;
  if (i < spec.size() && spec[i] == '0') {
    zero = true;
    ++i;
  }
  int width = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) width = width * 10 + (spec[i++] - '0');
  int precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    precision = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) precision = precision * 10 + (spec[i++] - '0');
  }
  char type = i < spec.size() ? spec[i++] : 0;
  if (i != spec.size() || (type && std::string("dfeEgGs%").find(type) == std::string::npos))
    throw InvalidArgument("filepath: unsupported format spec '" + spec + "' for key '" + key + "'");
  char buffer[128];
  std::string flags = sign == '+' ? "+" : (sign == ' ' ? " " : "");
  if (type == 'd') {
    if (value != std::floor(value)) throw InvalidArgument("filepath: '{" + key + ":" + spec + "}' needs an integer, got " + std::to_string(value));
    std::snprintf(buffer, sizeof buffer, ("%" + flags + "lld").c_str(), static_cast<long long>(value));
  } else if (type == 0 && precision < 0 && value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, ("%" + flags + "lld").c_str(), static_cast<long long>(value));
  } else {
    char conversion = type == 0 || type == 's' ? 'g' : (type == '%' ? 'f' : type);
    double shown = type == '%' ? value * 100 : value;
    std::string f = "%" + flags + (precision >= 0 ? "." + std::to_string(precision) : "") + conversion;
    std::snprintf(buffer, sizeof buffer, f.c_str(), shown);
    if (type == '%') std::strcat(buffer, "%");
  }
  std::string text = buffer;
  if (static_cast<int>(text.size()) < width) {
    const size_t pad = width - text.size();
    if (zero && !align) {
      const size_t at = (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
      text.insert(at, pad, '0');
    } else if (align == '<') {
      text.append(pad, fill);
    } else if (align == '^') {
      text = std::string(pad / 2, fill) + text + std::string(pad - pad / 2, fill);
    } else {
      text.insert(0, pad, fill);
    }
  }
  return text;
}
}  // namespace

std::string format_filepath(const std::string& pattern, const Logs& logs) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const size_t close = pattern.find('}', i);
      if (close == std::string::npos) throw InvalidArgument("filepath '" + pattern + "': unmatched '{'");
      const std::string field = pattern.substr(i + 1, close - i - 1);
      const size_t colon = field.find(':');
      const std::string key = field.substr(0, colon);
      const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
      auto it = logs.find(key);
      if (it == logs.end()) {
        std::string available;
        for (const auto& [k, v] : logs) available += (available.empty() ? "" : ", ") + k;
        throw InvalidArgument("Failed to format this callback filepath: \"" + pattern + "\". Reason: key '" + key +
                              "' is not in the logs (available: " + available + ")");
      }
      out += format_value(it->second, spec, key);
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)),
      options_(std::move(options)),
      upward_(monitor_improves_upward(mode_from_name(options_.mode), options_.monitor)) {
  if (!options_.save_weights_only && !is_keras_weights_file(filepath_))
    throw InvalidArgument("ModelCheckpoint: The filepath provided must end in `.keras` (Keras model format) or `.h5` "
                          "when save_weights_only is false. Received: filepath=" + filepath_);
  if (const auto* n = std::get_if<int64_t>(&options_.save_freq); n && *n <= 0)
    throw InvalidArgument("ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches");
  if (const auto* s = std::get_if<std::string>(&options_.save_freq); s && *s != "epoch")
    throw InvalidArgument("ModelCheckpoint: Unrecognized save_freq: " + *s);
  if (options_.period < 1) throw InvalidArgument("ModelCheckpoint: period must be >= 1");
  if (options_.options.enable_async && (!options_.save_weights_only || is_keras_weights_file(filepath_)))
    throw InvalidArgument("ModelCheckpoint: options.enable_async applies to TensorFlow checkpoints only "
                          "(save_weights_only, and a filepath not ending in .h5 or .keras). Received: filepath=" +
                          filepath_);
  best_ = options_.initial_value_threshold ? *options_.initial_value_threshold
                                           : (upward_ ? -std::numeric_limits<double>::infinity()
                                                      : std::numeric_limits<double>::infinity());
}

void ModelCheckpoint::on_train_begin(const Logs&) {
  async_checkpoint_.reset();  // waits; the model may have changed since the last fit
  if (restored_state_) {
    restored_state_ = false;
    return;
  }
  epochs_since_last_save_ = 0;
  batches_since_last_save_ = 0;
}

void ModelCheckpoint::on_epoch_begin(int epoch, const Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_train_end(const Logs&) {
  if (async_checkpoint_) async_checkpoint_->sync();
}

namespace {
// The checkpoint of the asynchronous saves, created on first use.
Checkpoint& async_checkpoint_of(std::unique_ptr<Checkpoint>& checkpoint, Model& m) {
  if (!checkpoint) {
    std::shared_ptr<Layer> self = m.weak_from_this().lock();
    if (!self) throw InvalidArgument("ModelCheckpoint: model \"" + m.name() + "\" must be owned by a std::shared_ptr");
    std::vector<CheckpointItem> items{CheckpointItem("", self)};
    if (m.optimizer_ptr()) items.emplace_back("optimizer", m.optimizer_ptr());
    checkpoint = std::make_unique<Checkpoint>(std::move(items));
  }
  return *checkpoint;
}
}  // namespace

// Model::save_weights in the background: the same objects (the model as the root, its optimizer), the
// same files, and then the same state file.
void ModelCheckpoint::save_weights_async(const std::string& path) {
  Env& env = async_checkpoint_of(async_checkpoint_, *model()).env();
  async_checkpoint_->write_and_commit(
      path, options_.options,
      [&env, path] {
        CheckpointState state;
        state.model_checkpoint_path = path;
        state.all_model_checkpoint_paths = {path};
        write_checkpoint_state(env, parent_dir(path), state);
      },
      nullptr);
}

void ModelCheckpoint::on_train_batch_end(int64_t batch, const Logs& logs) {
  // After the first step of a fit the state is whole (the optimizer's slots exist): the staging buffers
  // of the asynchronous saves are allocated in the background from here, not by the first save.
  if (options_.options.enable_async && options_.writes_files && !async_checkpoint_)
    async_checkpoint_of(async_checkpoint_, *model()).reserve_async_staging();
  const auto* every = std::get_if<int64_t>(&options_.save_freq);
  if (!every) return;
  if (++batches_since_last_save_ >= *every) {
    batches_since_last_save_ = 0;
    save(current_epoch_, logs, batch);
  }
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  if (!std::holds_alternative<std::string>(options_.save_freq)) return;
  if (++epochs_since_last_save_ < options_.period) return;
  epochs_since_last_save_ = 0;
  save(epoch, logs, std::nullopt);
}

void ModelCheckpoint::save(int epoch, const Logs& logs, std::optional<int64_t> batch) {
  Logs fields = logs;
  fields["epoch"] = epoch + 1;
  if (batch) fields["batch"] = static_cast<double>(*batch + 1);
  const std::string path = format_filepath(filepath_, fields);
  if (options_.save_best_only) {
    auto it = logs.find(options_.monitor);
    if (it == logs.end()) {
      if (options_.writes_files)
        std::cerr << "Can save best model only with " << options_.monitor << " available, skipping.\n";
      return;
    }
    const double current = it->second;
    const bool improved = upward_ ? current > best_ : current < best_;
    if (!improved) {
      if (options_.verbose && options_.writes_files)
        std::printf("\nEpoch %d: %s did not improve from %.5f\n", epoch + 1, options_.monitor.c_str(), best_);
      return;
    }
    if (options_.verbose && options_.writes_files)
      std::printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch + 1, options_.monitor.c_str(),
                  best_, current, path.c_str());
    best_ = current;
  }
  if (!options_.writes_files) return;
  if (!options_.save_best_only && options_.verbose)
    std::printf("\nEpoch %d: saving model to %s\n", epoch + 1, path.c_str());
  std::fflush(stdout);
  if (options_.options.enable_async)
    save_weights_async(path);
  else if (options_.save_weights_only)
    model()->save_weights(path);
  else
    save_model(*model(), path);
}

CallbackState ModelCheckpoint::get_state() const {
  return {{"best", best_}, {"epochs_since_last_save", epochs_since_last_save_},
          {"batches_since_last_save", static_cast<double>(batches_since_last_save_)}};
}

void ModelCheckpoint::set_state(const CallbackState& state) {
  best_ = state.at("best");
  epochs_since_last_save_ = static_cast<int>(state.at("epochs_since_last_save"));
  batches_since_last_save_ = static_cast<int64_t>(state.at("batches_since_last_save"));
  restored_state_ = true;
}

}  // namespace cairn
