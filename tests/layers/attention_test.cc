// Attention and AdditiveAttention: the scores, softmax and weighted sum against the same computation
// written out with ops, the causal mask against attention over a truncated value, dropout only in
// training, the weights Keras creates, and the errors that name the layer and the shapes. Keras's own
// numbers and the numerical gradients are the layer contract's (cases "attention*" in
// tests/conformance/generate_layers.py).
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/layers/attention.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;
using testing::random_tensor;

void expect_near(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << what << " element " << i;
}

class AttentionTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(AttentionTest, DotAttentionIsSoftmaxOfQueryKeyProductsTimesValue) {
  const Tensor q = random_tensor({2, 3, 4}, 1), v = random_tensor({2, 5, 2}, 2), k = random_tensor({2, 5, 4}, 3);
  Attention attention({.use_scale = true});
  const Tensor y = attention({q, v, k});
  ASSERT_EQ(attention.weights().size(), 1u);
  EXPECT_EQ(attention.scale()->shape(), Shape{});
  EXPECT_EQ(attention.scale()->value().to_vector<float>(), std::vector<float>{1.f});  // ones, as Keras
  attention.scale()->assign(Tensor::scalar(0.5));
  const Tensor scaled = attention({q, v, k});
  const Tensor want = ops::batch_matmul(ops::softmax(ops::scale(ops::batch_matmul(q, k, false, true), 0.5)), v);
  expect_near(scaled, want, "scaled dot attention");
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  // Without a key, the value is the key.
  Attention plain;
  const Tensor vq = random_tensor({2, 5, 4}, 4);
  expect_near(plain({q, vq}), ops::batch_matmul(ops::softmax(ops::batch_matmul(q, vq, false, true)), vq), "key = value");
  EXPECT_TRUE(plain.weights().empty());
}

TEST_F(AttentionTest, ConcatAndAdditiveScoresSumTanhOfQueryPlusKey) {
  const Tensor q = random_tensor({1, 2, 3}, 5), v = random_tensor({1, 4, 2}, 6), k = random_tensor({1, 4, 3}, 7);
  // The scores written out: s[i][j] = sum_d w_d tanh(c (q[i][d] + k[j][d])).
  auto scores = [&](const std::vector<float>& w, float c) {
    Tensor s({1, 2, 4}, DType::Float32);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 4; ++j) {
        double total = 0;
        for (int d = 0; d < 3; ++d)
          total += w[d] * std::tanh(c * (q.data<float>()[i * 3 + d] + k.data<float>()[j * 3 + d]));
        s.data<float>()[i * 4 + j] = static_cast<float>(total);
      }
    return s;
  };
  Attention concat({.use_scale = true, .score_mode = "concat"});
  concat({q, v, k});
  ASSERT_EQ(concat.weights().size(), 2u);  // scale, then concat_score_weight, as Keras
  EXPECT_EQ(concat.own_weights()[1].first, "concat_score_weight");
  concat.weights()[0]->assign(Tensor::scalar(0.7));
  concat.weights()[1]->assign(Tensor::scalar(-1.5));
  expect_near(concat({q, v, k}), ops::batch_matmul(ops::softmax(scores({-1.5f, -1.5f, -1.5f}, 0.7f)), v), "concat");

  AdditiveAttention additive;
  additive({q, v, k});
  ASSERT_EQ(additive.scale()->shape(), (Shape{3}));
  additive.scale()->assign(Tensor::from_values({3}, {0.5, -1.0, 2.0}));
  expect_near(additive({q, v, k}), ops::batch_matmul(ops::softmax(scores({0.5f, -1.f, 2.f}, 1.f)), v), "additive");
  AdditiveAttention unscaled({.use_scale = false});
  expect_near(unscaled({q, v, k}), ops::batch_matmul(ops::softmax(scores({1.f, 1.f, 1.f}, 1.f)), v), "unscaled");
  EXPECT_TRUE(unscaled.weights().empty());
  EXPECT_EQ(additive.name(), "additive_attention");
}

TEST_F(AttentionTest, CausalMaskAttendsToEarlierStepsOnly) {
  const Tensor q = random_tensor({2, 4, 3}, 8), v = random_tensor({2, 4, 3}, 9);
  Attention causal({.use_causal_mask = true});
  AdditiveAttention additive({.use_scale = false, .use_causal_mask = true});
  for (Attention* layer : {&causal, static_cast<Attention*>(&additive)}) {
    const Tensor y = (*layer)({q, v});
    // Query step i sees value steps 0..i: the same as unmasked attention of that step over them.
    for (int64_t i = 0; i < 4; ++i) {
      Attention plain;
      AdditiveAttention plain_additive({.use_scale = false});
      Layer& reference = layer == &causal ? static_cast<Layer&>(plain) : plain_additive;
      const Tensor want = reference({ops::slice(q, 1, i, i + 1), ops::slice(v, 1, 0, i + 1)});
      expect_near(ops::slice(y, 1, i, i + 1), want, layer->name() + " step " + std::to_string(i));
    }
  }
}

