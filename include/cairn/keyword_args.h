// Keras-style keyword arguments of an optimizer, schedule, loss, metric or initializer, as plain values:
// what get_config() gives and from_config() takes, without any JSON (the config module converts).
//
//   KeywordArgs args("Huber", {{"delta", 2.0}});
//   double delta = args.number("delta", 1.0);   // Keras's default when absent or null
//   args.finish();                               // an argument nobody read is an InvalidArgument
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cairn {

// null (Python's None), a bool, a number, a string or a list of numbers.
using ArgValue = std::variant<std::nullptr_t, bool, double, std::string, std::vector<double>>;
// Arguments in the order Keras's get_config writes them.
using ArgList = std::vector<std::pair<std::string, ArgValue>>;

// Reads each argument at most once; every error is an InvalidArgument starting with `context` and naming
// the argument and its value.
class KeywordArgs {
 public:
  KeywordArgs(std::string context, ArgList args);
  const std::string& context() const { return context_; }
  const ArgList& arguments() const { return args_; }

  bool has(const std::string& key) const;
  // Typed values: absent or null gives `fallback`.
  double number(const std::string& key, double fallback);
  // An integral number in [min, max].
  int64_t integer(const std::string& key, int64_t fallback, int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  bool boolean(const std::string& key, bool fallback);
  std::string string(const std::string& key, std::string fallback);
  std::vector<double> numbers(const std::string& key, std::vector<double> fallback);
  // Absent or null gives nullopt.
  std::optional<double> optional_number(const std::string& key);
  std::optional<int64_t> optional_integer(const std::string& key, int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  // An argument whose value does not change what cairn computes: read and dropped.
  void ignore(const std::string& key) { read_.insert(key); }
  // InvalidArgument naming the first argument nobody read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& why) const;

 private:
  const ArgValue* find(const std::string& key);
  std::string context_;
  ArgList args_;
  std::set<std::string> read_;
};

// An argument value as messages show it: None, True, 0.5, 'mean', [1, 2].
std::string show_arg(const ArgValue& value);

}  // namespace cairn
