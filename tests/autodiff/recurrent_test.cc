// embedding_lookup, lstm and gru: forward values against naive references written here, gradients against
// central differences (tests/gradient_check.h: step 1e-2 on float32, |analytic - numeric| <=
// 2e-3 + 2e-2 |numeric|) and, tightly, against the same cells composed step by step from ops.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cairn/autodiff.h"
#include "cairn/ops.h"
#include "cairn/parallel.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;

// Keras's LSTM in plain loops and double precision: z = x_t K + h R + b, gates i, f, c, o.
Tensor reference_lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent, const Tensor& bias,
                      bool return_sequences) {
  const int64_t B = x.dim(0), T = x.dim(1), I = x.dim(2), U = recurrent.dim(0);
  auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  Tensor out(return_sequences ? Shape{B, T, U} : Shape{B, U});
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(U, 0.0), c(U, 0.0);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> z(4 * U, 0.0);
      for (int64_t j = 0; j < 4 * U; ++j) {
        double v = bias.defined() ? bias.get({j}) : 0.0;
        for (int64_t k = 0; k < I; ++k) v += x.get({b, t, k}) * kernel.get({k, j});
        for (int64_t k = 0; k < U; ++k) v += h[k] * recurrent.get({k, j});
        z[j] = v;
      }
      for (int64_t j = 0; j < U; ++j) {
        const double i = sigmoid(z[j]), f = sigmoid(z[U + j]), g = std::tanh(z[2 * U + j]),
                     o = sigmoid(z[3 * U + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * std::tanh(c[j]);
        if (return_sequences) out.set({b, t, j}, h[j]);
      }
    }
    if (!return_sequences)
      for (int64_t j = 0; j < U; ++j) out.set({b, j}, h[j]);
  }
  return out;
}

// The same LSTM composed from differentiable ops (column blocks via transpose + slice_rows), so that
// the tape differentiates it op by op: an independent gradient to compare the fused op with.
Tensor composed_lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent, const Tensor& bias,
                     bool return_sequences) {
  const int64_t B = x.dim(0), T = x.dim(1), I = x.dim(2), U = recurrent.dim(0);
  auto columns = [](const Tensor& m, int64_t begin, int64_t end) {
    return ops::transpose(ops::slice_rows(ops::transpose(m), begin, end));
  };
  Tensor x2 = ops::reshape(x, {B, T * I});
  Tensor h = Tensor::zeros({B, U}), c = Tensor::zeros({B, U});
  std::vector<Tensor> outputs;
  for (int64_t t = 0; t < T; ++t) {
    Tensor z = ops::add(ops::matmul(columns(x2, t * I, (t + 1) * I), kernel), ops::matmul(h, recurrent));
    if (bias.defined()) z = ops::add(z, bias);
    Tensor i = ops::sigmoid(columns(z, 0, U)), f = ops::sigmoid(columns(z, U, 2 * U));
    Tensor g = ops::tanh(columns(z, 2 * U, 3 * U)), o = ops::sigmoid(columns(z, 3 * U, 4 * U));
    c = ops::add(ops::mul(f, c), ops::mul(i, g));
    h = ops::mul(o, ops::tanh(c));
    outputs.push_back(ops::reshape(h, {B, 1, U}));
  }
  return return_sequences ? ops::concat(outputs, 1) : h;
}

struct LstmCase {
  int64_t batch, steps, input, units;
  bool return_sequences, use_bias;
};

std::vector<Tensor> lstm_inputs(const LstmCase& k, uint64_t seed) {
  std::vector<Tensor> in{random_tensor({k.batch, k.steps, k.input}, seed, -1.f, 1.f),
                         random_tensor({k.input, 4 * k.units}, seed + 1, -0.6f, 0.6f),
                         random_tensor({k.units, 4 * k.units}, seed + 2, -0.6f, 0.6f)};
  if (k.use_bias) in.push_back(random_tensor({4 * k.units}, seed + 3, -0.5f, 0.5f));
  return in;
}

Tensor call_lstm(const std::vector<Tensor>& in, bool return_sequences) {
  return ops::lstm(in[0], in[1], in[2], in.size() > 3 ? in[3] : Tensor(), return_sequences);
}

