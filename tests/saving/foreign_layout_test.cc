// Restoring checkpoints that TensorFlow and Keras wrote in layouts of their own, found through the file's
// object graph rather than by cairn's keys: tf.train.Checkpoint(model=...) into a model as the root,
// weights one level deeper in an RNN's "cell", Keras 2.11+ optimizers (_iterations, _learning_rate and
// slots by position in _variables), and cairn's own extra state (Dropout's generator) absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "cairn/checkpoint.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/model.h"
#include "cairn/tensor_bundle.h"
#include "checkpoint/proto/trackable_object_graph.pb.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using GraphProto = proto::TrackableObjectGraph;

// Builds an object graph whose values sit under keys that are not cairn's ("value/N").
class GraphBuilder {
 public:
  GraphBuilder() { graph_.add_nodes(); }
  int child(int parent, const std::string& name) {
    const int id = graph_.nodes_size();
    graph_.add_nodes();
    auto* ref = graph_.mutable_nodes(parent)->add_children();
    ref->set_node_id(id);
    ref->set_local_name(name);
    return id;
  }
  // A variable node under `parent` holding `value`.
  void variable(int parent, const std::string& name, const Tensor& value) {
    const int node = child(parent, name);
    const std::string key = "value/" + std::to_string(values_.size());
    auto* attribute = graph_.mutable_nodes(node)->add_attributes();
    attribute->set_name("VARIABLE_VALUE");
    attribute->set_checkpoint_key(key);
    values_.emplace_back(key, value);
  }
  void write(const std::string& prefix) {
    BundleWriter writer(Env::Default(), prefix);
    for (const auto& [key, value] : values_) writer.add(key, value);
    writer.add_string("_CHECKPOINTABLE_OBJECT_GRAPH", graph_.SerializeAsString());
    writer.finish();
  }

 private:
  GraphProto graph_;
  std::vector<std::pair<std::string, Tensor>> values_;
};

Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::zeros(shape, DType::Float32);
  for (float& v : t.span<float>()) v = value;
  return t;
}

TEST(ForeignLayout, KerasTwoElevenCheckpointOfAModelRestoresIntoTheModelAsRoot) {
  clear_session();
  const fs::path dir = fs::temp_directory_path() / ("cairn_foreign_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(3), std::make_shared<Dropout>(0.5), std::make_shared<Dense>(2)},
      Shape{4});
  model->compile({.optimizer = std::make_shared<Adam>(0.5), .loss = "mse"});
  const std::vector<VariablePtr> weights = model->trainable_weights();  // kernel, bias, kernel, bias

  // tf.train.Checkpoint(model=model, optimizer=model.optimizer) in tf-keras 2.21, the second layer's
  // weights in a "cell" as an LSTM's are, and no generator state for the Dropout.
  GraphBuilder file;
  const int root_model = file.child(0, "model");
  const int first = file.child(root_model, "layer_with_weights-0");
  file.variable(first, "kernel", filled({4, 3}, 1));
  file.variable(first, "bias", filled({3}, 2));
  const int cell = file.child(file.child(root_model, "layer_with_weights-1"), "cell");
  file.variable(cell, "kernel", filled({3, 2}, 3));
  file.variable(cell, "bias", filled({2}, 4));
  const int optimizer = file.child(0, "optimizer");
  file.variable(optimizer, "_iterations", Tensor::scalar(9, DType::Int64));
  file.variable(optimizer, "_learning_rate", Tensor::scalar(0.25));
  const int list = file.child(optimizer, "_variables");
  file.variable(list, "0", Tensor::scalar(9, DType::Int64));  // the iteration count again
  for (size_t i = 0; i < weights.size(); ++i)  // Adam: m and v variable by variable
    for (float slot : {10.f, 20.f}) file.variable(list, std::to_string(1 + 2 * i + (slot > 10)), filled(weights[i]->shape(), slot + i));
  file.write((dir / "ckpt-1").string());

  const RestoreStatus status =
      Checkpoint({{"", model}, {"optimizer", model->optimizer_ptr()}}).restore((dir / "ckpt-1").string());
  EXPECT_NO_THROW(status.assert_existing_objects_matched());
  EXPECT_EQ(weights[0]->value().span<float>()[0], 1.f);
  EXPECT_EQ(weights[1]->value().span<float>()[0], 2.f);
  EXPECT_EQ(weights[2]->value().span<float>()[0], 3.f);
  EXPECT_EQ(weights[3]->value().span<float>()[1], 4.f);
  const Optimizer& adam = model->optimizer();
  EXPECT_EQ(adam.iteration_count(), 9);
  EXPECT_FLOAT_EQ(adam.learning_rate(), 0.25);
  for (size_t i = 0; i < weights.size(); ++i) {
    EXPECT_EQ(adam.get_slot(*weights[i], "m")->value().span<float>()[0], 10.f + i) << i;
    EXPECT_EQ(adam.get_slot(*weights[i], "v")->value().span<float>()[0], 20.f + i) << i;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn
