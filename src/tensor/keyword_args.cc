#include "cairn/keyword_args.h"

#include <cmath>
#include <sstream>

#include "cairn/error.h"

namespace cairn {

std::string show_arg(const ArgValue& value) {
  std::ostringstream out;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    out << "None";
  } else if (const bool* b = std::get_if<bool>(&value)) {
    out << (*b ? "True" : "False");
  } else if (const double* d = std::get_if<double>(&value)) {
    out << *d;
  } else if (const std::string* s = std::get_if<std::string>(&value)) {
    out << excerpt(*s, 60);
  } else {
    const auto& list = std::get<std::vector<double>>(value);
    out << "[";
    for (size_t i = 0; i < list.size() && i < 8; ++i) out << (i ? ", " : "") << list[i];
    if (list.size() > 8) out << ", ... (" << list.size() << " values)";
    out << "]";
  }
  return out.str();
}

KeywordArgs::KeywordArgs(std::string context, ArgList args) : context_(std::move(context)), args_(std::move(args)) {}

bool KeywordArgs::has(const std::string& key) const {
  for (const auto& [name, value] : args_)
    if (name == key) return true;
  return false;
}

const ArgValue* KeywordArgs::find(const std::string& key) {
  read_.insert(key);
  for (const auto& [name, value] : args_)
    if (name == key) return std::holds_alternative<std::nullptr_t>(value) ? nullptr : &value;
  return nullptr;
}

void KeywordArgs::fail(const std::string& key, const std::string& why) const {
  throw InvalidArgument(context_ + ": " + key + " " + why);
}

double KeywordArgs::number(const std::string& key, double fallback) {
  std::optional<double> value = optional_number(key);
  return value ? *value : fallback;
}

std::optional<double> KeywordArgs::optional_number(const std::string& key) {
  const ArgValue* value = find(key);
  if (!value) return std::nullopt;
  if (const double* d = std::get_if<double>(value)) return *d;
  fail(key, "must be a number, got " + show_arg(*value));
}

std::optional<int64_t> KeywordArgs::optional_integer(const std::string& key, int64_t min, int64_t max) {
  std::optional<double> value = optional_number(key);
  if (!value) return std::nullopt;
  if (!(std::floor(*value) == *value) || *value < static_cast<double>(min) || *value > static_cast<double>(max)) {
    std::ostringstream range;
    range << "must be an integer in [" << min << ", " << max << "], got " << show_arg(*value);
    fail(key, range.str());
  }
  return static_cast<int64_t>(*value);
}

int64_t KeywordArgs::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  std::optional<int64_t> value = optional_integer(key, min, max);
  return value ? *value : fallback;
}

bool KeywordArgs::boolean(const std::string& key, bool fallback) {
  const ArgValue* value = find(key);
  if (!value) return fallback;
  if (const bool* b = std::get_if<bool>(value)) return *b;
  fail(key, "must be True or False, got " + show_arg(*value));
}

std::string KeywordArgs::string(const std::string& key, std::string fallback) {
  const ArgValue* value = find(key);
  if (!value) return fallback;
  if (const std::string* s = std::get_if<std::string>(value)) return *s;
  fail(key, "must be a string, got " + show_arg(*value));
}

std::vector<double> KeywordArgs::numbers(const std::string& key, std::vector<double> fallback) {
  const ArgValue* value = find(key);
  if (!value) return fallback;
  if (const auto* list = std::get_if<std::vector<double>>(value)) return *list;
  if (const double* d = std::get_if<double>(value)) return {*d};
  fail(key, "must be a list of numbers, got " + show_arg(*value));
}

void KeywordArgs::finish() const {
  for (const auto& [name, value] : args_)
    if (!read_.count(name))
      throw InvalidArgument(context_ + ": unknown argument " + name + " = " + show_arg(value) +
                            " (cairn does not know it, and an argument it does not honour could change the result)");
}

}  // namespace cairn
