// cairn events DIR: the scalars (or, with --all, every summary) of a TensorBoard log directory as CSV.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "cairn/summary.h"
#include "command.h"
#include "format.h"

namespace cairn::cli {
namespace {

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Scalars are float32 in nearly every event file: those print as the shortest float32 text ("0.1", not
// "0.10000000149011612"); others as the shortest double text.
std::string format_scalar(double value) {
  const float narrow = static_cast<float>(value);
  if (!std::isfinite(value) || static_cast<double>(narrow) != value)
    return format_number(value, Notation::Text);
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, narrow);
  return std::string(buffer, result.ptr);
}

const char* kind_name(SummaryEvent::Kind kind) {
  switch (kind) {
    case SummaryEvent::Kind::kScalar: return "scalar";
    case SummaryEvent::Kind::kHistogram: return "histogram";
    case SummaryEvent::Kind::kImages: return "images";
    case SummaryEvent::Kind::kText: return "text";
    case SummaryEvent::Kind::kKerasModel: return "keras_model";
    case SummaryEvent::Kind::kHParams: return "hparams";
    case SummaryEvent::Kind::kOther: return "other";
  }
  return "other";
}

// One summary's value in a line: a histogram as its range and bucket counts, images as their count and
// size, a model config as its size (the JSON is long), text and hparams as they are.
std::string describe(const SummaryEvent& event) {
  switch (event.kind) {
    case SummaryEvent::Kind::kScalar:
      return format_scalar(event.value);
    case SummaryEvent::Kind::kHistogram: {
      if (event.buckets.empty()) return "0 buckets";
      double total = 0;
      std::string counts;
      for (const HistogramBucket& bucket : event.buckets) {
        total += bucket.count;
        counts += (counts.empty() ? "" : " ") + format_number(bucket.count, Notation::Text);
      }
      return std::to_string(event.buckets.size()) + " buckets from " + format_scalar(event.buckets.front().left) +
             " to " + format_scalar(event.buckets.back().right) + ", " + format_number(total, Notation::Text) +
             " values: " + counts;
    }
    case SummaryEvent::Kind::kImages:
      return std::to_string(event.images) + (event.images == 1 ? " image " : " images ") + std::to_string(event.width) +
             "x" + std::to_string(event.height) + " (width x height)";
    case SummaryEvent::Kind::kKerasModel:
      return "model config, " + std::to_string(event.text.size()) + " bytes of JSON";
    case SummaryEvent::Kind::kText:
    case SummaryEvent::Kind::kHParams:
      return event.text;
    case SummaryEvent::Kind::kOther:
      return (event.plugin.empty() ? "" : event.plugin + ": ") + event.text;
  }
  return "";
}

int run_events(const Args& args) {
  const bool all = args.flag("all"), wall_time = args.flag("wall-time");
  std::vector<SummaryEvent> events;
  if (all) {
    events = read_summary_events(args.positional("DIR"));
  } else {
    for (ScalarEvent& scalar : read_scalar_events(args.positional("DIR")))
      events.push_back({.run = std::move(scalar.run),
                        .step = scalar.step,
                        .tag = std::move(scalar.tag),
                        .wall_time = scalar.wall_time,
                        .kind = SummaryEvent::Kind::kScalar,
                        .value = scalar.value});
  }
  std::stable_sort(events.begin(), events.end(), [](const SummaryEvent& a, const SummaryEvent& b) {
    if (a.run != b.run) return a.run < b.run;
    if (a.tag != b.tag) return a.tag < b.tag;
    return a.step < b.step;
  });
  std::cout << "run,step,tag," << (all ? "kind," : "") << "value" << (wall_time ? ",wall_time" : "") << "\n";
  for (const SummaryEvent& event : events) {
    std::cout << csv_field(event.run) << "," << event.step << "," << csv_field(event.tag) << ",";
    if (all) std::cout << kind_name(event.kind) << ",";
    std::cout << csv_field(describe(event));
    if (wall_time) std::cout << "," << format_number(event.wall_time, Notation::Text);
    std::cout << "\n";
  }
  return 0;
}

const RegisterCommand kRegistration({
    .name = "events",
    .summary = "print the scalars (--all: every summary) of a TensorBoard log directory as CSV",
    .description =
        "Reads every event file (a file whose name contains \"tfevents\") in DIR and its subdirectories,\n"
        "or the one file DIR names, and prints one CSV line per scalar, sorted by run, tag and step.\n"
        "The run is the file's directory relative to DIR (empty for DIR itself). Both CRCs of every\n"
        "record are checked: a damaged file is an error naming it and the record's offset; a file that\n"
        "ends inside its last record (still being written) gives the records before it, with a warning.\n"
        "Symlinks that lead out of DIR or around a loop are not followed; FIFOs and devices are skipped.\n"
        "With --all, every summary, with a kind column: scalar; histogram (its range, the number of\n"
        "values and each bucket's count); images (how many, width x height); text; keras_model (the\n"
        "model config write_graph writes); hparams (the experiment's hyperparameters and metrics, a\n"
        "session's values, its end status); other (the plugin, dtype and shape).",
    .options = {{"all", "", "every summary, not only scalars, with a kind column"},
                {"wall-time", "", "add a wall_time column (seconds since 1970)"}},
    .positionals = {{"DIR", "a log directory, as given to TensorBoard's --logdir, or one event file"}},
    .run = run_events,
});

}  // namespace
}  // namespace cairn::cli
