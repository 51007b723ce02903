// Convolution on oneDNN. Measured on the seed CNN (bench/conv_kernels.cc, docs/performance.md), oneDNN's
// direct JIT kernels with weights in its own blocked layout beat im2col + OpenBLAS sgemm in every
// direction; with the weights left in TensorFlow's HWIO layout oneDNN falls back to a slower gemm
// kernel, so the weights are reordered (a few thousand floats) on every call instead.
#include "cairn/internal/tensor/conv.h"

#include <omp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "cairn/error.h"
#include "cairn/parallel.h"
#include "cairn/internal/tensor/window.h"

namespace cairn::kernels {

Conv2DGeometry conv2d_geometry(const Shape& input, const Shape& kernel, std::array<int, 2> strides,
                               bool same_padding, std::array<int, 2> dilation) {
  Conv2DGeometry g;
  g.batch = input[0];
  g.in_h = input[1];
  g.in_w = input[2];
  g.in_c = input[3];
  g.kernel_h = kernel[0];
  g.kernel_w = kernel[1];
  g.out_c = kernel[3];
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  g.groups = kernel[2] > 0 ? g.in_c / kernel[2] : 1;
  const WindowAxis rows = window_axis(g.in_h, dilated_window(g.kernel_h, g.dilation_h), g.stride_h, same_padding);
  const WindowAxis cols = window_axis(g.in_w, dilated_window(g.kernel_w, g.dilation_w), g.stride_w, same_padding);
  g.out_h = rows.out;
  g.out_w = cols.out;
  g.pad_top = rows.pad_before;
  g.pad_bottom = rows.pad_after;
  g.pad_left = cols.pad_before;
  g.pad_right = cols.pad_after;
  return g;
}

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The primitives for one geometry and thread count (oneDNN sizes its work split at creation). The
// backward ones are made on first use, so that inference never pays for their JIT compilation.
// Scratchpads are per call (user mode), which makes concurrent executions of a plan safe.
class ConvPlan {
 public:
  explicit ConvPlan(const Conv2DGeometry& g) {
    src_md_ = memory::desc({g.batch, g.in_c, g.in_h, g.in_w}, memory::data_type::f32, Tag::nhwc);
    dst_md_ = memory::desc({g.batch, g.out_c, g.out_h, g.out_w}, memory::data_type::f32, Tag::nhwc);
    // oneDNN names weight dims (O, I, H, W) or, grouped, (G, O/G, I/G, H, W) whatever their layout; hwio
    // is TensorFlow's (KH, KW, C, F), and hwigo its grouped kernel (KH, KW, C/G, F) with F = (G, F/G).
    const memory::dims weight_dims =
        g.groups == 1 ? memory::dims{g.out_c, g.in_c, g.kernel_h, g.kernel_w}
                      : memory::dims{g.groups, g.out_c / g.groups, g.in_c / g.groups, g.kernel_h, g.kernel_w};
    user_weights_md_ = memory::desc(weight_dims, memory::data_type::f32, g.groups == 1 ? Tag::hwio : Tag::hwigo);
    any_weights_md_ = memory::desc(weight_dims, memory::data_type::f32, Tag::any);
    strides_ = {g.stride_h, g.stride_w};
    dilates_ = {g.dilation_h - 1, g.dilation_w - 1};  // oneDNN counts the gaps between taps
    pad_before_ = {g.pad_top, g.pad_left};
    pad_after_ = {g.pad_bottom, g.pad_right};
    bias_md_ = memory::desc({g.out_c}, memory::data_type::f32, Tag::a);
    attr_.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    plain_forward_pd_ = prepare(forwards_[0], {});
  }