// Forward values within 1e-5 of the double reference: float32 sums of a few dozen terms plus the
// kernel's exp/tanh approximations (a few ulp).
TEST(Lstm, ForwardMatchesNaiveReference) {
  // units 1, 5, 8 and 37 cover the vectorized cell loops and their scalar remainders.
  for (LstmCase k :
       {LstmCase{3, 5, 4, 6, true, true}, LstmCase{3, 5, 4, 6, false, true}, LstmCase{2, 4, 3, 1, true, true},
        LstmCase{4, 3, 7, 8, false, false}, LstmCase{5, 6, 9, 37, true, true},
        LstmCase{2, 3, 0, 4, true, true}}) {  // no input features: driven by the bias alone
    std::vector<Tensor> in = lstm_inputs(k, 7 * k.units);
    Tensor got = call_lstm(in, k.return_sequences);
    Tensor want = reference_lstm(in[0], in[1], in[2], k.use_bias ? in[3] : Tensor(), k.return_sequences);
    ASSERT_EQ(got.shape(), want.shape());
    EXPECT_LE(max_abs_diff(got, want), 1e-5)
        << "units " << k.units << " return_sequences " << k.return_sequences;
  }
}

// The gate nonlinearities over their whole range, saturation included: every gate gets the same
// pre-activation v, so h = sigmoid(v) tanh(sigmoid(v) tanh(v)). Within 2e-7 + 1e-6 relative.
TEST(Lstm, GateNonlinearitiesAreAccurateOverTheWholeRange) {
  std::vector<float> values;
  for (int k = -2000; k <= 2000; ++k) values.push_back(static_cast<float>(k) * 0.01f);  // [-20, 20]
  for (float v :
       {-1e4f, -200.f, -90.f, -88.5f, -87.5f, -50.f, 50.f, 87.5f, 88.5f, 90.f, 200.f, 1e4f, 1e-30f, -1e-30f})
    values.push_back(v);
  const int64_t n = static_cast<int64_t>(values.size());
  Tensor x = Tensor::from_vector<float>({n, 1, 1}, values);
  for (int64_t units : {1, 8}) {  // the scalar remainder and the vector body
    Tensor kernel = Tensor::ones({1, 4 * units});
    Tensor h = ops::lstm(x, kernel, Tensor::zeros({units, 4 * units}), Tensor(), false);
    for (int64_t b = 0; b < n; ++b) {
      const double v = values[b], s = 1.0 / (1.0 + std::exp(-v));
      const double want = s * std::tanh(s * std::tanh(v));
      for (int64_t j = 0; j < units; ++j)
        ASSERT_NEAR(h.get({b, j}), want, 2e-7 + 1e-6 * std::abs(want)) << "pre-activation " << v;
    }
  }
}

TEST(Lstm, NanPropagates) {
  Tensor x = random_tensor({2, 3, 2}, 5);
  x.set({1, 1, 0}, std::numeric_limits<double>::quiet_NaN());
  Tensor h = ops::lstm(x, random_tensor({2, 12}, 6), random_tensor({3, 12}, 7), Tensor(), false);
  EXPECT_FALSE(std::isnan(h.get({0, 0})));
  for (int64_t j = 0; j < 3; ++j) EXPECT_TRUE(std::isnan(h.get({1, j})));
}

TEST(Lstm, GradientsMatchCentralDifferences) {
  for (LstmCase k : {LstmCase{2, 3, 3, 4, true, true}, LstmCase{3, 4, 2, 3, false, true},
                     LstmCase{2, 3, 2, 5, true, false}, LstmCase{3, 2, 3, 2, false, false}}) {
    SCOPED_TRACE("return_sequences " + std::to_string(k.return_sequences) + " bias " +
                 std::to_string(k.use_bias));
    expect_gradients_match([&](const std::vector<Tensor>& in) { return call_lstm(in, k.return_sequences); },
                           lstm_inputs(k, 100 + k.units));
  }
}

