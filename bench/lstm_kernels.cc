// Times the LSTM on the seed workload imdb_lstm (Embedding 5000x32, LSTM 100 units, Dense 1, sigmoid
// cross-entropy, Adam; sequences of 500 ids, batch 64), to compare with the PyTorch peer in the same run:
//
//   build/bench/bench_lstm_kernels --threads 1 --seconds 10
//   OPENBLAS_NUM_THREADS=1 .oracle-venv/bin/python bench/pytorch_peer.py --threads 1 --only imdb_lstm
//   --seconds 10
//
// Prints one JSON line per measurement: the LSTM kernels alone (forward for inference, forward keeping
// the trace + backward) and the whole training step, whose step_ms compares with the peer's.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "cairn/autodiff.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/lstm.h"
#include "cairn/ops.h"
#include "cairn/optimizers.h"
#include "cairn/parallel.h"
#include "cairn/random.h"
#include "cairn/internal/tensor/lstm.h"

namespace {

constexpr int64_t kBatch = 64, kSteps = 500, kVocabulary = 5000, kFeatures = 32, kUnits = 100;

// Runs `step` a few times to warm up, then for about `seconds`; returns milliseconds per step.
double time_per_step(const std::function<void()>& step, double seconds) {
  for (int i = 0; i < 2; ++i) step();
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  int64_t steps = 0;
  double elapsed = 0;
  do {
    step();
    ++steps;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 1000.0 * elapsed / static_cast<double>(steps);
}

void print_row(const char* what, double step_ms, int threads) {
  std::printf(
      "{\"workload\": \"%s\", \"batch\": %lld, \"step_ms\": %.3f, \"samples_per_s\": %.1f, \"threads\": "
      "%d}\n",
      what, static_cast<long long>(kBatch), step_ms, 1000.0 * kBatch / step_ms, threads);
  std::fflush(stdout);
}

cairn::Tensor random_uniform_tensor(const cairn::Shape& shape, cairn::Generator& gen, float limit) {
  cairn::Tensor t(shape, cairn::DType::Float32);
  for (float& v : t.span<float>()) v = gen.uniform(-limit, limit);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 5.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) {
      threads = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--threads N] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  cairn::set_num_threads(threads);
  cairn::Generator gen(0);

  // The kernels alone, on (B, T, I) inputs and weights of the workload's sizes.
  const cairn::kernels::LstmDims dims{kBatch, kSteps, kFeatures, kUnits};
  cairn::Tensor x = random_uniform_tensor({kBatch, kSteps, kFeatures}, gen, 0.05f);
  cairn::Tensor kernel = random_uniform_tensor({kFeatures, 4 * kUnits}, gen, 0.2f);
  cairn::Tensor recurrent = random_uniform_tensor({kUnits, 4 * kUnits}, gen, 0.1f);
  cairn::Tensor bias = random_uniform_tensor({4 * kUnits}, gen, 0.1f);
  cairn::Tensor out({kBatch, kUnits}), dout = random_uniform_tensor({kBatch, kUnits}, gen, 1.0f);
  cairn::Tensor dx(x.shape()), dkernel(kernel.shape()), drecurrent(recurrent.shape()), dbias(bias.shape());
  auto forward = [&](cairn::kernels::LstmTrace* trace) {
    cairn::kernels::lstm_forward(dims, x.data<float>(), kernel.data<float>(), recurrent.data<float>(),
                                 bias.data<float>(), false, out.data<float>(), trace);
  };
  auto forward_backward = [&] {
    cairn::kernels::LstmTrace trace;
    forward(&trace);
    cairn::kernels::lstm_backward(trace, kernel.data<float>(), recurrent.data<float>(), dout.data<float>(),
                                  false, dx.data<float>(), dkernel.data<float>(), drecurrent.data<float>(),
                                  dbias.data<float>());
  };
  print_row("lstm_forward_inference", time_per_step([&] { forward(nullptr); }, seconds), threads);
  print_row("lstm_forward_backward", time_per_step(forward_backward, seconds), threads);

  // The whole training step, as the peer times it: forward, gradient, Adam update, on 8 fixed batches.
  cairn::set_random_seed(0);
  cairn::Embedding embedding(kVocabulary, kFeatures);
  cairn::LSTM lstm(kUnits);
  cairn::Dense dense(1);
  cairn::Adam adam;
  std::vector<cairn::Tensor> ids, labels;
  for (int k = 0; k < 8; ++k) {
    cairn::Tensor batch_ids({kBatch, kSteps}, cairn::DType::Int64), batch_labels({kBatch, 1});
    for (int64_t& id : batch_ids.span<int64_t>()) id = static_cast<int64_t>(gen.uniform_int(kVocabulary));
    for (float& y : batch_labels.span<float>()) y = static_cast<float>(gen.uniform_int(2));
    ids.push_back(batch_ids);
    labels.push_back(batch_labels);
  }
  std::vector<cairn::VariablePtr> variables;
  int64_t step = 0;
  auto train_step = [&] {
    const int64_t k = step++ % 8;
    cairn::GradientTape tape;
    cairn::Tensor logits = dense(lstm(embedding(ids[k])));
    cairn::Tensor loss = cairn::ops::mean(cairn::ops::sigmoid_cross_entropy(logits, labels[k]));
    if (variables.empty())
      for (cairn::Layer* layer : std::initializer_list<cairn::Layer*>{&embedding, &lstm, &dense})
        for (const auto& v : layer->trainable_weights()) variables.push_back(v);
    adam.apply_gradients(tape.gradient(loss, variables), variables);
  };
  print_row("imdb_lstm", time_per_step(train_step, seconds), threads);
  return 0;
}
