// The layers of a model that draw random numbers while training (Dropout), nested models included, in
// a fixed order: those whose streams differ from process to process.
#pragma once

#include <vector>

#include "cairn/model.h"

namespace cairn {

inline void collect_random_layers(Model& model, std::vector<Layer*>& out) {
  for (const LayerPtr& layer : model.layers()) {
    if (layer->draws_random_numbers()) out.push_back(layer.get());
    if (auto* nested = dynamic_cast<Model*>(layer.get())) collect_random_layers(*nested, out);
  }
}

inline std::vector<Layer*> random_layers(Model& model) {
  std::vector<Layer*> out;
  collect_random_layers(model, out);
  return out;
}

}  // namespace cairn
