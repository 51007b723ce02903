// The configs of keras.layers' GaussianNoise, GaussianDropout, AlphaDropout and SpatialDropout1D/2D.
#include "cairn/layers/noise.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

template <class L>
LayerClass spatial_dropout_class(const std::string& class_name, bool has_data_format) {
  auto write = [has_data_format](const Layer& layer) -> Json {
    const L& d = as<L>(layer);
    Json config = {{"rate", d.rate()}, {"seed", seed_config(d.seed())}};
    if (has_data_format) config["data_format"] = "channels_last";
    return config;
  };
  auto read = [class_name](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    const double rate = r.number("rate");
    const std::optional<uint64_t> seed = r.seed("seed");
    require_channels_last(r);
    r.require("noise_shape", {kNull}, "the noise shape of a spatial dropout is fixed");
    r.finish();
    return std::make_shared<L>(rate, seed, name);
  };
  return {class_name, write, read, "rate and seed, channels_last (cairn's own random stream, not Keras's draws)"};
}

}  // namespace

LayerClass gaussian_noise_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const GaussianNoise& g = as<GaussianNoise>(layer);
    return {{"stddev", g.stddev()}, {"seed", seed_config(g.seed())}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("GaussianNoise", name));
    const double stddev = r.number("stddev");
    const std::optional<uint64_t> seed = r.seed("seed");
    r.finish();
    return std::make_shared<GaussianNoise>(stddev, seed, name);
  };
  return {"GaussianNoise", write, read, "stddev and seed (cairn's own random stream, not Keras's draws)"};
}

LayerClass gaussian_dropout_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const GaussianDropout& g = as<GaussianDropout>(layer);
    return {{"rate", g.rate()}, {"seed", seed_config(g.seed())}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("GaussianDropout", name));
    const double rate = r.number("rate");
    const std::optional<uint64_t> seed = r.seed("seed");
    r.finish();
    return std::make_shared<GaussianDropout>(rate, seed, name);
  };
  return {"GaussianDropout", write, read, "rate and seed (cairn's own random stream, not Keras's draws)"};
}

LayerClass alpha_dropout_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const AlphaDropout& d = as<AlphaDropout>(layer);
    return {{"rate", d.rate()}, {"seed", seed_config(d.seed())}, {"noise_shape", nullptr}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("AlphaDropout", name));
    const double rate = r.number("rate");
    const std::optional<uint64_t> seed = r.seed("seed");
    r.require("noise_shape", {kNull}, "cairn's AlphaDropout draws one value per element");
    r.finish();
    return std::make_shared<AlphaDropout>(rate, seed, name);
  };
  return {"AlphaDropout", write, read, "rate and seed; noise_shape only as null (cairn's own random stream)"};
}

LayerClass spatial_dropout1d_layer_class() { return spatial_dropout_class<SpatialDropout1D>("SpatialDropout1D", false); }
LayerClass spatial_dropout2d_layer_class() { return spatial_dropout_class<SpatialDropout2D>("SpatialDropout2D", true); }

}  // namespace cairn::config_detail
