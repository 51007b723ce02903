// A Keras model config in JSON (model_from_json): Sequential and functional models, layer configs.
#include "cairn/config.h"
#include "fuzz_target.h"
#include "fuzz_inputs.h"

CAIRN_FUZZ_TARGET(keras_json) {
  cairn::fuzz::expect_only_cairn_errors(
      [&] { cairn::model_from_json(std::string(cairn::fuzz::as_text(data, size))); });
}
