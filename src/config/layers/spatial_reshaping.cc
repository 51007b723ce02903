// The configs of keras.layers' ZeroPadding1D/2D, Cropping1D/2D and UpSampling1D/2D.
#include "cairn/layers/spatial_reshaping.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// An int n (n before and after), [before, after], or a Keras tuple of them, each in [0, max].
std::array<int, 2> amount_pair(ConfigReader& r, const std::string& key, const Json& value) {
  const Json& v = unwrap_tuple(value);
  auto amount = [&](const Json& item) {
    if (!item.is_number_integer() || item.get<int64_t>() < 0 || item.get<int64_t>() > kMaxConfigDimension)
      r.fail(key + " must hold non-negative integers, got " + show(value));
    return static_cast<int>(item.get<int64_t>());
  };
  if (v.is_array() && v.size() == 2) return {amount(v[0]), amount(v[1])};
  const int both = amount(v);
  return {both, both};
}

// 1D: an int or a pair. 2D: an int, a pair (rows, cols) of symmetric amounts, or a pair of pairs.
std::vector<std::array<int, 2>> amounts(ConfigReader& r, const std::string& key, int axes, const Json& fallback) {
  const Json* taken = r.take(key);
  const Json& value = taken && !taken->is_null() ? *taken : fallback;
  if (axes == 1) return {amount_pair(r, key, value)};
  const Json& v = unwrap_tuple(value);
  if (v.is_array() && v.size() == 2) return {amount_pair(r, key, v[0]), amount_pair(r, key, v[1])};
  const std::array<int, 2> all = amount_pair(r, key, v);
  return {all, all};
}

Json pair_json(std::array<int, 2> p) { return Json::array({p[0], p[1]}); }

template <class L>
LayerClass padding_class(const std::string& class_name, const char* key, int axes, Json fallback,
                         std::function<Json(const L&)> own_value, std::function<LayerPtr(std::vector<std::array<int, 2>>, const std::string&)> make,
                         bool has_data_format, std::string support) {
  auto write = [own_value, has_data_format, key](const Layer& layer) -> Json {
    Json config = {{key, own_value(as<L>(layer))}};
    if (has_data_format) config["data_format"] = "channels_last";
    return config;
  };
  auto read = [=](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    std::vector<std::array<int, 2>> values = amounts(r, key, axes, fallback);
    require_channels_last(r);
    r.finish();
    return make(values, name);
  };
  return {class_name, write, read, std::move(support)};
}

}  // namespace

LayerClass zero_padding1d_layer_class() {
  return padding_class<ZeroPadding1D>(
      "ZeroPadding1D", "padding", 1, 1, [](const ZeroPadding1D& l) { return pair_json(l.padding()); },
      [](std::vector<std::array<int, 2>> v, const std::string& name) { return std::make_shared<ZeroPadding1D>(v[0], name); },
      true, "any padding, channels_last");
}

LayerClass zero_padding2d_layer_class() {
  return padding_class<ZeroPadding2D>(
      "ZeroPadding2D", "padding", 2, 1,
      [](const ZeroPadding2D& l) { return Json::array({pair_json(l.padding()[0]), pair_json(l.padding()[1])}); },
      [](std::vector<std::array<int, 2>> v, const std::string& name) {
        return std::make_shared<ZeroPadding2D>(std::array<std::array<int, 2>, 2>{v[0], v[1]}, name);
      },
      true, "any padding, channels_last");
}

LayerClass cropping1d_layer_class() {
  return padding_class<Cropping1D>(
      "Cropping1D", "cropping", 1, Json::array({1, 1}), [](const Cropping1D& l) { return pair_json(l.cropping()); },
      [](std::vector<std::array<int, 2>> v, const std::string& name) { return std::make_shared<Cropping1D>(v[0], name); },
      false, "all arguments");
}

LayerClass cropping2d_layer_class() {
  return padding_class<Cropping2D>(
      "Cropping2D", "cropping", 2, 0,
      [](const Cropping2D& l) { return Json::array({pair_json(l.cropping()[0]), pair_json(l.cropping()[1])}); },
      [](std::vector<std::array<int, 2>> v, const std::string& name) {
        return std::make_shared<Cropping2D>(std::array<std::array<int, 2>, 2>{v[0], v[1]}, name);
      },
      true, "any cropping, channels_last");
}

LayerClass up_sampling1d_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"size", as<UpSampling1D>(layer).size()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("UpSampling1D", name));
    const int size = single(r, "size", 2);
    r.finish();
    return std::make_shared<UpSampling1D>(size, name);
  };
  return {"UpSampling1D", write, read, "all arguments"};
}

LayerClass up_sampling2d_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    return {{"size", pair_config(as<UpSampling2D>(layer).size())}, {"data_format", "channels_last"},
            {"interpolation", "nearest"}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("UpSampling2D", name));
    const std::array<int, 2> size = r.pair("size", std::array<int, 2>{2, 2});
    require_channels_last(r);
    r.require("interpolation", {"nearest"}, "cairn's UpSampling2D repeats pixels (nearest)");
    r.finish();
    return std::make_shared<UpSampling2D>(size, name);
  };
  return {"UpSampling2D", write, read, "nearest interpolation, channels_last"};
}

}  // namespace cairn::config_detail
