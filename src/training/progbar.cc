// The Keras progress display (ProgbarLogger / keras.utils.Progbar).
#include <cmath>
#include <cstdio>
#include <ostream>

#include "cairn/callbacks.h"

namespace cairn {

namespace {
// Keras's order: loss, the other training metrics, then val_loss and the other validation values.
std::vector<std::pair<std::string, double>> display_order(const Logs& logs) {
  std::vector<std::pair<std::string, double>> out;
  auto add_if = [&](auto pred) {
    for (const auto& kv : logs)
      if (pred(kv.first)) out.push_back(kv);
  };
  auto is_val = [](const std::string& k) { return k.rfind("val_", 0) == 0; };
  add_if([](const std::string& k) { return k == "loss"; });
  add_if([&](const std::string& k) { return k != "loss" && !is_val(k); });
  add_if([](const std::string& k) { return k == "val_loss"; });
  add_if([&](const std::string& k) { return k != "val_loss" && is_val(k); });
  return out;
}

std::string metrics_text(const Logs& logs) {
  std::string s;
  for (const auto& [k, v] : display_order(logs)) s += " - " + k + ": " + format_log_value(v);
  return s;
}

std::string per_step(double seconds) {
  char buffer[32];
  if (seconds >= 1) std::snprintf(buffer, sizeof buffer, "%.0fs/step", seconds);
  else if (seconds >= 1e-3) std::snprintf(buffer, sizeof buffer, "%.0fms/step", seconds * 1e3);
  else std::snprintf(buffer, sizeof buffer, "%.0fus/step", seconds * 1e6);
  return buffer;
}

std::string eta_text(double seconds) {
  char buffer[32];
  const long s = std::lround(seconds);
  if (s > 3600) std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s % 3600) / 60, s % 60);
  else if (s > 60) std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  else std::snprintf(buffer, sizeof buffer, "%lds", s);
  return buffer;
}
}  // namespace

std::string evaluate_result_line(int64_t steps, double seconds, const Logs& logs) {
  std::string line = std::to_string(steps) + "/" + std::to_string(steps) + " - " + std::to_string(std::lround(seconds)) +
                     "s " + per_step(steps > 0 ? seconds / static_cast<double>(steps) : 0.0);
  for (const auto& [name, value] : logs) line += " - " + name + ": " + format_log_value(value);
  return line;
}

ProgbarLogger::ProgbarLogger(int verbose, std::ostream& out, bool interactive)
    : verbose_(verbose), out_(out), interactive_(interactive) {}

void ProgbarLogger::on_train_begin(const Logs&) {
  epochs_ = static_cast<int>(params().count("epochs") ? params().at("epochs") : 1);
  steps_ = static_cast<int64_t>(params().count("steps") ? params().at("steps") : 0);
}

void ProgbarLogger::on_epoch_begin(int epoch, const Logs&) {
  out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n";
  out_.flush();
  epoch_start_ = monotonic_seconds();
  last_render_ = 0;
  seen_ = 0;
  ran_ = 0;
}

void ProgbarLogger::on_train_batch_end(int64_t batch, const Logs& logs) {
  seen_ = batch + 1;
  ++ran_;
  last_logs_ = logs;
  // Only a terminal gets the live bar, redrawn at most every 50 ms.
  if (verbose_ == 1 && interactive_) {
    const double now = monotonic_seconds();
    if (now - last_render_ >= 0.05 || seen_ == steps_) {
      render(seen_, logs, false);
      last_render_ = now;
    }
  }
}

void ProgbarLogger::on_epoch_end(int, Logs& logs) { render(seen_, logs, true); }

void ProgbarLogger::render(int64_t step, const Logs& logs, bool final) {
  const double elapsed = monotonic_seconds() - epoch_start_;
  // Per step of the batches this fit ran: after a resume, the epoch's first batches ran before.
  const double per = ran_ > 0 ? elapsed / static_cast<double>(ran_) : 0.0;
  const std::string total = std::to_string(steps_);
  std::string counter = std::to_string(step);
  counter = std::string(total.size() > counter.size() ? total.size() - counter.size() : 0, ' ') + counter + "/" + total;
  std::string line;
  if (verbose_ == 2) {
    if (!final) return;
    char tail[64];
    std::snprintf(tail, sizeof tail, " - %.0fs/epoch - ", elapsed);
    line = counter + " - " + std::to_string(std::lround(elapsed)) + "s" + metrics_text(logs) + tail + per_step(per);
    out_ << line << "\n";
    out_.flush();
    return;
  }
  const int width = 30;
  const double fraction = steps_ > 0 ? static_cast<double>(step) / static_cast<double>(steps_) : 1.0;
  int filled = static_cast<int>(width * fraction);
  std::string bar(filled, '=');
  if (step < steps_) {
    if (filled > 0) bar.back() = '>';
    else bar = ">";
  }
  bar += std::string(width - static_cast<int>(bar.size()), '.');
  line = counter + " [" + bar + "]";
  if (final || step >= steps_)
    line += " - " + std::to_string(std::lround(elapsed)) + "s " + per_step(per);
  else
    line += " - ETA: " + eta_text(per * static_cast<double>(steps_ - step));
  line += metrics_text(logs);
  if (interactive_) {
    out_ << "\r" << line << "\033[K";
    if (final) out_ << "\n";
  } else if (final) {
    out_ << line << "\n";
  }
  out_.flush();
}

}  // namespace cairn