// Gradients of the fused op and of the op-by-op composition agree to 1e-5 (absolute, on gradients
// of order 1): both are exact float32 gradients of the same function, differing only in rounding.
TEST(Lstm, GradientsMatchTheOpByOpComposition) {
  for (LstmCase k : {LstmCase{3, 6, 4, 5, true, true}, LstmCase{4, 7, 3, 9, false, true},
                     LstmCase{2, 5, 5, 3, false, false}}) {
    SCOPED_TRACE("return_sequences " + std::to_string(k.return_sequences) + " bias " +
                 std::to_string(k.use_bias));
    std::vector<Tensor> in = lstm_inputs(k, 300 + k.units);
    Tensor bias = k.use_bias ? in[3] : Tensor();
    Tensor probe = call_lstm(in, k.return_sequences);
    Tensor weights = random_tensor(probe.shape(), 11, 0.5f, 1.5f);
    auto gradients = [&](bool fused) {
      GradientTape tape;
      for (const Tensor& t : in) tape.watch(t);
      Tensor y = fused ? call_lstm(in, k.return_sequences)
                       : composed_lstm(in[0], in[1], in[2], bias, k.return_sequences);
      return tape.gradient(ops::sum(ops::mul(y, weights)), in);
    };
    std::vector<Tensor> fused = gradients(true), composed = gradients(false);
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(fused[i].shape(), in[i].shape());
      EXPECT_LE(max_abs_diff(fused[i], composed[i]), 1e-5) << "input " << i;
    }
  }
}

// Long sequences without a tape are computed in blocks of steps; with a tape in one piece. Same values.
TEST(Lstm, InferenceInBlocksMatchesTheRecordedPass) {
  LstmCase k{64, 400, 4, 100, true, true};
  std::vector<Tensor> in = lstm_inputs(k, 17);
  in[2] = ops::scale(in[2], 0.2);  // keeps the state from saturating, so that differences would show
  Tensor inference = call_lstm(in, true);
  Tensor recorded;
  {
    GradientTape tape;
    tape.watch(in[1]);
    recorded = call_lstm(in, true);
  }
  EXPECT_LE(max_abs_diff(inference, recorded), 1e-6);
  Tensor last = call_lstm(in, false);
  double worst = 0;
  for (int64_t b = 0; b < 64; ++b)
    for (int64_t j = 0; j < 100; ++j)
      worst = std::max(worst, std::abs(last.get({b, j}) - inference.get({b, 399, j})));
  EXPECT_LE(worst, 1e-6);
}

TEST(Lstm, PersistentTapeGivesTheSameGradientTwice) {
  std::vector<Tensor> in = lstm_inputs({2, 4, 3, 5, true, true}, 23);
  GradientTape tape(/*persistent=*/true);
  for (const Tensor& t : in) tape.watch(t);
  Tensor loss = ops::sum(ops::square(call_lstm(in, true)));
  std::vector<Tensor> first = tape.gradient(loss, in), second = tape.gradient(loss, in);
  for (size_t i = 0; i < in.size(); ++i) EXPECT_TRUE(equal_bytes(first[i], second[i])) << "input " << i;
}

TEST(Lstm, TwoThreadsGiveTheSameValuesAsOne) {
  LstmCase k{32, 20, 6, 24, true, true};
  std::vector<Tensor> in = lstm_inputs(k, 29);
  auto run = [&] {
    GradientTape tape;
    for (const Tensor& t : in) tape.watch(t);
    Tensor y = call_lstm(in, true);
    std::vector<Tensor> g = tape.gradient(ops::sum(ops::square(y)), in);
    g.push_back(y);
    return g;
  };
  std::vector<Tensor> one = run();
  set_num_threads(2);
  std::vector<Tensor> two = run();
  set_num_threads(1);
  // The BLAS may split its sums differently across threads: equal up to float32 rounding.
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(allclose(one[i], two[i], 1e-5, 1e-6)) << "tensor " << i;
}

TEST(Lstm, ZeroTimeStepsGiveTheZeroState) {
  std::vector<Tensor> in = lstm_inputs({3, 0, 2, 4, false, true}, 31);
  GradientTape tape;
  for (const Tensor& t : in) tape.watch(t);
  Tensor h = call_lstm(in, false);
  EXPECT_EQ(h.shape(), (Shape{3, 4}));
  EXPECT_EQ(ops::sum(ops::abs(h)).item(), 0.0);
  EXPECT_EQ(call_lstm(in, true).shape(), (Shape{3, 0, 4}));
  std::vector<Tensor> g = tape.gradient(ops::sum(h), in);
  EXPECT_EQ(ops::sum(ops::abs(g[2])).item(), 0.0);
}

