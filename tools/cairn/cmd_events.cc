// cairn events DIR: the scalars of a TensorBoard log directory as CSV.
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

int run_events(const Args& args) {
  std::vector<ScalarEvent> events = read_scalar_events(args.positional("DIR"));
  std::stable_sort(events.begin(), events.end(), [](const ScalarEvent& a, const ScalarEvent& b) {
    if (a.run != b.run) return a.run < b.run;
    if (a.tag != b.tag) return a.tag < b.tag;
    return a.step < b.step;
  });
  const bool wall_time = args.flag("wall-time");
  std::cout << "run,step,tag,value" << (wall_time ? ",wall_time" : "") << "\n";
  for (const ScalarEvent& event : events) {
    std::cout << csv_field(event.run) << "," << event.step << "," << csv_field(event.tag) << ","
              << format_scalar(event.value);
    if (wall_time) std::cout << "," << format_number(event.wall_time, Notation::Text);
    std::cout << "\n";
  }
  return 0;
}

const RegisterCommand kRegistration({
    .name = "events",
    .summary = "print the scalars of a TensorBoard log directory as CSV",
    .description =
        "Reads every event file (a file whose name contains \"tfevents\") in DIR and its subdirectories,\n"
        "or the one file DIR names, and prints one CSV line per scalar, sorted by run, tag and step.\n"
        "The run is the file's directory relative to DIR (empty for DIR itself). Both CRCs of every\n"
        "record are checked: a damaged file is an error naming it and the record's offset; a file that\n"
        "ends inside its last record (still being written) gives the records before it, with a warning.\n"
        "Symlinks that lead out of DIR or around a loop are not followed; FIFOs and devices are skipped.",
    .options = {{"wall-time", "", "add a wall_time column (seconds since 1970)"}},
    .positionals = {{"DIR", "a log directory, as given to TensorBoard's --logdir, or one event file"}},
    .run = run_events,
});

}  // namespace
}  // namespace cairn::cli
