// The configs of keras.layers.Reshape, Permute and RepeatVector.
#include "cairn/layers/reshaping.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// A list of integers (a Keras tuple too); FormatError naming the key otherwise.
std::vector<int64_t> integer_list(ConfigReader& r, const std::string& key, int64_t min) {
  const Json& value = unwrap_tuple(r.take_required(key));
  std::vector<int64_t> out;
  if (!value.is_array() || value.empty() || value.size() > 32) r.fail(key + " must be a list of integers, got " + show(value));
  for (const Json& item : value) {
    if (!item.is_number_integer() || item.get<int64_t>() < min || item.get<int64_t>() > kMaxConfigDimension)
      r.fail(key + " must be a list of integers of at least " + std::to_string(min) + ", got " + show(value));
    out.push_back(item.get<int64_t>());
  }
  return out;
}

}  // namespace

LayerClass reshape_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    Json shape = Json::array();
    for (int64_t d : as<Reshape>(layer).target_shape()) shape.push_back(d);
    return {{"target_shape", shape}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Reshape", name));
    const std::vector<int64_t> target = integer_list(r, "target_shape", -1);
    r.finish();
    return std::make_shared<Reshape>(Shape(target.begin(), target.end()), name);
  };
  return {"Reshape", write, read, "one unknown dimension (-1) at most"};
}

LayerClass permute_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    Json dims = Json::array();
    for (int d : as<Permute>(layer).dims()) dims.push_back(d);
    return {{"dims", dims}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Permute", name));
    const std::vector<int64_t> dims = integer_list(r, "dims", 1);
    r.finish();
    return std::make_shared<Permute>(std::vector<int>(dims.begin(), dims.end()), name);
  };
  return {"Permute", write, read, "any permutation"};
}

LayerClass repeat_vector_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"n", as<RepeatVector>(layer).n()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("RepeatVector", name));
    const int64_t n = r.dimension("n");
    r.finish();
    return std::make_shared<RepeatVector>(n, name);
  };
  return {"RepeatVector", write, read, "all arguments"};
}

}  // namespace cairn::config_detail
