// compile / fit / evaluate / predict: the Keras training loop.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/epoch_iterator.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "cairn/ops.h"
#include "cairn/replica_context.h"

namespace cairn {

namespace {
// Keras's CallbackList: every hook goes to each callback in order, except that callbacks which
// snapshot the others (runs_last: BackupAndRestore) restore before them and save after them.
class CallbackList {
 public:
  CallbackList(std::vector<CallbackPtr> callbacks, Model* model, const std::map<std::string, double>& params)
      : callbacks_(std::move(callbacks)) {
    for (auto& c : callbacks_) {
      c->set_model(model);
      c->set_params(params);
    }
    std::stable_partition(callbacks_.begin(), callbacks_.end(), [](const CallbackPtr& c) { return !c->runs_last(); });
    first_ = callbacks_;
    std::stable_partition(first_.begin(), first_.end(), [](const CallbackPtr& c) { return c->runs_last(); });
  }
  template <class Hook, class... Args>
  void each(Hook hook, Args&&... args) {
    for (auto& c : callbacks_) ((*c).*hook)(args...);
  }
  void train_begin() {
    for (auto& c : first_) c->on_train_begin(Logs{});
  }

 private:
  std::vector<CallbackPtr> callbacks_, first_;
};

bool stdout_is_terminal() { return isatty(fileno(stdout)) == 1; }

int64_t first_dim(const Tensor& t) { return t.rank() ? t.dim(0) : 0; }

struct NonFiniteCount {
  int64_t nan = 0, infinite = 0;
};

// Branch-free, so that the scan vectorizes: it runs over every input of predict and evaluate.
template <class T>
NonFiniteCount count_non_finite(const T* values, int64_t n) {
  NonFiniteCount count;
  for (int64_t i = 0; i < n; ++i) {
    count.nan += values[i] != values[i];
    count.infinite += std::fabs(values[i]) == std::numeric_limits<T>::infinity();
  }
  return count;
}

NonFiniteCount count_non_finite(const Tensor& t) {
  if (t.dtype() == DType::Float32) return count_non_finite(t.data<float>(), t.numel());
  if (t.dtype() == DType::Float64) return count_non_finite(t.data<double>(), t.numel());
  return {};
}

// One line on stderr when inputs hold NaN or infinities: they reach the outputs as NaN (as in
// TensorFlow), where a prediction or a metric would be wrong without saying why.
void warn_about_non_finite_inputs(const char* call, const std::vector<std::pair<const char*, const Tensor*>>& inputs) {
  std::string found;
  for (const auto& [name, tensor] : inputs) {
    const NonFiniteCount count = count_non_finite(*tensor);
    if (count.nan == 0 && count.infinite == 0) continue;
    found += std::string(found.empty() ? "" : ", ") + name + " holds " + std::to_string(count.nan) + " NaN and " +
             std::to_string(count.infinite) + " infinite values (of " + std::to_string(tensor->numel()) + ")";
  }
  if (!found.empty())
    std::cerr << "WARNING: " << call << ": " << found << "; the results computed from them are NaN or infinite.\n";
}

// Data-parallel fit: every replica takes an equal part of each global batch, starts from replica 0's
// weights and shuffles with replica 0's seed (so that the replicas' parts are disjoint). Returns the seed.
uint64_t start_replicas(ReplicaContext& replicas, const std::vector<VariablePtr>& weights, const FitOptions& options) {
  const int count = replicas.num_replicas_in_sync();
  if (options.batch_size % count != 0)
    throw InvalidArgument("fit: the global batch_size " + std::to_string(options.batch_size) +
                          " is not divisible by the " + std::to_string(count) +
                          " replicas training together: each replica trains on an equal part of every batch");
  Tensor seed = Tensor::from_vector<int64_t>({1}, {static_cast<int64_t>(options.seed ? *options.seed : next_seed())});
  std::vector<Tensor> values{seed};
  for (const auto& w : weights) values.push_back(w->value());
  replicas.broadcast_from_first(values);
  return static_cast<uint64_t>(seed.data<int64_t>()[0]);
}
}  // namespace

void Model::compile(CompileOptions options) {
  auto optimizer = options.optimizer.object ? options.optimizer.object : get_optimizer(options.optimizer.name);
  if (!options.loss.object && options.loss.name.empty())
    throw InvalidArgument("compile: a loss is required, e.g. loss = \"sparse_categorical_crossentropy\"");
  auto loss = options.loss.object ? options.loss.object : get_loss(options.loss.name);
  for (const auto& m : options.metrics)
    if (!is_metric_name(m)) make_metric(m, {}, {});  // throws the Keras "Unknown metric function" error
  optimizer_ = std::move(optimizer);
  loss_ = std::move(loss);
  metric_names_ = std::move(options.metrics);
  metrics_.clear();
}

Optimizer& Model::optimizer() const {
  if (!optimizer_) throw InvalidArgument("You must call compile() before using model \"" + name() + "\" for training");
  return *optimizer_;
}

const Loss& Model::loss() const {
  if (!loss_) throw InvalidArgument("You must call compile() before using model \"" + name() + "\" for training");
  return *loss_;
}

void Model::ensure_metrics(const Tensor& y_true, const Tensor& y_pred) {
  if (metrics_.size() == metric_names_.size()) return;
  metrics_.clear();
  for (const auto& name : metric_names_) metrics_.push_back(make_metric(name, y_true.shape(), y_pred.shape()));
}

void Model::reset_metrics() {
  loss_tracker_.reset_state();
  for (auto& m : metrics_) m->reset_state();
}

Logs Model::current_logs() const {
  Logs logs{{"loss", loss_tracker_.result()}};
  for (const auto& m : metrics_) logs[m->name()] = m->result();
  return logs;
}

std::map<std::string, std::pair<double, double>> Model::metric_totals() const {
  std::map<std::string, std::pair<double, double>> totals{{"loss", loss_tracker_.totals()}};
  for (const auto& m : metrics_) totals[m->name()] = m->totals();
  return totals;
}

void Model::set_metric_totals(const std::map<std::string, std::pair<double, double>>& totals) {
  for (const auto& [name, value] : totals) {
    if (name == "loss") loss_tracker_.set_totals(value.first, value.second);
    for (auto& m : metrics_)
      if (m->name() == name) m->set_totals(value.first, value.second);
  }
}

TrainingState Model::training_state() const {
  const int64_t iterations = optimizer_ ? optimizer_->iterations()->value().data<int64_t>()[0] : 0;
  // Between resume_from (in on_train_begin) and the first epoch: the state fit is about to continue from.
  if (resume_state_) return {iterations, resume_state_->position, resume_state_->metric_totals};
  return {iterations, position_, metric_totals()};
}

void Model::resume_from(TrainingState state) { resume_state_ = std::move(state); }

void Model::check_fit_arguments(const Tensor& x, const Tensor& y, const char* method, bool probe_model) {
  loss();  // compiled?
  if (!x.defined() || !y.defined()) throw InvalidArgument(std::string(method) + ": x and y must be given");
  if (first_dim(x) != first_dim(y))
    throw ShapeError(std::string(method) + ": Data cardinality is ambiguous: x sizes: " + std::to_string(first_dim(x)) +
                     ", y sizes: " + std::to_string(first_dim(y)) +
                     ". Make sure all arrays contain the same number of samples.");
  if (first_dim(x) == 0) throw InvalidArgument(std::string(method) + ": x has no samples");
  if (probe_model) probe(x, y);
  check_labels(y, method);
}

void Model::probe(const Tensor& x, const Tensor& y) {
  // One sample through the model in inference mode (no random draws) checks the input shape and
  // builds the model; the loss on it checks the labels' shape before any training happens.
  Tensor probe_x = ops::slice_rows(x, 0, 1);
  Tensor probe_y, output;
  {
    autodiff::NoGradGuard no_grad;
    output = (*this)(probe_x, false);
    probe_y = ops::slice_rows(y, 0, 1);
    loss()(probe_y, output);
  }
  ensure_metrics(probe_y, output);
  output_classes_ = output.rank() >= 1 ? output.dim(-1) : 0;
}

void Model::check_labels(const Tensor& y, const char* method) {
  // Every sparse label must name one of the model's outputs.
  if (loss().name() == "sparse_categorical_crossentropy" && output_classes_ > 0 && !is_floating(y.dtype())) {
    const int64_t classes = output_classes_;
    Tensor labels = y.to(DType::Int64);
    for (int64_t i = 0; i < labels.numel(); ++i) {
      int64_t label = labels.data<int64_t>()[i];
      if (label < 0 || label >= classes)
        throw InvalidArgument(std::string(method) + ": Received a label value of " + std::to_string(label) + " at index " +
                              std::to_string(i) + " which is outside the valid range of [0, " + std::to_string(classes) +
                              ") for a model with " + std::to_string(classes) + " outputs");
    }
  }
}

Logs Model::train_step(const Tensor& x, const Tensor& y) {
  const auto vars = trainable_weights();
  const int64_t samples = first_dim(x);
  Tensor y_pred, loss_value;
  std::vector<Tensor> grads;
  if (samples > 0) {
    GradientTape tape;
    y_pred = (*this)(x, /*training=*/true);
    loss_value = loss()(y, y_pred);
    grads = tape.gradient(loss_value, vars);
  } else {
    // A replica whose part of a short last batch is empty adds nothing to the others' gradients.
    for (const auto& v : vars) grads.emplace_back(v->value().shape(), v->value().dtype());
  }
  if (replica_context_) replica_context_->all_reduce_gradients(grads, samples);
  optimizer().apply_gradients(grads, vars);
  autodiff::NoGradGuard no_grad;
  if (samples > 0) {
    ensure_metrics(y, y_pred);
    loss_tracker_.update(loss_value.item(), static_cast<double>(samples));
    for (auto& m : metrics_) m->update_state(y, y_pred);
  }
  return replica_context_ ? replicated_logs() : current_logs();
}

Logs Model::replicated_logs() const {
  const auto totals = metric_totals();
  std::vector<double> sums;
  for (const auto& [name, total] : totals) sums.insert(sums.end(), {total.first, total.second});
  replica_context_->all_reduce_sum(sums);
  Logs logs;
  size_t i = 0;
  for (const auto& [name, total] : totals) {
    logs[name] = sums[i + 1] > 0 ? sums[i] / sums[i + 1] : 0.0;  // Metric::result() of the sums
    i += 2;
  }
  return logs;
}

Logs Model::test_step(const Tensor& x, const Tensor& y) {
  autodiff::NoGradGuard no_grad;
  Tensor y_pred = (*this)(x, /*training=*/false);
  Tensor loss_value = loss()(y, y_pred);
  ensure_metrics(y, y_pred);
  loss_tracker_.update(loss_value.item(), static_cast<double>(first_dim(x)));
  for (auto& m : metrics_) m->update_state(y, y_pred);
  return current_logs();
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y) {
  check_fit_arguments(x, y, "train_on_batch", /*probe_model=*/output_classes_ == 0);
  reset_metrics();
  return train_step(x, y);
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y) {
  check_fit_arguments(x, y, "test_on_batch", /*probe_model=*/output_classes_ == 0);
  reset_metrics();
  return test_step(x, y);
}

History Model::fit(const Tensor& x_all, const Tensor& y_all, FitOptions options) {
  if (options.batch_size <= 0) throw InvalidArgument("fit: batch_size must be positive, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw InvalidArgument("fit: epochs must be >= 0, got " + std::to_string(options.epochs));
  if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
    throw InvalidArgument("fit: validation_split must be in [0, 1), got " + std::to_string(options.validation_split));
  check_fit_arguments(x_all, y_all, "fit");

  Tensor x = x_all, y = y_all;
  std::optional<std::pair<Tensor, Tensor>> validation = options.validation_data;
  if (options.validation_split > 0 && !validation) {
    const int64_t n = first_dim(x_all);
    const int64_t split = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - options.validation_split)));
    if (split <= 0 || split >= n)
      throw InvalidArgument("fit: validation_split=" + std::to_string(options.validation_split) + " leaves no " +
                            (split <= 0 ? "training" : "validation") + " samples out of " + std::to_string(n));
    x = ops::slice_rows(x_all, 0, split);
    y = ops::slice_rows(y_all, 0, split);
    validation = std::make_pair(ops::slice_rows(x_all, split, n), ops::slice_rows(y_all, split, n));
  }
  if (validation) check_fit_arguments(validation->first, validation->second, "fit (validation_data)");

  ReplicaContext* replicas = options.replica_context.get();
  std::optional<uint64_t> seed = options.seed;
  if (replicas) {
    seed = start_replicas(*replicas, weights(), options);
    if (replicas->replica_id_in_sync_group() != 0) options.verbose = 0;
  }
  EpochIterator epochs(x, y, {.batch_size = options.batch_size, .shuffle = options.shuffle, .seed = seed,
                              .steps_per_epoch = options.steps_per_epoch,
                              .replica_id = replicas ? replicas->replica_id_in_sync_group() : 0,
                              .num_replicas = replicas ? replicas->num_replicas_in_sync() : 1});
  const int64_t steps = epochs.steps_per_epoch();

  auto history = std::make_shared<History>();
  std::vector<CallbackPtr> callbacks;
  std::ostream& out = options.output ? *options.output : std::cout;
  // An error out of fit may end the program (uncaught) without flushing std::cout: what was printed
  // up to the error must not be lost with it.
  struct FlushOnExit {
    std::ostream& out;
    ~FlushOnExit() { out.flush(); }
  } flush_on_exit{out};
  if (options.verbose)
    callbacks.push_back(std::make_shared<ProgbarLogger>(options.verbose, out, options.output == nullptr && stdout_is_terminal()));
  for (auto& c : options.callbacks) callbacks.push_back(c);
  callbacks.push_back(history);
  CallbackList list(callbacks, this, {{"epochs", options.epochs}, {"steps", static_cast<double>(steps)}, {"verbose", options.verbose}});

  stop_training = false;
  position_ = {.epoch = options.initial_epoch};
  resume_state_.reset();
  active_callbacks_ = callbacks;
  list.train_begin();
  // A callback (BackupAndRestore) may have said where to continue from in on_train_begin.
  int first_epoch = options.initial_epoch;
  if (resume_state_) {
    epochs.restore(resume_state_->position);
    set_metric_totals(resume_state_->metric_totals);
    first_epoch = resume_state_->position.epoch;
    resume_state_.reset();
  }
  replica_context_ = replicas;
  // Forget the replicas and the callbacks however fit ends, by an exception too.
  struct ForgetFitState {
    Model& model;
    ~ForgetFitState() {
      model.replica_context_ = nullptr;
      model.active_callbacks_.clear();
    }
  } forget_fit_state{*this};
  Logs epoch_logs;
  for (int epoch = first_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    // A resumed epoch keeps the running metric sums restored with it.
    if (epochs.begin_epoch(epoch)) reset_metrics();
    position_ = epochs.position();
    list.each(&Callback::on_epoch_begin, epoch, Logs{});
    Logs logs = current_logs();
    while (!stop_training) {
      std::optional<Batch> batch = epochs.next();
      if (!batch) break;
      // position_ counts the batches trained: a backup taken before this one is trained repeats it.
      const int64_t step = position_.step;
      list.each(&Callback::on_train_batch_begin, step, Logs{});
      logs = train_step(batch->x, batch->y);
      position_ = epochs.position();
      list.each(&Callback::on_train_batch_end, step, logs);
    }
    epoch_logs = logs;
    if (validation && !stop_training) {
      // The validation data was checked before training started.
      Logs val = evaluate_checked(validation->first, validation->second, {.batch_size = options.batch_size});
      for (const auto& [k, v] : val) epoch_logs["val_" + k] = v;
    }
    epochs.end_epoch();  // before on_epoch_end, so that a backup there resumes at the next epoch
    position_ = epochs.position();
    list.each(&Callback::on_epoch_end, epoch, epoch_logs);
  }
  list.each(&Callback::on_train_end, epoch_logs);
  return *history;
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options) {
  if (options.batch_size <= 0) throw InvalidArgument("evaluate: batch_size must be positive");
  check_fit_arguments(x, y, "evaluate");
  warn_about_non_finite_inputs("evaluate", {{"x", &x}, {"y", &y}});
  return evaluate_checked(x, y, options);
}

