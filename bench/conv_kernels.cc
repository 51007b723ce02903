// Times the convolution and pooling kernels on the seed CNN's shapes (batch 64: conv 5x5x16 'same' on
// 28x28x1, max pool 2, conv 5x5x36 'same', max pool 2), next to the candidates they were chosen over, then
// the whole seed CNN training step (+ dense 128 relu, dense 10, sparse cross-entropy, Adam 1e-4), and runs
// the PyTorch peer on the same step for the ratio:
//
//   build/bench/bench_conv_kernels [--threads 1] [--seconds 2] [--peer-seconds 5] [--no-peer] [--step-only]
//
// Conv candidates, each timed forward, backward-data and backward-filter:
//   onednn       the library's kernels (src/tensor/conv.cc): oneDNN, weights reordered to its own layout
//   onednn_hwio  oneDNN with the weights left in TensorFlow's HWIO layout (no reorder)
//   im2col_sgemm im2col over 8 images at a time + OpenBLAS sgemm; backward-data by sgemm + col2im
// Prints one JSON line per measurement. Kernel times are medians over --seconds of repetitions; the step
// time is the mean, as the peer measures it (its median is printed too).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <numeric>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/ops.h"
#include "cairn/optimizers.h"
#include "cairn/parallel.h"
#include "cairn/random.h"
#include "cairn/internal/tensor/blas.h"
#include "cairn/internal/tensor/conv.h"
#include "cairn/internal/tensor/pool.h"

namespace {

using cairn::Shape;
using cairn::Tensor;
using cairn::kernels::Conv2DGeometry;

constexpr int64_t kBatch = 64;

struct Timing {
  double median_ms, mean_ms;
};

// Milliseconds per call of `work`, over about `seconds` after two warm-up calls.
Timing time_calls(const std::function<void()>& work, double seconds) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 2; ++i) work();
  std::vector<double> times;
  const auto start = Clock::now();
  do {
    const auto begin = Clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds || times.size() < 5);
  const double mean = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return {times[times.size() / 2], mean};
}

// The median resists the other processes of a shared machine better than the mean.
double median_ms(const std::function<void()>& work, double seconds) { return time_calls(work, seconds).median_ms; }

void print_kernel(const std::string& kernel, const std::string& impl, double ms) {
  std::printf("{\"kernel\": \"%s\", \"impl\": \"%s\", \"ms\": %.3f, \"threads\": %d}\n", kernel.c_str(),
              impl.c_str(), ms, cairn::num_threads());
  std::fflush(stdout);
}

Tensor random_tensor(const Shape& shape, cairn::Generator& gen) {
  Tensor t(shape, cairn::DType::Float32);
  for (float& v : t.span<float>()) v = gen.uniform(-1.f, 1.f);
  return t;
}

// ---- candidate: im2col + OpenBLAS sgemm, a few images at a time so that the columns stay in cache.
namespace im2col {

constexpr int64_t kImagesPerChunk = 8;

int64_t columns(const Conv2DGeometry& g) { return g.kernel_h * g.kernel_w * g.in_c; }

// The row of output pixel (oh, ow) holds its window, tap by tap, C values each (zeros where padded).
void lower(const Conv2DGeometry& g, const float* image, float* col) {
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      float* row = col + (oh * g.out_w + ow) * columns(g);
      for (int64_t i = 0; i < g.kernel_h; ++i)
        for (int64_t j = 0; j < g.kernel_w; ++j) {
          const int64_t h = oh * g.stride_h + i - g.pad_top, w = ow * g.stride_w + j - g.pad_left;
          float* dst = row + (i * g.kernel_w + j) * g.in_c;
          if (h < 0 || h >= g.in_h || w < 0 || w >= g.in_w)
            std::fill_n(dst, g.in_c, 0.f);
          else
            std::copy_n(image + (h * g.in_w + w) * g.in_c, g.in_c, dst);
        }
    }
}