TEST(Lstm, ShapeErrorsNameTheTensors) {
  Tensor x({2, 3, 4}), k({4, 20}), r({5, 20}), b({20});
  EXPECT_NO_THROW(ops::lstm(x, k, r, b, false));
  auto message = [&](const Tensor& xx, const Tensor& kk, const Tensor& rr, const Tensor& bb) -> std::string {
    try {
      ops::lstm(xx, kk, rr, bb, false);
    } catch (const ShapeError& e) {
      return e.what();
    }
    return "no ShapeError";
  };
  EXPECT_EQ(message(Tensor({2, 4}), k, r, b),
            "lstm: expected input (batch, timesteps, features) of rank 3, got shape (2, 4)");
  EXPECT_EQ(message(Tensor({2, 3, 5}), k, r, b),
            "lstm: input of shape (2, 3, 5) does not match kernel of shape (4, 20) (last axis must be 4)");
  EXPECT_EQ(
      message(x, Tensor({4, 16}), r, b),
      "lstm: kernel of shape (4, 16) does not match recurrent_kernel of shape (5, 20) (expected 20 columns)");
  EXPECT_EQ(message(x, k, Tensor({5, 16}), b),
            "lstm: recurrent_kernel of shape (5, 16) must be (units, 4 * units)");
  EXPECT_EQ(message(x, k, r, Tensor({16})),
            "lstm: bias of shape (16,) does not match recurrent_kernel of shape (5, 20) (expected (20,))");
}

// Keras 3's GRU (reset_after) in plain loops and double precision: gates z, r, h; the bias's first row is
// added to x_t K, its second to h R; r multiplies the recurrent part of the candidate.
Tensor reference_gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent, const Tensor& bias,
                     bool return_sequences) {
  const int64_t B = x.dim(0), T = x.dim(1), I = x.dim(2), U = recurrent.dim(0);
  auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  Tensor out(return_sequences ? Shape{B, T, U} : Shape{B, U});
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(U, 0.0);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> in(3 * U, 0.0), rec(3 * U, 0.0);
      for (int64_t j = 0; j < 3 * U; ++j) {
        in[j] = bias.defined() ? bias.get({0, j}) : 0.0;
        rec[j] = bias.defined() ? bias.get({1, j}) : 0.0;
        for (int64_t k = 0; k < I; ++k) in[j] += x.get({b, t, k}) * kernel.get({k, j});
        for (int64_t k = 0; k < U; ++k) rec[j] += h[k] * recurrent.get({k, j});
      }
      for (int64_t j = 0; j < U; ++j) {
        const double z = sigmoid(in[j] + rec[j]), r = sigmoid(in[U + j] + rec[U + j]);
        const double c = std::tanh(in[2 * U + j] + r * rec[2 * U + j]);
        h[j] = z * h[j] + (1 - z) * c;
        if (return_sequences) out.set({b, t, j}, h[j]);
      }
    }
    if (!return_sequences)
      for (int64_t j = 0; j < U; ++j) out.set({b, j}, h[j]);
  }
  return out;
}

// The same GRU composed from differentiable ops, for an independent gradient.
Tensor composed_gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent, const Tensor& bias,
                    bool return_sequences) {
  const int64_t B = x.dim(0), T = x.dim(1), I = x.dim(2), U = recurrent.dim(0);
  auto columns = [](const Tensor& m, int64_t begin, int64_t end) {
    return ops::transpose(ops::slice_rows(ops::transpose(m), begin, end));
  };
  Tensor x2 = ops::reshape(x, {B, T * I});
  Tensor h = Tensor::zeros({B, U});
  std::vector<Tensor> outputs;
  for (int64_t t = 0; t < T; ++t) {
    Tensor in = ops::matmul(columns(x2, t * I, (t + 1) * I), kernel), rec = ops::matmul(h, recurrent);
    if (bias.defined()) {
      in = ops::add(in, ops::reshape(ops::slice_rows(bias, 0, 1), {3 * U}));
      rec = ops::add(rec, ops::reshape(ops::slice_rows(bias, 1, 2), {3 * U}));
    }
    Tensor z = ops::sigmoid(ops::add(columns(in, 0, U), columns(rec, 0, U)));
    Tensor r = ops::sigmoid(ops::add(columns(in, U, 2 * U), columns(rec, U, 2 * U)));
    Tensor c = ops::tanh(ops::add(columns(in, 2 * U, 3 * U), ops::mul(r, columns(rec, 2 * U, 3 * U))));
    h = ops::add(ops::mul(z, h), ops::mul(ops::add_scalar(ops::neg(z), 1.0), c));
    outputs.push_back(ops::reshape(h, {B, 1, U}));
  }
  return return_sequences ? ops::concat(outputs, 1) : h;
}