  // The plain forward pass is made with the plan (the backward passes take it as their hint); the ones
  // with a bias or relu fused in on first use.
  void forward(const float* x, const float* kernel, float* y, const ConvEpilogue& epilogue) {
    Forward& f = forwards_[(epilogue.bias ? 1 : 0) | (epilogue.relu ? 2 : 0)];
    prepare(f, epilogue);
    memory weights = to_layout(kernel, f.weights, f.pd.weights_desc());
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, wrap(src_md_, x)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, wrap(dst_md_, y)}};
    if (epilogue.bias) args.emplace(DNNL_ARG_BIAS, wrap(bias_md_, epilogue.bias));
    execute(f.primitive, f.pd.scratchpad_desc(), std::move(args));
  }

  void backward_data(const float* dy, const float* kernel, float* dx) {
    std::call_once(data_once_, [&] {
      dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, src_md_,
                                                 any_weights_md_, dst_md_, strides_, dilates_, pad_before_,
                                                 pad_after_);
      data_pd_ = dnnl::convolution_backward_data::primitive_desc(desc, attr_, cpu_engine(), plain_forward_pd_);
      data_ = dnnl::convolution_backward_data(data_pd_);
      data_weights_ = reorder_between(user_weights_md_, data_pd_.weights_desc());
    });
    memory weights = to_layout(kernel, data_weights_, data_pd_.weights_desc());
    execute(data_, data_pd_.scratchpad_desc(),
            {{DNNL_ARG_DIFF_DST, wrap(dst_md_, dy)},
             {DNNL_ARG_WEIGHTS, weights},
             {DNNL_ARG_DIFF_SRC, wrap(src_md_, dx)}});
  }

  void backward_filter(const float* x, const float* dy, float* dkernel) {
    std::call_once(filter_once_, [&] {
      dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, src_md_,
                                                    any_weights_md_, dst_md_, strides_, dilates_,
                                                    pad_before_, pad_after_);
      filter_pd_ = dnnl::convolution_backward_weights::primitive_desc(desc, attr_, cpu_engine(), plain_forward_pd_);
      filter_ = dnnl::convolution_backward_weights(filter_pd_);
      filter_to_user_ = reorder_between(filter_pd_.diff_weights_desc(), user_weights_md_);
    });
    memory user = wrap(user_weights_md_, dkernel);
    memory grad = filter_to_user_ ? memory(filter_pd_.diff_weights_desc(), cpu_engine()) : user;
    execute(filter_, filter_pd_.scratchpad_desc(),
            {{DNNL_ARG_SRC, wrap(src_md_, x)},
             {DNNL_ARG_DIFF_DST, wrap(dst_md_, dy)},
             {DNNL_ARG_DIFF_WEIGHTS, grad}});
    if (filter_to_user_)
      execute(*filter_to_user_, memory::desc(), {{DNNL_ARG_FROM, grad}, {DNNL_ARG_TO, user}});
  }

 private:
  struct Forward {
    std::once_flag once;
    dnnl::convolution_forward::primitive_desc pd;
    dnnl::convolution_forward primitive;
    std::optional<dnnl::reorder> weights;
  };

  const dnnl::convolution_forward::primitive_desc& prepare(Forward& f, const ConvEpilogue& epilogue) {
    std::call_once(f.once, [&] {
      f.pd = forward_pd(epilogue);
      f.primitive = dnnl::convolution_forward(f.pd);
      f.weights = reorder_between(user_weights_md_, f.pd.weights_desc());
    });
    return f.pd;
  }

  dnnl::convolution_forward::primitive_desc forward_pd(const ConvEpilogue& epilogue) const {
    dnnl::primitive_attr attr;  // a copy of attr_ would share its object (oneDNN handles are references)
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (epilogue.relu) {
      dnnl::post_ops post_ops;
      post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(post_ops);
    }
    const auto desc =
        epilogue.bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                        dnnl::algorithm::convolution_direct, src_md_, any_weights_md_,
                                                        bias_md_, dst_md_, strides_, dilates_, pad_before_, pad_after_)
                      : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                        dnnl::algorithm::convolution_direct, src_md_, any_weights_md_,
                                                        dst_md_, strides_, dilates_, pad_before_, pad_after_);
    return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
  }

  static memory wrap(const memory::desc& md, const float* data) {
    // oneDNN takes a mutable handle even for inputs; it does not write to them.
    return memory(md, cpu_engine(), const_cast<float*>(data));
  }

  static std::optional<dnnl::reorder> reorder_between(const memory::desc& from, const memory::desc& to) {
    if (from == to) return std::nullopt;
    return dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to));
  }

  memory to_layout(const float* kernel, const std::optional<dnnl::reorder>& reorder, const memory::desc& md) {
    memory user = wrap(user_weights_md_, kernel);
    if (!reorder) return user;
    memory converted(md, cpu_engine());
    execute(*reorder, memory::desc(), {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, converted}});
    return converted;
  }

  static void execute(const dnnl::primitive& primitive, const memory::desc& scratchpad_md,
                      std::unordered_map<int, memory> args) {
    std::optional<memory> scratchpad;
    if (scratchpad_md.get_size() > 0) {
      scratchpad.emplace(scratchpad_md, cpu_engine());
      args.emplace(DNNL_ARG_SCRATCHPAD, *scratchpad);
    }
    dnnl::stream stream(cpu_engine());
    primitive.execute(stream, args);
    stream.wait();
  }

  memory::desc src_md_, dst_md_, user_weights_md_, any_weights_md_, bias_md_;
  memory::dims strides_, dilates_, pad_before_, pad_after_;
  dnnl::primitive_attr attr_;
  Forward forwards_[4];  // by epilogue: bit 0 bias, bit 1 relu
  dnnl::convolution_forward::primitive_desc plain_forward_pd_;  // the backward passes' hint
  std::once_flag data_once_;
  dnnl::convolution_backward_data::primitive_desc data_pd_;
  dnnl::convolution_backward_data data_;
  std::optional<dnnl::reorder> data_weights_;
  std::once_flag filter_once_;
  dnnl::convolution_backward_weights::primitive_desc filter_pd_;
  dnnl::convolution_backward_weights filter_;
  std::optional<dnnl::reorder> filter_to_user_;
};