// The adjoint of lower(): adds each row's taps back into the image.
void raise_add(const Conv2DGeometry& g, const float* col, float* image) {
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const float* row = col + (oh * g.out_w + ow) * columns(g);
      for (int64_t i = 0; i < g.kernel_h; ++i)
        for (int64_t j = 0; j < g.kernel_w; ++j) {
          const int64_t h = oh * g.stride_h + i - g.pad_top, w = ow * g.stride_w + j - g.pad_left;
          if (h < 0 || h >= g.in_h || w < 0 || w >= g.in_w) continue;
          const float* src = row + (i * g.kernel_w + j) * g.in_c;
          float* dst = image + (h * g.in_w + w) * g.in_c;
          for (int64_t c = 0; c < g.in_c; ++c) dst[c] += src[c];
        }
    }
}

// Calls body(first image, image count, columns of those images) chunk by chunk, lowering x when given.
template <class Body>
void by_chunks(const Conv2DGeometry& g, const float* x, Body body) {
  const int64_t pixels = g.out_h * g.out_w, image_size = g.in_h * g.in_w * g.in_c;
  std::vector<float> col(kImagesPerChunk * pixels * columns(g));
  for (int64_t n0 = 0; n0 < g.batch; n0 += kImagesPerChunk) {
    const int64_t count = std::min(kImagesPerChunk, g.batch - n0);
    if (x)
      for (int64_t n = 0; n < count; ++n)
        lower(g, x + (n0 + n) * image_size, col.data() + n * pixels * columns(g));
    body(n0, count, col.data());
  }
}

void forward(const Conv2DGeometry& g, const float* x, const float* kernel, float* y) {
  const int64_t pixels = g.out_h * g.out_w, k = columns(g);
  by_chunks(g, x, [&](int64_t n0, int64_t count, float* col) {
    cairn::blas::sgemm(false, false, count * pixels, g.out_c, k, 1.f, col, k, kernel, g.out_c, 0.f,
                       y + n0 * pixels * g.out_c, g.out_c);
  });
}

void backward_data(const Conv2DGeometry& g, const float* dy, const float* kernel, float* dx) {
  const int64_t pixels = g.out_h * g.out_w, k = columns(g), image_size = g.in_h * g.in_w * g.in_c;
  std::fill_n(dx, g.batch * image_size, 0.f);
  by_chunks(g, nullptr, [&](int64_t n0, int64_t count, float* col) {
    cairn::blas::sgemm(false, true, count * pixels, k, g.out_c, 1.f, dy + n0 * pixels * g.out_c, g.out_c,
                       kernel, g.out_c, 0.f, col, k);
    for (int64_t n = 0; n < count; ++n) raise_add(g, col + n * pixels * k, dx + (n0 + n) * image_size);
  });
}

void backward_filter(const Conv2DGeometry& g, const float* x, const float* dy, float* dkernel) {
  const int64_t pixels = g.out_h * g.out_w, k = columns(g);
  by_chunks(g, x, [&](int64_t n0, int64_t count, float* col) {
    cairn::blas::sgemm(true, false, k, g.out_c, count * pixels, 1.f, col, k, dy + n0 * pixels * g.out_c,
                       g.out_c, n0 == 0 ? 0.f : 1.f, dkernel, g.out_c);
  });
}

}  // namespace im2col

