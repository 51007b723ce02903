// Differentiable operations on tensors. Each returns a new tensor and, while a GradientTape watches
// one of its inputs, records its gradient. Shape errors name the op and both shapes.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "cairn/random.h"
#include "cairn/tensor.h"

namespace cairn::ops {

// ---- elementwise, with numpy broadcasting (trailing dimensions must be equal or 1)
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // gradient to a where a >= b
Tensor scale(const Tensor& a, double factor);
Tensor add_scalar(const Tensor& a, double value);
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor square(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor clip(const Tensor& a, double low, double high);  // gradient 0 outside [low, high]
Tensor power(const Tensor& a, double exponent);  // a^exponent elementwise

// ---- activations
Tensor relu(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor softmax(const Tensor& a, int axis = -1);      // numerically stable
Tensor log_softmax(const Tensor& a, int axis = -1);  // numerically stable
// Keras 3's formulas; gradients as TensorFlow's at the kinks (0 outside the open linear pieces).
Tensor relu6(const Tensor& a);                                  // min(max(x, 0), 6)
Tensor leaky_relu(const Tensor& a, double negative_slope = 0.2);  // x > 0 ? x : slope x
Tensor elu(const Tensor& a, double alpha = 1.0);                // x > 0 ? x : alpha (exp(x) - 1)
Tensor selu(const Tensor& a);                                   // scale elu(x, alpha), Keras's constants
Tensor softplus(const Tensor& a);                               // log(1 + exp(x)), stable
Tensor softsign(const Tensor& a);                               // x / (1 + |x|)
Tensor silu(const Tensor& a);                                   // x sigmoid(x) (Keras's swish)
// 0.5 x (1 + erf(x / sqrt 2)); approximate: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& a, bool approximate = false);
Tensor hard_sigmoid(const Tensor& a);                           // relu6(x + 3) / 6 (Keras 3)
Tensor hard_silu(const Tensor& a);                              // x hard_sigmoid(x) (hard_swish)
Tensor mish(const Tensor& a);                                   // x tanh(softplus(x))
Tensor celu(const Tensor& a, double alpha = 1.0);               // x > 0 ? x : alpha (exp(x / alpha) - 1)
Tensor hard_tanh(const Tensor& a);                              // clip(x, -1, 1)
Tensor log_sigmoid(const Tensor& a);                            // -softplus(-x)
Tensor tanh_shrink(const Tensor& a);                            // x - tanh(x)
Tensor soft_shrink(const Tensor& a, double threshold = 0.5);    // x -+ threshold outside it, else 0
Tensor hard_shrink(const Tensor& a, double threshold = 0.5);    // x outside [-threshold, threshold], else 0
Tensor squareplus(const Tensor& a, double b = 4.0);             // (x + sqrt(x^2 + b)) / 2
Tensor sparse_plus(const Tensor& a);                            // 0, (x + 1)^2 / 4, x on x <= -1, |x| < 1, x >= 1
// By Keras identifier ("relu", "gelu", "swish", "linear"...; "" means linear) with Keras's default
// arguments; InvalidArgument naming the known names otherwise.
Tensor activation(const Tensor& a, const std::string& name);
bool is_activation_name(const std::string& name);
// Every identifier activation() takes, in keras.activations' order.
std::vector<std::string> activation_names();

// ---- reductions (empty axes = all axes)
Tensor sum(const Tensor& a, std::vector<int> axes = {}, bool keepdims = false);
Tensor mean(const Tensor& a, std::vector<int> axes = {}, bool keepdims = false);
Tensor reduce_max(const Tensor& a, std::vector<int> axes = {}, bool keepdims = false);

// ---- shapes
Tensor reshape(const Tensor& a, const Shape& shape);  // one dimension may be -1
Tensor transpose(const Tensor& a);                      // rank 2
Tensor concat(const std::vector<Tensor>& tensors, int axis);
Tensor slice_rows(const Tensor& a, int64_t begin, int64_t end);  // a[begin:end] on axis 0
Tensor gather_rows(const Tensor& a, const std::vector<int64_t>& rows);  // a[rows] on axis 0
Tensor cast(const Tensor& a, DType dtype);  // differentiable between floating types only
Tensor stop_gradient(const Tensor& a);
// numpy.transpose(a, perm): output axis i is input axis perm[i]; perm is a permutation of 0..rank-1.
Tensor permute(const Tensor& a, const std::vector<int>& perm);
// a[..., begin:end, ...] along `axis` (negative counts from the end); 0 <= begin <= end <= a.dim(axis).
Tensor slice(const Tensor& a, int axis, int64_t begin, int64_t end);

// ---- linear algebra (float32 through BLAS)
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
Tensor bias_add(const Tensor& x, const Tensor& bias);  // bias over the last axis
// a (..., m, k) @ b (..., k, n) for every leading index (the same leading dimensions), with transposes.
Tensor batch_matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
// x (..., in) @ kernel (in, out) + bias (out); bias may be undefined. Keras Dense without activation.
Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias);

// ---- convolution and pooling, NHWC, as tf.nn
enum class Padding { Same, Valid };
Padding padding_from_name(const std::string& name);  // "same" / "valid" (case-insensitive)
// x (N,H,W,C), kernel (KH,KW,C/G,F) -> (N,OH,OW,F). 'same': OH = ceil(H/stride), TF's asymmetric padding.
// As tf.nn.conv2d, a kernel with fewer input channels than x makes a grouped convolution: G = C / kernel's
// input channels, and output channel f sees input group f / (F/G) (a depthwise convolution: kernel (KH,KW,1,C*M)).
// dilation spreads the kernel's taps that far apart (the window spans (K-1)*dilation+1 pixels).
Tensor conv2d(const Tensor& x, const Tensor& kernel, std::array<int, 2> strides, Padding padding,
              std::array<int, 2> dilation = {1, 1});
// relu(bias_add(conv2d(x, kernel), bias)) as one op, TensorFlow's _FusedConv2D: bias may be undefined, and
// relu false leaves it out. oneDNN applies both as it writes the convolution's output, and the gradient
// takes relu's mask and the bias's sums in one pass: no intermediate tensors.
Tensor fused_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, bool relu, std::array<int, 2> strides,
                    Padding padding, std::array<int, 2> dilation = {1, 1});
// The transposed convolution (tf.nn.conv2d_transpose, the gradient of conv2d with respect to its input):
// x (N,h,w,C), kernel (KH,KW,F,C) -> (N,H,W,F) where output_size = {H, W} is an image that conv2d with the
// same kernel, strides, padding and dilation maps to (h, w); ShapeError otherwise.
Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, std::array<int64_t, 2> output_size,
                        std::array<int, 2> strides, Padding padding, std::array<int, 2> dilation = {1, 1});
