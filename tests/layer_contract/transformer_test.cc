// The registered layers together: a small Transformer encoder (Embedding, self-attention, residual Adds,
// LayerNormalization, a Dense feed-forward, global pooling) and a CNN with BatchNormalization train with
// fit, give the same weights when run again from the same seeds, and come back from .keras, .h5 and
// TensorFlow checkpoints predicting the same bits.
#include <gtest/gtest.h>

#include "cairn/cairn.h"
#include "cairn/config.h"
#include "temp_dir.h"

namespace cairn {
namespace {

// IMDB-shaped data: 64 sequences of 12 token ids below 40; the label is whether token 7 occurs.
std::pair<Tensor, Tensor> token_data() {
  Generator gen(11);
  Tensor x({64, 12}, DType::Int32), y({64}, DType::Int32);
  for (int64_t i = 0; i < 64; ++i) {
    bool seven = false;
    for (int64_t t = 0; t < 12; ++t) {
      const int32_t id = static_cast<int32_t>(gen.uniform_int(40));
      x.data<int32_t>()[i * 12 + t] = id;
      seven = seven || id == 7;
    }
    y.data<int32_t>()[i] = seven;
  }
  return {x, y};
}

std::shared_ptr<Model> transformer_encoder() {
  SymbolicTensor tokens = Input({12});
  SymbolicTensor x = (*std::make_shared<Embedding>(40, 16))(tokens);
  SymbolicTensor attended = (*make_multi_head_attention(2, 8))(std::vector<SymbolicTensor>{x, x});
  x = (*std::make_shared<LayerNormalization>())((*std::make_shared<Add>())(std::vector<SymbolicTensor>{x, attended}));
  SymbolicTensor hidden = (*make_dense(32, {.activation = "relu"}))(x);
  SymbolicTensor projected = (*make_dense(16))(hidden);
  x = (*std::make_shared<LayerNormalization>())((*std::make_shared<Add>())(std::vector<SymbolicTensor>{x, projected}));
  SymbolicTensor pooled = (*std::make_shared<GlobalAveragePooling1D>())(x);
  return std::make_shared<Functional>(tokens, (*make_dense(2, {.activation = "softmax"}))(pooled));
}

std::shared_ptr<Model> trained_transformer(History* history = nullptr) {
  clear_session();
  set_random_seed(3);
  std::shared_ptr<Model> model = transformer_encoder();
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto [x, y] = token_data();
  History h = model->fit(x, y, {.batch_size = 16, .epochs = 4, .verbose = 0, .seed = 5});
  if (history) *history = h;
  return model;
}

void expect_same_weights(const Model& a, const Model& b) {
  const std::vector<VariablePtr> wa = a.weights(), wb = b.weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(equal_bytes(wa[i]->value(), wb[i]->value())) << wa[i]->name();
}

TEST(LayersTogether, TransformerEncoderTrainsRepeatsAndReloads) {
  History history;
  std::shared_ptr<Model> model = trained_transformer(&history);
  const std::vector<double>& loss = history.history.at("loss");
  EXPECT_LT(loss.back(), loss.front()) << "the loss did not fall";
  expect_same_weights(*model, *trained_transformer());  // the same seeds, the same bits

  testing::TempDir dir;
  const Tensor x = token_data().first;
  const Tensor want = model->predict(x);
  for (const std::string& file : {"encoder.keras", "encoder.h5"}) {
    save_model(*model, dir / file);
    std::shared_ptr<Model> loaded = load_model(dir / file);
    expect_same_weights(*model, *loaded);
    EXPECT_TRUE(equal_bytes(loaded->predict(x), want)) << file;
  }
  model->save_weights(dir / "ckpt/weights");
  std::shared_ptr<Model> fresh = model_from_json(model_to_json(*model));
  fresh->load_weights(dir / "ckpt/weights");
  EXPECT_TRUE(equal_bytes(fresh->predict(x), want));
}

TEST(LayersTogether, CnnWithBatchNormalizationTrainsAndReloads) {
  clear_session();
  set_random_seed(4);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_conv2d(4, {3, 3}, {.padding = "same"}), make_batch_normalization(),
                            std::make_shared<ReLU>(), make_max_pooling2d(), make_conv2d(4, {3, 3}),
                            make_batch_normalization(), std::make_shared<ReLU>(),
                            std::make_shared<GlobalAveragePooling2D>(), make_dense(3, {.activation = "softmax"})},
      Shape{8, 8, 1});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  Generator gen(2);
  Tensor x({48, 8, 8, 1}, DType::Float32), y({48}, DType::Int32);
  for (int64_t i = 0; i < 48; ++i) {
    const int32_t label = static_cast<int32_t>(i % 3);  // the class brightens one third of the rows
    y.data<int32_t>()[i] = label;
    for (int64_t p = 0; p < 64; ++p)
      x.data<float>()[i * 64 + p] = gen.uniform() * 0.2f + (p / 8 / 3 == label ? 1.f : 0.f);
  }
  const auto& bn = std::dynamic_pointer_cast<BatchNormalization>(model->layers()[1]);
  History history = model->fit(x, y, {.batch_size = 16, .epochs = 5, .verbose = 0, .seed = 1});
  const std::vector<double>& loss = history.history.at("loss");
  EXPECT_LT(loss.back(), loss.front());
  // The moving statistics moved during training and are not trained by the optimizer.
  EXPECT_FALSE(bn->moving_mean()->trainable());
  EXPECT_NE(bn->moving_variance()->value().data<float>()[0], 1.0f);

  testing::TempDir dir;
  const Tensor want = model->predict(x);
  save_model(*model, dir / "cnn.keras");
  std::shared_ptr<Model> loaded = load_model(dir / "cnn.keras");
  expect_same_weights(*model, *loaded);
  EXPECT_TRUE(equal_bytes(loaded->predict(x), want));
}

}  // namespace
}  // namespace cairn