// ---- candidate: oneDNN with the weights in HWIO, as the tensors hold them.
class OnednnHwio {
 public:
  explicit OnednnHwio(const Conv2DGeometry& g) : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    using dnnl::memory;
    src_ = memory::desc({g.batch, g.in_c, g.in_h, g.in_w}, memory::data_type::f32, memory::format_tag::nhwc);
    dst_ =
        memory::desc({g.batch, g.out_c, g.out_h, g.out_w}, memory::data_type::f32, memory::format_tag::nhwc);
    weights_ = memory::desc({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, memory::data_type::f32,
                            memory::format_tag::hwio);
    const memory::dims strides{g.stride_h, g.stride_w}, before{g.pad_top, g.pad_left},
        after{g.pad_bottom, g.pad_right};
    auto forward_pd = dnnl::convolution_forward::primitive_desc(
        {dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src_, weights_, dst_,
         strides, before, after},
        engine_);
    auto data_pd = dnnl::convolution_backward_data::primitive_desc(
        {dnnl::algorithm::convolution_direct, src_, weights_, dst_, strides, before, after}, engine_,
        forward_pd);
    auto filter_pd = dnnl::convolution_backward_weights::primitive_desc(
        {dnnl::algorithm::convolution_direct, src_, weights_, dst_, strides, before, after}, engine_,
        forward_pd);
    forward_ = dnnl::convolution_forward(forward_pd);
    data_ = dnnl::convolution_backward_data(data_pd);
    filter_ = dnnl::convolution_backward_weights(filter_pd);
    impl_ = std::string(forward_pd.impl_info_str()) + "/" + data_pd.impl_info_str() + "/" +
            filter_pd.impl_info_str();
  }
  const std::string& impl() const { return impl_; }
  void forward(const float* x, const float* kernel, float* y) {
    run(forward_, {{DNNL_ARG_SRC, wrap(src_, x)},
                   {DNNL_ARG_WEIGHTS, wrap(weights_, kernel)},
                   {DNNL_ARG_DST, wrap(dst_, y)}});
  }
  void backward_data(const float* dy, const float* kernel, float* dx) {
    run(data_, {{DNNL_ARG_DIFF_DST, wrap(dst_, dy)},
                {DNNL_ARG_WEIGHTS, wrap(weights_, kernel)},
                {DNNL_ARG_DIFF_SRC, wrap(src_, dx)}});
  }
  void backward_filter(const float* x, const float* dy, float* dkernel) {
    run(filter_, {{DNNL_ARG_SRC, wrap(src_, x)},
                  {DNNL_ARG_DIFF_DST, wrap(dst_, dy)},
                  {DNNL_ARG_DIFF_WEIGHTS, wrap(weights_, dkernel)}});
  }

 private:
  dnnl::memory wrap(const dnnl::memory::desc& md, const float* data) {
    return dnnl::memory(md, engine_, const_cast<float*>(data));
  }
  void run(dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args) {
    p.execute(stream_, args);
    stream_.wait();
  }
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::memory::desc src_, dst_, weights_;
  dnnl::convolution_forward forward_;
  dnnl::convolution_backward_data data_;
  dnnl::convolution_backward_weights filter_;
  std::string impl_;
};

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, static_cast<double>(std::abs(a[i] - b[i])));
  return d;
}

void bench_conv(const std::string& name, const Shape& input, const Shape& kernel_shape, double seconds) {
  cairn::Generator gen(1);
  const Conv2DGeometry g =
      cairn::kernels::conv2d_geometry(input, kernel_shape, {1, 1}, /*same_padding=*/true);
  Tensor x = random_tensor(input, gen), kernel = random_tensor(kernel_shape, gen);
  Tensor dy = random_tensor(g.output_shape(), gen);
  std::vector<float> y(dy.numel()), dx(x.numel()), dk(kernel.numel());
  std::vector<float> y_ref(y.size()), dx_ref(dx.size()), dk_ref(dk.size());
  const float *px = x.data<float>(), *pk = kernel.data<float>(), *pdy = dy.data<float>();

  cairn::kernels::conv2d_forward(g, px, pk, y_ref.data());
  cairn::kernels::conv2d_backward_data(g, pdy, pk, dx_ref.data());
  cairn::kernels::conv2d_backward_filter(g, px, pdy, dk_ref.data());
  print_kernel(name + " forward", "onednn",
               median_ms([&] { cairn::kernels::conv2d_forward(g, px, pk, y.data()); }, seconds));
  print_kernel(name + " backward_data", "onednn",
               median_ms([&] { cairn::kernels::conv2d_backward_data(g, pdy, pk, dx.data()); }, seconds));
  print_kernel(name + " backward_filter", "onednn",
               median_ms([&] { cairn::kernels::conv2d_backward_filter(g, px, pdy, dk.data()); }, seconds));

  // Each candidate's results are checked against the library's, so that only correct kernels are compared.
  auto report_agreement = [&](const std::string& impl) {
    std::printf("{\"kernel\": \"%s\", \"impl\": \"%s\", \"max_abs_diff_vs_onednn\": [%.2g, %.2g, %.2g]}\n",
                name.c_str(), impl.c_str(), max_abs_diff(y, y_ref), max_abs_diff(dx, dx_ref),
                max_abs_diff(dk, dk_ref));
  };
  OnednnHwio hwio(g);
  print_kernel(name + " forward", "onednn_hwio", median_ms([&] { hwio.forward(px, pk, y.data()); }, seconds));
  print_kernel(name + " backward_data", "onednn_hwio",
               median_ms([&] { hwio.backward_data(pdy, pk, dx.data()); }, seconds));
  print_kernel(name + " backward_filter", "onednn_hwio",
               median_ms([&] { hwio.backward_filter(px, pdy, dk.data()); }, seconds));
  report_agreement("onednn_hwio (" + hwio.impl() + ")");

  print_kernel(name + " forward", "im2col_sgemm",
               median_ms([&] { im2col::forward(g, px, pk, y.data()); }, seconds));
  print_kernel(name + " backward_data", "im2col_sgemm",
               median_ms([&] { im2col::backward_data(g, pdy, pk, dx.data()); }, seconds));
  print_kernel(name + " backward_filter", "im2col_sgemm",
               median_ms([&] { im2col::backward_filter(g, px, pdy, dk.data()); }, seconds));
  report_agreement("im2col_sgemm");
}