Tensor max_pool2d(const Tensor& x, std::array<int, 2> pool_size, std::array<int, 2> strides, Padding padding);
// The mean of each window; 'same' windows average only the input positions they cover (TensorFlow's).
Tensor avg_pool2d(const Tensor& x, std::array<int, 2> pool_size, std::array<int, 2> strides, Padding padding);

// ---- embeddings and recurrences
// table (V,D), ids (any shape, int32 or int64) -> ids.shape + (D,). An id outside [0,V) is InvalidArgument.
Tensor embedding_lookup(const Tensor& table, const Tensor& ids);
// Keras LSTM (activation tanh, recurrent_activation sigmoid, gate order i,f,c,o), zero initial state.
// x (B,T,I), kernel (I,4U), recurrent_kernel (U,4U), bias (4U) or undefined.
// Returns (B,T,U) with return_sequences, else the last output (B,U).
Tensor lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
            bool return_sequences);
// Keras 3 GRU with reset_after (activation tanh, recurrent_activation sigmoid, gate order z,r,h), zero
// initial state. x (B,T,I), kernel (I,3U), recurrent_kernel (U,3U), bias (2,3U) (input row, recurrent
// row) or undefined. Returns (B,T,U) with return_sequences, else the last output (B,U).
Tensor gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
           bool return_sequences);

// ---- normalization
// Over the last axis: (x - mean) / sqrt(variance + epsilon) * gamma + beta, with the biased variance;
// gamma and beta (features,) may be undefined (1 and 0). Keras's LayerNormalization, fused.
Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon);
// Keras's BatchNormalization in training: each channel (last axis) normalized with its mean and biased
// variance over every other axis, then * gamma + beta (either may be undefined). Sets batch_mean and
// batch_variance (channels,), which are not part of the gradient.
Tensor batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon, Tensor& batch_mean,
                           Tensor& batch_variance);

// ---- regularization
// Inverted dropout: keeps each element with probability 1-rate and scales it by 1/(1-rate).
Tensor dropout(const Tensor& x, double rate, Generator& generator);

// ---- fused losses (per example, no reduction)
// logits (B,C), labels (B,) int32/int64 -> (B,) of -log softmax(logits)[label]
Tensor sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels);
// logits and labels of the same shape -> elementwise max(x,0) - x*z + log(1+exp(-|x|))
Tensor sigmoid_cross_entropy(const Tensor& logits, const Tensor& labels);

// ---- not differentiable
Tensor argmax(const Tensor& a, int axis = -1);  // int64
Tensor equal(const Tensor& a, const Tensor& b);  // bool, with broadcasting

}  // namespace cairn::ops

namespace cairn {
inline Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
inline Tensor operator-(const Tensor& a) { return ops::neg(a); }
}  // namespace cairn