// Plans by geometry and thread count. A training run meets a handful of geometries (one per layer, and
// the last, smaller batch), so the cache is simply emptied if a long-running process overflows it.
std::shared_ptr<ConvPlan> plan_for(const Conv2DGeometry& g, int threads) {
  constexpr size_t kMaxPlans = 64;
  static std::mutex mutex;
  static std::map<std::pair<Conv2DGeometry, int>, std::shared_ptr<ConvPlan>> plans;
  std::lock_guard lock(mutex);
  const auto key = std::make_pair(g, threads);
  if (auto it = plans.find(key); it != plans.end()) return it->second;
  if (plans.size() >= kMaxPlans) plans.clear();
  return plans[key] = std::make_shared<ConvPlan>(g);
}

// Runs `work` on the plan for g with cairn's thread count, turning oneDNN's errors into cairn's.
template <class Work>
void with_plan(const Conv2DGeometry& g, const char* what, Work work) {
  const int threads = num_threads();
  // oneDNN's OpenMP runtime reads the calling thread's setting, which need not be the one that
  // set_num_threads() configured.
  omp_set_num_threads(threads);
  try {
    work(*plan_for(g, threads));
  } catch (const dnnl::error& e) {
    throw Error(std::string("conv2d ") + what + ": oneDNN failed: " + e.what());
  }
}

bool empty_output(const Conv2DGeometry& g) {
  return g.batch == 0 || g.out_h == 0 || g.out_w == 0 || g.out_c == 0;
}

}  // namespace

void conv2d_forward(const Conv2DGeometry& g, const float* x, const float* kernel, float* y, ConvEpilogue epilogue) {
  if (empty_output(g)) return;
  if (g.in_c == 0) {  // the convolution is 0 everywhere: the epilogue of 0
    for (int64_t i = 0, n = g.batch * g.out_h * g.out_w * g.out_c; i < n; ++i) {
      const float v = epilogue.bias ? epilogue.bias[i % g.out_c] : 0.f;
      y[i] = epilogue.relu && v < 0.f ? 0.f : v;
    }
    return;
  }
  with_plan(g, "forward", [&](ConvPlan& plan) { plan.forward(x, kernel, y, epilogue); });
}

void conv2d_backward_data(const Conv2DGeometry& g, const float* dy, const float* kernel, float* dx) {
  if (empty_output(g) || g.in_c == 0) {
    std::fill_n(dx, g.batch * g.in_h * g.in_w * g.in_c, 0.f);
    return;
  }
  with_plan(g, "backward data", [&](ConvPlan& plan) { plan.backward_data(dy, kernel, dx); });
}

void conv2d_backward_filter(const Conv2DGeometry& g, const float* x, const float* dy, float* dkernel) {
  if (empty_output(g) || g.in_c == 0) {
    std::fill_n(dkernel, g.kernel_size(), 0.f);
    return;
  }
  with_plan(g, "backward filter", [&](ConvPlan& plan) { plan.backward_filter(x, dy, dkernel); });
}

}  // namespace cairn::kernels