void bench_pool(const std::string& name, const Shape& input, double seconds) {
  cairn::Generator gen(2);
  const auto g = cairn::kernels::pool2d_geometry(input, {2, 2}, {2, 2}, /*same_padding=*/false);
  Tensor x = random_tensor(input, gen), dy = random_tensor(g.output_shape(), gen);
  std::vector<float> y(dy.numel()), dx(x.numel());
  std::vector<int32_t> argmax(y.size());
  print_kernel(name + " forward", "cairn",
               median_ms([&] { cairn::kernels::max_pool2d_forward(g, x.data<float>(), y.data()); }, seconds));
  print_kernel(
      name + " forward_argmax", "cairn",
      median_ms([&] { cairn::kernels::max_pool2d_forward(g, x.data<float>(), y.data(), argmax.data()); },
                seconds));
  print_kernel(name + " backward", "cairn",
               median_ms(
                   [&] { cairn::kernels::max_pool2d_backward(g, argmax.data(), dy.data<float>(), dx.data()); },
                   seconds));
}

// The seed CNN's training step as the peer times it: forward, gradients, Adam, on 8 fixed batches.
Timing bench_cnn_step(double seconds) {
  using namespace cairn;
  set_random_seed(0);
  Conv2D conv1(16, {5, 5}, {.padding = "same", .activation = "relu"});
  MaxPooling2D pool1;
  Conv2D conv2(36, {5, 5}, {.padding = "same", .activation = "relu"});
  MaxPooling2D pool2;
  Flatten flatten;
  DenseOptions relu;
  relu.activation = "relu";
  Dense hidden(128, relu);
  Dense logits_layer(10);
  Adam adam(1e-4);
  std::vector<Layer*> layers{&conv1, &pool1, &conv2, &pool2, &flatten, &hidden, &logits_layer};
  Generator gen(3);
  std::vector<Tensor> images, labels;
  for (int k = 0; k < 8; ++k) {
    Tensor x({kBatch, 28, 28, 1}), y({kBatch}, DType::Int64);
    for (float& v : x.span<float>()) v = gen.uniform();
    for (int64_t& label : y.span<int64_t>()) label = static_cast<int64_t>(gen.uniform_int(10));
    images.push_back(x);
    labels.push_back(y);
  }
  std::vector<VariablePtr> variables;
  int64_t step = 0;
  return time_calls(
      [&] {
        const int64_t k = step++ % 8;
        GradientTape tape;
        Tensor h = images[k];
        for (Layer* layer : layers) h = (*layer)(h, /*training=*/true);
        Tensor loss = ops::mean(ops::sparse_softmax_cross_entropy(h, labels[k]));
        if (variables.empty())
          for (Layer* layer : layers)
            for (const auto& v : layer->trainable_weights()) variables.push_back(v);
        adam.apply_gradients(tape.gradient(loss, variables), variables);
      },
      seconds);
}

