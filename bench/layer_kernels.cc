// Times the layers added with the layer registry, forward + backward of sum(layer(x) * r) in training mode,
// on the shapes that bench/layer_peers.py gives PyTorch 2.13 and TensorFlow 2.21 (Keras 3):
//
//   build/bench/bench_layer_kernels --seconds 3 [--only LayerNormalization,GRU]
//   .oracle-venv/bin/python bench/layer_peers.py --seconds 3
//
// One thread (cairn's default; the peers are pinned to one thread too). Prints one JSON line per layer:
// {"layer", "shape", "step_ms"}.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>

#include "cairn/autodiff.h"
#include "cairn/layers.h"
#include "cairn/ops.h"
#include "cairn/random.h"

namespace {

using namespace cairn;

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

Tensor uniform(const Shape& shape, Generator& gen) {
  Tensor t(shape, DType::Float32);
  for (float& v : t.span<float>()) v = gen.uniform(-1.f, 1.f);
  return t;
}

// The layers to time (--only, comma-separated class names); empty for all.
std::vector<std::string> only;

// Forward in training mode and the gradients of every input and trainable weight.
void bench(const std::string& name, Layer& layer, const std::vector<Shape>& shapes, double seconds) {
  if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) return;
  Generator gen(1);
  std::vector<Tensor> xs;
  for (const Shape& s : shapes) xs.push_back(uniform(s, gen));
  auto forward = [&] { return xs.size() == 1 ? layer(xs[0], true) : layer(xs, true); };
  const Tensor r = uniform(forward().shape(), gen);
  const double ms = time_per_step(
      [&] {
        GradientTape tape;
        std::vector<Tensor> sources = xs;
        for (const VariablePtr& w : layer.trainable_weights()) sources.push_back(w->value());
        for (const Tensor& s : sources) tape.watch(s);
        const Tensor loss = ops::sum(ops::mul(forward(), r));
        tape.gradient(loss, sources);
      },
      seconds);
  std::string shape_text;
  for (const Shape& s : shapes) shape_text += (shape_text.empty() ? "" : " ") + shape_str(s);
  std::printf("{\"layer\": \"%s\", \"shape\": \"%s\", \"step_ms\": %.3f}\n", name.c_str(), shape_text.c_str(), ms);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--only") == 0) {
      std::stringstream names(argv[i + 1]);
      for (std::string name; std::getline(names, name, ',');) only.push_back(name);
    }
  }
  BatchNormalization batch_norm;
  bench("BatchNormalization", batch_norm, {{32, 16, 16, 64}}, seconds);
  LayerNormalization layer_norm;
  bench("LayerNormalization", layer_norm, {{32, 128, 256}}, seconds);
  GRU gru(64);
  bench("GRU", gru, {{32, 50, 32}}, seconds);
  SimpleRNN simple_rnn(64);
  bench("SimpleRNN", simple_rnn, {{32, 50, 32}}, seconds);
  MultiHeadAttention attention(4, 32);
  bench("MultiHeadAttention", attention, {{16, 64, 128}, {16, 64, 128}}, seconds);
  Conv1D conv1d(64, 5, {.padding = "same"});
  bench("Conv1D", conv1d, {{32, 128, 64}}, seconds);
  AveragePooling2D average_pooling({2, 2});
  bench("AveragePooling2D", average_pooling, {{32, 32, 32, 32}}, seconds);
  GlobalAveragePooling2D global_pooling;
  bench("GlobalAveragePooling2D", global_pooling, {{32, 16, 16, 64}}, seconds);
  Conv2DTranspose conv2d_transpose(32, {3, 3}, {.strides = {2, 2}, .padding = "same"});
  bench("Conv2DTranspose", conv2d_transpose, {{32, 16, 16, 64}}, seconds);
  DepthwiseConv2D depthwise_conv2d({3, 3}, {.padding = "same"});
  bench("DepthwiseConv2D", depthwise_conv2d, {{32, 32, 32, 64}}, seconds);
  return 0;
}
