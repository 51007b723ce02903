#include "keyword_args_json.h"

#include <cmath>

#include "cairn/internal/config/config_reader.h"

namespace cairn::config_detail {

Json args_to_json(const ArgList& args) {
  Json out = Json::object();
  for (const auto& [key, value] : args) {
    if (std::holds_alternative<std::nullptr_t>(value)) out[key] = nullptr;
    else if (const bool* b = std::get_if<bool>(&value)) out[key] = *b;
    else if (const double* d = std::get_if<double>(&value)) {
      // Keras writes integral arguments (axis, decay_steps) as integers.
      if (std::floor(*d) == *d && std::abs(*d) < 9.0e15)
        out[key] = static_cast<int64_t>(*d);
      else
        out[key] = *d;
    } else if (const std::string* s = std::get_if<std::string>(&value)) out[key] = *s;
    else out[key] = std::get<std::vector<double>>(value);
  }
  return out;
}

ArgList args_from_json(const Json& object, const std::string& context, const std::set<std::string>& skip) {
  if (!object.is_object()) throw FormatError(context + ": expected a JSON object, got " + show(object));
  ArgList args;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (skip.count(it.key())) continue;
    const Json& value = unwrap_tuple(it.value());
    if (value.is_null()) args.emplace_back(it.key(), nullptr);
    else if (value.is_boolean()) args.emplace_back(it.key(), value.get<bool>());
    else if (value.is_number()) args.emplace_back(it.key(), value.get<double>());
    else if (value.is_string()) args.emplace_back(it.key(), value.get<std::string>());
    else if (value.is_array()) {
      std::vector<double> numbers;
      for (const Json& element : value) {
        if (!element.is_number())
          throw FormatError(context + ": " + clipped(it.key()) + " must be a list of numbers, got " + show(value));
        numbers.push_back(element.get<double>());
      }
      args.emplace_back(it.key(), std::move(numbers));
    } else {
      throw FormatError(context + ": " + clipped(it.key()) + " = " + show(value) + " is not supported");
    }
  }
  return args;
}

}  // namespace cairn::config_detail
