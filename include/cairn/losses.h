// Loss functions with tf.keras 2.x names and formulas:
//
//   SparseCategoricalCrossentropy loss(/*from_logits=*/true);   // or get_loss("sparse_categorical_crossentropy")
//   Tensor value = loss(labels, model(x));                      // float32 scalar, differentiable w.r.t. y_pred
//
// operator() applies Keras's default reduction, "sum_over_batch_size": the mean of the per-sample
// losses that call() returns. Like Keras, a y_true of shape (B,) is accepted for a y_pred of shape (B, 1)
// and the other way round; other shape mismatches are ShapeErrors naming both shapes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cairn/keyword_args.h"
#include "cairn/tensor.h"

namespace cairn {

class Loss {
 public:
  virtual ~Loss() = default;

  // Keras's identifier ("sparse_categorical_crossentropy") and class name ("SparseCategoricalCrossentropy").
  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }

  // The mean of call() over all its elements, as a float32 scalar (0 for an empty batch).
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const;
  // The unreduced per-sample losses: one per element of y_pred without its last axis (the classes, or
  // the values averaged per sample); for y_pred of rank 1 or 0, one per element.
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // The class's own Keras config arguments (without name, reduction and dtype), in Keras's order.
  virtual ArgList get_config() const { return {}; }

 protected:
  Loss(std::string class_name, std::string name);

 private:
  std::string class_name_;
  std::string name_;
};

using LossPtr = std::shared_ptr<Loss>;

// y_true: integer class ids of shape y_pred.shape[:-1] (or with a trailing 1); y_pred: (..., classes)
// logits or probabilities. From probabilities, as Keras: clip to [1e-7, 1 - 1e-7], then the softmax
// cross-entropy of their log, which renormalizes them over the classes. Integral float labels are
// accepted; a label outside [0, classes) is an InvalidArgument naming it.
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false);
  bool from_logits() const { return from_logits_; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;

 private:
  bool from_logits_;
};

// y_true: one-hot (or soft) targets of y_pred's shape. From probabilities, as Keras: normalize y_pred
// to sum to 1 over the last axis, clip to [1e-7, 1 - 1e-7], then -sum(y_true * log(y_pred)).
// label_smoothing s replaces y_true by y_true (1 - s) + s / classes.
class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0.0);
  bool from_logits() const { return from_logits_; }
  double label_smoothing() const { return label_smoothing_; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;

 private:
  bool from_logits_;
  double label_smoothing_;
};

// Elementwise binary cross-entropy, averaged over the last axis. From probabilities, as Keras: clip to
// [1e-7, 1 - 1e-7], then -(y log(p + 1e-7) + (1 - y) log(1 - p + 1e-7)). label_smoothing s replaces
// y_true by y_true (1 - s) + s / 2.
class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0.0);
  bool from_logits() const { return from_logits_; }
  double label_smoothing() const { return label_smoothing_; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;

 private:
  bool from_logits_;
  double label_smoothing_;
};

// (y_pred - y_true)^2 averaged over the last axis.
class MeanSquaredError : public Loss {
 public:
  MeanSquaredError();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// (|y_pred - y_true|) averaged over the last axis.
class MeanAbsoluteError : public Loss {
 public:
  MeanAbsoluteError();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// 100 |(y_true - y_pred) / max(|y_true|, 1e-7)| averaged over the last axis.
class MeanAbsolutePercentageError : public Loss {
 public:
  MeanAbsolutePercentageError();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// (log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1))^2 averaged over the last axis.
class MeanSquaredLogarithmicError : public Loss {
 public:
  MeanSquaredLogarithmicError();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// With e = y_pred - y_true: e^2 / 2 where |e| <= delta, else delta (|e| - delta / 2); mean over the last axis.
class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0);
  double delta() const { return delta_; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;

 private:
  double delta_;
};

// log(cosh(y_pred - y_true)), computed as e + softplus(-2e) - log 2, averaged over the last axis.
class LogCosh : public Loss {
 public:
  LogCosh();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// sum(t log(t / p)) over the last axis, with both clipped to [1e-7, 1].
class KLDivergence : public Loss {
 public:
  KLDivergence();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// (y_pred - y_true log(y_pred + 1e-7)) averaged over the last axis.
class Poisson : public Loss {
 public:
  Poisson();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// max(1 - y_true y_pred, 0) averaged over the last axis (squared: its square). Labels that are all 0 or 1
// become -1 and 1 first, as in Keras.
class Hinge : public Loss {
 public:
  Hinge();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

class SquaredHinge : public Loss {
 public:
  SquaredHinge();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// max(max((1 - y_true) y_pred) - sum(y_true y_pred) + 1, 0) over the last axis (one-hot y_true).
class CategoricalHinge : public Loss {
 public:
  CategoricalHinge();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

// -sum(l2_normalize(y_true) l2_normalize(y_pred)) over the last axis (Keras's axis=-1), each normalized as
// x / max(||x||, 1e-7).
class CosineSimilarity : public Loss {
 public:
  CosineSimilarity();
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;
};

// Keras 3's categorical focal cross-entropy: with p the normalized, clipped probabilities (softmax of
// logits), sum(alpha (1 - p)^gamma (-y_true log p)) over the last axis; label smoothing as
// CategoricalCrossentropy.
class CategoricalFocalCrossentropy : public Loss {
 public:
  explicit CategoricalFocalCrossentropy(double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                        double label_smoothing = 0.0);
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;

 private:
  double alpha_, gamma_;
  bool from_logits_;
  double label_smoothing_;
};

// Keras 3's binary focal cross-entropy: (1 - p_t)^gamma bce, p_t = y p + (1 - y)(1 - p), weighted by
// y alpha + (1 - y)(1 - alpha) with apply_class_balancing, averaged over the last axis; label smoothing as
// BinaryCrossentropy.
class BinaryFocalCrossentropy : public Loss {
 public:
  explicit BinaryFocalCrossentropy(bool apply_class_balancing = false, double alpha = 0.25, double gamma = 2.0,
                                   bool from_logits = false, double label_smoothing = 0.0);
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  ArgList get_config() const override;

 private:
  bool apply_class_balancing_;
  double alpha_, gamma_;
  bool from_logits_;
  double label_smoothing_;
};

// ---- the registry: one line per loss in src/losses/registry.cc

struct LossRegistration {
  std::string class_name;            // "MeanAbsoluteError"
  std::string function_name;         // Keras's function identifier: "mean_absolute_error"
  std::vector<std::string> aliases;  // other identifiers Keras accepts: "mae", "MAE"
  // Makes the loss from its class's own config arguments (get_config()'s keys), Keras's defaults for
  // absent ones; InvalidArgument for a bad or unknown argument.
  std::function<LossPtr(KeywordArgs& args)> make;
};
// Every loss cairn has, in keras.losses' order.
const std::vector<LossRegistration>& loss_registry();
// By class name, function name or alias; nullptr when none matches.
const LossRegistration* find_loss(const std::string& name);

// By Keras identifier (class name, function name or alias: "mse", "huber", "BinaryCrossentropy"), with
// Keras's default arguments. InvalidArgument naming the unknown name otherwise.
LossPtr get_loss(const std::string& name);
// The loss of class (or identifier) `class_name` from its own config arguments.
LossPtr make_loss(const std::string& class_name, KeywordArgs& args);

}  // namespace cairn