TEST_F(AttentionTest, MasksKeepValuePaddingOutAndZeroQueryPadding) {
  // Sample 0 has 3 value steps and 2 query steps that count, sample 1 all 4 and 3.
  const Tensor q = random_tensor({2, 3, 2}, 12), v = random_tensor({2, 4, 2}, 13);
  const Tensor query_mask = Tensor::from_values({2, 3}, {1, 1, 0, 1, 1, 1});
  const Tensor value_mask = Tensor::from_values({2, 4}, {1, 1, 1, 0, 1, 1, 1, 1});
  for (bool additive : {false, true}) {
    clear_session();
    std::shared_ptr<Attention> layer = additive ? std::make_shared<AdditiveAttention>() : std::make_shared<Attention>();
    const Layer::MaskedOutput out = (*layer)({q, v}, {query_mask, value_mask}, false);
    EXPECT_EQ(out.mask.to_vector<float>(), query_mask.to_vector<float>()) << "the output's mask is the query's";
    // Sample 0: the same as attention over its 3 unmasked value steps; its padding query step is 0.
    const Tensor alone = (*layer)({ops::slice(ops::slice(q, 0, 0, 1), 1, 0, 2), ops::slice(ops::slice(v, 0, 0, 1), 1, 0, 3)});
    expect_near(ops::slice(ops::slice(out.output, 0, 0, 1), 1, 0, 2), alone, "sample 0");
    for (float y : ops::slice(ops::slice(out.output, 0, 0, 1), 1, 2, 3).to_vector<float>()) EXPECT_EQ(y, 0.f);
    // Sample 1 has nothing masked.
    expect_near(ops::slice(out.output, 0, 1, 2), (*layer)({ops::slice(q, 0, 1, 2), ops::slice(v, 0, 1, 2)}), "sample 1");
  }
  expect_error_mentioning<ShapeError>(
      [&] { Attention()({q, v}, {Tensor(), Tensor::ones({2, 4, 1})}, false); }, {"attention", "mask", "(2, 4, 1)"});
}

TEST_F(AttentionTest, DropoutDropsAttentionWeightsInTrainingOnly) {
  const Tensor q = random_tensor({2, 3, 4}, 10), v = random_tensor({2, 6, 4}, 11);
  Attention dropped({.dropout = 0.5, .seed = 3});
  Attention plain;
  EXPECT_TRUE(dropped.draws_random_numbers());
  EXPECT_FALSE(plain.draws_random_numbers());
  expect_near(dropped({q, v}, false), plain({q, v}, false), "inference");
  const Tensor trained = dropped({q, v}, true);
  double difference = 0;
  for (int64_t i = 0; i < trained.numel(); ++i)
    difference += std::abs(trained.data<float>()[i] - plain({q, v}).data<float>()[i]);
  EXPECT_GT(difference, 1e-3);
}

TEST_F(AttentionTest, ErrorsNameTheLayerTheArgumentAndTheShapes) {
  expect_error_mentioning<InvalidArgument>([] { Attention({.score_mode = "add"}); }, {"Attention", "score_mode", "add"});
  expect_error_mentioning<InvalidArgument>([] { AdditiveAttention({.dropout = 1.5}); },
                                           {"AdditiveAttention", "dropout", "1.5"});
  expect_error_mentioning<ShapeError>([] { Attention()(Tensor({2, 3, 4})); }, {"attention", "list of inputs", "(2, 3, 4)"});
  expect_error_mentioning<ShapeError>(
      [] { Attention()(std::vector<Tensor>{Tensor({2, 3, 4}), Tensor({2, 2, 4}), Tensor({2, 2, 4}), Tensor({2, 2, 4})}); },
      {"Attention", "length 2 or 3", "4"});
  expect_error_mentioning<ShapeError>([] { Attention()(std::vector<Tensor>{Tensor({2, 3, 4}), Tensor({2, 2, 3})}); },
                                      {"query and key", "(2, 3, 4)", "(2, 2, 3)"});
  expect_error_mentioning<ShapeError>(
      [] { Attention()(std::vector<Tensor>{Tensor({2, 3, 4}), Tensor({2, 2, 4}), Tensor({2, 3, 4})}); },
      {"same number of steps", "(2, 3, 4)", "(2, 2, 4)"});
  expect_error_mentioning<ShapeError>([] { Attention()(std::vector<Tensor>{Tensor({2, 4}), Tensor({2, 4})}); },
                                      {"query", "(2, 4)"});
  AdditiveAttention built;
  built(std::vector<Tensor>{Tensor({2, 3, 4}), Tensor({2, 2, 4})});
  expect_error_mentioning<ShapeError>([&] { built(std::vector<Tensor>{Tensor({2, 3, 5}), Tensor({2, 2, 5})}); },
                                      {"additive_attention", "4 features", "(2, 3, 5)"});
}

}  // namespace
}  // namespace cairn
