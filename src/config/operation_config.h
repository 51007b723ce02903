// Operation nodes in functional model configs (cairn/layers/operation.h): read from Keras 3's form (an
// entry of module keras.src.ops.*, its call's constants among the node's args) and tf-keras 2's
// (TFOpLambda / SlicingOpLambda with a TensorFlow function, constants among the node's kwargs), written in
// Keras 3's.
#pragma once

#include <string>
#include <vector>

#include "cairn/config.h"
#include "cairn/internal/config/config_reader.h"
#include "cairn/keras_support.h"
#include "cairn/layers/operation.h"

namespace cairn::config_detail {

// is_operation_entry (cairn/internal/config/config_reader.h) tells the entries read here.
struct ReadOperation {
  LayerPtr layer;  // an Operation
  // Per call (inbound node): the [layer_name, node_index, tensor_index] of each tensor argument, in the
  // order of the operation's inputs.
  std::vector<std::vector<Json>> calls;
};
// The operation of an entry for which is_operation_entry holds; FormatError naming an operation that is
// not in cairn's table, or an argument it does not take.
ReadOperation read_operation(const std::string& module, const std::string& class_name, const std::string& name,
                             const Json& config, const Json& inbound_nodes, const std::string& context);

// One call of an operation: its tensor inputs as config references and shapes.
struct OperationCall {
  std::vector<Json> references;  // [layer_name, node_index, tensor_index]
  std::vector<Shape> shapes;     // batch dimension -1
};
// The operation's entry of a functional config, in Keras 3's form (Keras 3 and cairn read it).
Json operation_entry(const Operation& op, const std::vector<OperationCall>& calls);

// docs/keras_support.md's section on operations.
KerasSupportSection operation_support_section();

}  // namespace cairn::config_detail
