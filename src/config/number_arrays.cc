#include "number_arrays.h"

#include <algorithm>
#include <vector>

namespace cairn::config_detail {

Tensor number_array_from_config(ConfigReader& r, const std::string& key, const Json& given) {
  const Json* encoded = &given;
  if (given.is_object()) {
    const std::string encoding = string_at(given, "class_name");
    if ((encoding == "__numpy__" || encoding == "__tensor__") && given.contains("config") && given["config"].is_object() &&
        given["config"].contains("value"))
      encoded = &given["config"]["value"];
  }
  const Json& value = *encoded;
  Shape shape;
  for (const Json* level = &value; level->is_array(); level = &(*level)[0]) {
    if (level->empty() || shape.size() >= 8) r.unsupported(key, given, "a number or nested lists of numbers of rank at most 8");
    shape.push_back(static_cast<int64_t>(level->size()));
  }
  // Read into a vector first: the values' number is bounded by the JSON, the first branch's sizes are not.
  std::vector<double> values;
  // Every element must sit at the depth the first one set, with the sizes found there.
  auto fill = [&](auto&& self, const Json& node, size_t depth) -> void {
    if (depth == shape.size()) {
      if (!node.is_number()) r.unsupported(key, given, "a number or nested lists of numbers");
      values.push_back(node.get<double>());
      return;
    }
    if (!node.is_array() || static_cast<int64_t>(node.size()) != shape[depth])
      r.unsupported(key, given, "nested lists of one shape");
    for (const Json& child : node) self(self, child, depth + 1);
  };
  fill(fill, value, 0);
  Tensor out(shape, DType::Float64);
  std::copy(values.begin(), values.end(), out.data<double>());
  return out;
}

Json number_array_config(const Tensor& numbers) {
  const Tensor values = numbers.to(DType::Float64);
  const Shape& shape = values.shape();
  int64_t next = 0;
  auto build = [&](auto&& self, size_t depth) -> Json {
    if (depth == shape.size()) return values.data<double>()[next++];
    Json list = Json::array();
    for (int64_t i = 0; i < shape[depth]; ++i) list.push_back(self(self, depth + 1));
    return list;
  };
  return build(build, 0);
}

}  // namespace cairn::config_detail
