// Keyword arguments (cairn/keyword_args.h) to and from the JSON of Keras configs.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "cairn/config.h"
#include "cairn/keyword_args.h"

namespace cairn::config_detail {

// {"delta": 1.0, "from_logits": false}: the arguments in their order.
Json args_to_json(const ArgList& args);
// The keys of `object` except `skip`, as arguments. FormatError starting with `context` for a value that
// is not null, a bool, a number, a string or a list of numbers.
ArgList args_from_json(const Json& object, const std::string& context, const std::set<std::string>& skip = {});
// Runs `make`, turning its InvalidArgument (a bad or unknown argument) into a FormatError that starts
// with `context`.
template <class F>
auto with_format_errors(const std::string& context, F&& make) {
  try {
    return make();
  } catch (const InvalidArgument& e) {
    throw FormatError(context + ": " + std::string(e.what()).substr(0, 400));
  }
}

}  // namespace cairn::config_detail