std::vector<Tensor> gru_inputs(const LstmCase& k, uint64_t seed) {
  std::vector<Tensor> in{random_tensor({k.batch, k.steps, k.input}, seed, -1.f, 1.f),
                         random_tensor({k.input, 3 * k.units}, seed + 1, -0.6f, 0.6f),
                         random_tensor({k.units, 3 * k.units}, seed + 2, -0.6f, 0.6f)};
  if (k.use_bias) in.push_back(random_tensor({2, 3 * k.units}, seed + 3, -0.5f, 0.5f));
  return in;
}

Tensor call_gru(const std::vector<Tensor>& in, bool return_sequences) {
  return ops::gru(in[0], in[1], in[2], in.size() > 3 ? in[3] : Tensor(), return_sequences);
}

TEST(Gru, ForwardMatchesNaiveReference) {
  for (LstmCase k :
       {LstmCase{3, 5, 4, 6, true, true}, LstmCase{3, 5, 4, 6, false, true}, LstmCase{2, 4, 3, 1, true, true},
        LstmCase{4, 3, 7, 8, false, false}, LstmCase{5, 6, 9, 37, true, true}, LstmCase{2, 3, 0, 4, true, true}}) {
    std::vector<Tensor> in = gru_inputs(k, 11 * k.units);
    Tensor got = call_gru(in, k.return_sequences);
    Tensor want = reference_gru(in[0], in[1], in[2], k.use_bias ? in[3] : Tensor(), k.return_sequences);
    ASSERT_EQ(got.shape(), want.shape());
    EXPECT_LE(max_abs_diff(got, want), 1e-5) << "units " << k.units << " return_sequences " << k.return_sequences;
  }
}

TEST(Gru, GradientsMatchCentralDifferences) {
  for (LstmCase k : {LstmCase{2, 3, 3, 4, true, true}, LstmCase{3, 4, 2, 3, false, true},
                     LstmCase{2, 3, 2, 5, true, false}}) {
    SCOPED_TRACE("return_sequences " + std::to_string(k.return_sequences) + " bias " + std::to_string(k.use_bias));
    expect_gradients_match([&](const std::vector<Tensor>& in) { return call_gru(in, k.return_sequences); },
                           gru_inputs(k, 500 + k.units));
  }
}

TEST(Gru, GradientsMatchTheOpByOpComposition) {
  for (LstmCase k : {LstmCase{3, 6, 4, 5, true, true}, LstmCase{4, 7, 3, 9, false, true},
                     LstmCase{2, 5, 5, 3, false, false}, LstmCase{2, 1, 3, 17, true, true}}) {
    SCOPED_TRACE("return_sequences " + std::to_string(k.return_sequences) + " bias " + std::to_string(k.use_bias));
    std::vector<Tensor> in = gru_inputs(k, 700 + k.units);
    Tensor bias = k.use_bias ? in[3] : Tensor();
    Tensor weights = random_tensor(call_gru(in, k.return_sequences).shape(), 13, 0.5f, 1.5f);
    auto gradients = [&](bool fused) {
      GradientTape tape;
      for (const Tensor& t : in) tape.watch(t);
      Tensor y = fused ? call_gru(in, k.return_sequences) : composed_gru(in[0], in[1], in[2], bias, k.return_sequences);
      return tape.gradient(ops::sum(ops::mul(y, weights)), in);
    };
    std::vector<Tensor> fused = gradients(true), composed = gradients(false);
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(fused[i].shape(), in[i].shape());
      EXPECT_LE(max_abs_diff(fused[i], composed[i]), 1e-5) << "input " << i;
    }
  }
}