// step_ms from the PyTorch peer's JSON line, or a negative number when it cannot run.
// The peer runs under the oracle environment's PyTorch 2.13 (scripts/setup --oracle), as in
// bench/compare_peers.sh; CAIRN_ORACLE_VENV names another environment.
double peer_step_ms(const std::string& script, double seconds) {
  const char* venv = std::getenv("CAIRN_ORACLE_VENV");
  const std::string python =
      (venv && *venv ? std::string(venv) : std::string(CAIRN_SOURCE_DIR) + "/.oracle-venv") + "/bin/python";
  const std::string threads = std::to_string(cairn::num_threads());
  const std::string command = "OMP_NUM_THREADS=" + threads + " MKL_NUM_THREADS=" + threads +
                              " OPENBLAS_NUM_THREADS=1 '" + python + "' " + script + " --threads " +
                              std::to_string(cairn::num_threads()) + " --only mnist_cnn --seconds " +
                              std::to_string(seconds) + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const bool ok = pclose(pipe) == 0;
  std::printf("%s", output.c_str());
  const size_t at = output.find("\"step_ms\": ");
  return ok && at != std::string::npos ? std::atof(output.c_str() + at + 11) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 2.0, peer_seconds = 5.0;
  bool peer = true, kernels = true;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--threads") == 0 && has_value) {
      threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--seconds") == 0 && has_value) {
      seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--peer-seconds") == 0 && has_value) {
      peer_seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--no-peer") == 0) {
      peer = false;
    } else if (std::strcmp(argv[i], "--step-only") == 0) {  // e.g. to profile the step
      kernels = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--seconds S] [--peer-seconds S] [--no-peer] [--step-only]\n",
                   argv[0]);
      return 2;
    }
  }
  cairn::set_num_threads(threads);

  if (kernels) {
    bench_conv("conv1 64x28x28x1 k5x5x16 same", {kBatch, 28, 28, 1}, {5, 5, 1, 16}, seconds);
    bench_conv("conv2 64x14x14x16 k5x5x36 same", {kBatch, 14, 14, 16}, {5, 5, 16, 36}, seconds);
    bench_pool("pool1 64x28x28x16 2x2", {kBatch, 28, 28, 16}, seconds);
    bench_pool("pool2 64x14x14x36 2x2", {kBatch, 14, 14, 36}, seconds);
  }

  // The mean, as the peer reports it; step_median_ms for a loaded machine.
  const Timing step = bench_cnn_step(std::max(seconds, 3.0));
  const double step_ms = step.mean_ms;
  std::printf(
      "{\"workload\": \"mnist_cnn\", \"batch\": %lld, \"step_ms\": %.3f, \"step_median_ms\": %.3f, "
      "\"threads\": %d, \"peer\": \"cairn\"}\n",
      static_cast<long long>(kBatch), step_ms, step.median_ms, threads);
  std::fflush(stdout);
  const std::string script = std::string(CAIRN_SOURCE_DIR) + "/bench/pytorch_peer.py";
  if (peer && std::filesystem::exists(script)) {
    const double torch_ms = peer_step_ms(script, peer_seconds);
    if (torch_ms > 0)
      std::printf(
          "{\"workload\": \"mnist_cnn\", \"cairn_step_ms\": %.3f, \"pytorch_step_ms\": %.3f, "
          "\"pytorch_over_cairn\": %.2f}\n",
          step_ms, torch_ms, torch_ms / step_ms);
    else
      std::printf(
          "{\"workload\": \"mnist_cnn\", \"pytorch\": \"the peer did not run (no .oracle-venv? scripts/setup --oracle)\"}\n");
  }
  return 0;
}