Logs Model::evaluate_checked(const Tensor& x, const Tensor& y, const EvaluateOptions& options) {
  // Validation inside fit must not disturb the training metrics of the epoch in progress.
  auto saved = metric_totals();
  reset_metrics();
  CallbackList list(options.callbacks, this, {{"verbose", options.verbose}});
  list.each(&Callback::on_test_begin, Logs{});
  const int64_t n = first_dim(x);
  const double start = monotonic_seconds();
  const int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  Logs logs;
  for (int64_t begin = 0, step = 0; begin < n; begin += options.batch_size, ++step) {
    const int64_t end = std::min(n, begin + options.batch_size);
    list.each(&Callback::on_test_batch_begin, step, Logs{});
    logs = test_step(ops::slice_rows(x, begin, end), ops::slice_rows(y, begin, end));
    list.each(&Callback::on_test_batch_end, step, logs);
  }
  list.each(&Callback::on_test_end, logs);
  if (options.verbose) {
    std::ostream& out = options.output ? *options.output : std::cout;
    out << evaluate_result_line(steps, monotonic_seconds() - start, logs) << "\n";
    out.flush();
  }
  set_metric_totals(saved);
  return logs;
}

Tensor Model::predict(const Tensor& x, PredictOptions options) {
  if (options.batch_size <= 0) throw InvalidArgument("predict: batch_size must be positive");
  warn_about_non_finite_inputs("predict", {{"x", &x}});
  autodiff::NoGradGuard no_grad;
  const int64_t n = first_dim(x);
  std::vector<Tensor> parts;
  for (int64_t begin = 0; begin < n; begin += options.batch_size)
    parts.push_back((*this)(ops::slice_rows(x, begin, std::min(n, begin + options.batch_size)), false));
  if (parts.empty()) throw InvalidArgument("predict: x has no samples");
  return parts.size() == 1 ? parts[0] : ops::concat(parts, 0);
}

}  // namespace cairn