TEST(Gru, ZeroTimeStepsGiveTheZeroState) {
  std::vector<Tensor> in = gru_inputs({3, 0, 2, 4, false, true}, 41);
  GradientTape tape;
  for (const Tensor& t : in) tape.watch(t);
  Tensor h = call_gru(in, false);
  EXPECT_EQ(h.shape(), (Shape{3, 4}));
  EXPECT_EQ(ops::sum(ops::abs(h)).item(), 0.0);
  std::vector<Tensor> g = tape.gradient(ops::sum(h), in);
  EXPECT_EQ(ops::sum(ops::abs(g[3])).item(), 0.0);
}

TEST(Gru, ShapeErrorsNameTheTensors) {
  Tensor x({2, 3, 4}), k({4, 15}), r({5, 15}), b({2, 15});
  EXPECT_NO_THROW(ops::gru(x, k, r, b, false));
  auto message = [&](const Tensor& kk, const Tensor& rr, const Tensor& bb) -> std::string {
    try {
      ops::gru(x, kk, rr, bb, false);
    } catch (const ShapeError& e) {
      return e.what();
    }
    return "no ShapeError";
  };
  EXPECT_EQ(message(k, Tensor({5, 20}), b), "gru: recurrent_kernel of shape (5, 20) must be (units, 3 * units)");
  EXPECT_EQ(message(k, r, Tensor({15})),
            "gru: bias of shape (15,) does not match recurrent_kernel of shape (5, 15) (expected (2, 15))");
}

TEST(EmbeddingLookup, GathersRowsForInt32AndInt64Ids) {
  Tensor table = Tensor::from_values({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  Tensor ids64 = Tensor::from_vector<int64_t>({2, 3}, {3, 0, 1, 1, 2, 3});
  Tensor ids32 = Tensor::from_vector<int32_t>({2, 3}, {3, 0, 1, 1, 2, 3});
  const std::vector<float> want{30, 31, 0, 1, 10, 11, 10, 11, 20, 21, 30, 31};
  for (const Tensor& ids : {ids64, ids32}) {
    Tensor y = ops::embedding_lookup(table, ids);
    EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(y.to_vector<float>(), want);
  }
  EXPECT_EQ(ops::embedding_lookup(table, Tensor::from_vector<int32_t>({}, {2})).to_vector<float>(),
            (std::vector<float>{20, 21}));
}

TEST(EmbeddingLookup, GradientScatterAddsRepeatedIds) {
  Tensor table = random_tensor({5, 3}, 41);
  Tensor ids = Tensor::from_vector<int64_t>({4}, {2, 0, 2, 2});
  GradientTape tape;
  tape.watch(table);
  Tensor y = ops::embedding_lookup(table, ids);
  Tensor upstream = Tensor::from_values({4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor g = tape.gradient(ops::sum(ops::mul(y, upstream)), {table})[0];
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{4, 5, 6, 0, 0, 0, 18, 21, 24, 0, 0, 0, 0, 0, 0}));
}

TEST(EmbeddingLookup, GradientMatchesCentralDifferences) {
  Tensor ids = Tensor::from_vector<int32_t>({2, 3}, {1, 4, 1, 0, 2, 4});
  expect_gradients_match([&](const std::vector<Tensor>& in) { return ops::embedding_lookup(in[0], ids); },
                         {random_tensor({5, 3}, 43)});
}

TEST(EmbeddingLookup, OutOfRangeIdsAreInvalidArguments) {
  Tensor table({5, 2});
  auto message = [&](const Tensor& ids) -> std::string {
    try {
      ops::embedding_lookup(table, ids);
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "no InvalidArgument";
  };
  EXPECT_EQ(
      message(Tensor::from_vector<int64_t>({3}, {0, 5, 1})),
      "embedding_lookup: id 5 at flat index 1 is outside the valid range [0, 5) of a table with 5 rows");
  EXPECT_EQ(
      message(Tensor::from_vector<int32_t>({2, 2}, {0, 1, 2, -1})),
      "embedding_lookup: id -1 at flat index 3 is outside the valid range [0, 5) of a table with 5 rows");
  EXPECT_EQ(message(Tensor::from_values({2}, {0, 1})),
            "embedding_lookup: ids must be int32 or int64, got float32 of shape (2,)");
}

}  // namespace
}  // namespace cairn
