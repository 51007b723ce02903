// MultiWorkerMirroredStrategy: the replica context that fit uses, with gradients fused into buckets.
#include <mpi.h>

#include <algorithm>
#include <climits>

#include "cairn/distributed.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "random_layers.h"

namespace cairn {
namespace {

void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw IOError(std::string("MPI: ") + call + " failed with error " + std::to_string(status));
}

// The gradients of a step are packed, each times the local sample count, into one float buffer in
// reverse order of the variables (the backward pass finishes the last layers' gradients first) and cut
// into buckets of a fixed number of floats. A bucket's MPI_Iallreduce starts once every gradient in it
// is packed and every bucket before it has started: every replica starts the same buckets in the same
// order (as MPI requires of collectives), whenever its backward pass gets there, and a bucket's sum is
// that of the same floats, so its order, and with it every bit of the result, does not depend on when
// the gradients came. The end of a step reduces one double buffer: per variable, 1 where this replica
// has its gradient, then the sample count and the step's metric sums (a Mean's total, loss times
// samples, as a float would lose what one process keeps in double).
class MirroredReplicaContext : public ReplicaContext {
 public:
  MirroredReplicaContext(Communicator& communicator, const MultiWorkerMirroredStrategyOptions& options)
      : communicator_(communicator),
        bucket_floats_(std::clamp<int64_t>(options.bucket_bytes / static_cast<int64_t>(sizeof(float)), 1, INT_MAX)),
        reduce_during_backward_(options.reduce_during_backward) {}

  int num_replicas_in_sync() const override { return communicator_.size(); }
  int replica_id_in_sync_group() const override { return communicator_.rank(); }

  std::unique_ptr<GradientReduction> begin_gradient_reduction(const std::vector<VariablePtr>& variables,
                                                              int64_t local_samples) override;

  void broadcast_from_first(const std::vector<Tensor>& tensors) override {
    if (communicator_.size() == 1) return;
    for (Tensor t : tensors)
      if (t.defined()) communicator_.broadcast(t.raw_data(), t.nbytes(), 0);
  }

 private:
  friend class MirroredGradientReduction;
  Communicator& communicator_;
  const int64_t bucket_floats_;
  const bool reduce_during_backward_;
  bool reducing_ = false;         // a reduction is between begin and its end
  std::vector<float> buffer_;     // the gradients; kept between steps: the same size every step
  std::vector<double> counts_;    // the flags, the sample count and the metric sums
};

class MirroredGradientReduction : public GradientReduction {
 public:
  MirroredGradientReduction(MirroredReplicaContext& context, const std::vector<VariablePtr>& variables,
                            int64_t local_samples)
      : context_(context),
        variables_(variables),
        local_samples_(local_samples),
        offsets_(variables.size()),
        packed_(variables.size(), false),
        has_gradient_(variables.size(), false) {
    if (context_.reducing_)
      throw InvalidArgument("MultiWorkerMirroredStrategy: a gradient reduction begun before the previous one ended");
    int64_t floats = 0;
    for (size_t v = variables_.size(); v-- > 0;) {
      offsets_[v] = floats;
      floats += variables_[v]->value().numel();
    }
    floats_ = floats;
    context_.buffer_.resize(static_cast<size_t>(floats));
    const int64_t bucket = context_.bucket_floats_;
    gradients_left_.assign(static_cast<size_t>((floats + bucket - 1) / bucket), 0);
    for (size_t v = 0; v < variables_.size(); ++v)
      for_each_bucket(v, [&](size_t b) { ++gradients_left_[b]; });
    // Set last: if an allocation above throws, no destructor runs, and the context must stay usable.
    context_.reducing_ = true;
  }

  ~MirroredGradientReduction() override {
    // Abandoned by an exception: the buckets started still read and write the buffer, and every replica
    // started them, so they end.
    if (!requests_.empty()) MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    context_.reducing_ = false;
  }

  void gradient_final(size_t index, const Tensor& gradient) override {
    if (!context_.reduce_during_backward_) return;  // finish sends everything
    if (index >= variables_.size())
      throw InvalidArgument("MultiWorkerMirroredStrategy: gradient of variable " + std::to_string(index) + " of " +
                            std::to_string(variables_.size()));
    if (packed_[index])
      throw InvalidArgument("MultiWorkerMirroredStrategy: a second final gradient for variable '" +
                            variables_[index]->name() + "'");
    pack(index, gradient);
    start_complete_buckets();
    // Open MPI moves a non-blocking collective on only inside MPI calls: this is the backward pass's.
    int done = 0;
    check(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
  }

  void finish(std::vector<Tensor>& gradients, std::span<double> sums) override {
    if (gradients.size() != variables_.size())
      throw InvalidArgument("MultiWorkerMirroredStrategy: " + std::to_string(gradients.size()) + " gradients for " +
                            std::to_string(variables_.size()) + " variables");
    // In the buffer's order, so that each bucket starts as soon as it is whole, while the next is packed.
    for (size_t v = variables_.size(); v-- > 0;) {
      if (packed_[v]) continue;
      pack(v, gradients[v]);
      start_complete_buckets();
    }
    const size_t n = variables_.size();
    std::vector<double>& counts = context_.counts_;
    counts.assign(n + 1 + sums.size(), 0.0);
    for (size_t v = 0; v < n; ++v) counts[v] = has_gradient_[v] ? 1.0 : 0.0;
    counts[n] = static_cast<double>(local_samples_);
    std::copy(sums.begin(), sums.end(), counts.begin() + static_cast<std::ptrdiff_t>(n + 1));
    start(counts.data(), static_cast<int>(counts.size()), MPI_DOUBLE);
    check(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    requests_.clear();
    std::copy(counts.begin() + static_cast<std::ptrdiff_t>(n + 1), counts.end(), sums.begin());
    const auto samples = static_cast<int64_t>(counts[n]);
    if (samples <= 0) throw InvalidArgument("fit: a step in which no replica had a sample");
    // New tensors: the tape's gradients may share storage with tensors still in use.
    const float inverse = 1.0f / static_cast<float>(samples);
    const std::vector<float>& buffer = context_.buffer_;
    for (size_t v = 0; v < n; ++v) {
      if (counts[v] == 0.0) {  // no replica's loss reaches the variable: no gradient, as in one process
        gradients[v] = Tensor();
        continue;
      }
      Tensor reduced(variables_[v]->shape(), DType::Float32);
      float* out = reduced.data<float>();
      const float* in = buffer.data() + offsets_[v];
      for (int64_t j = 0, size = reduced.numel(); j < size; ++j) out[j] = in[j] * inverse;
      gradients[v] = reduced;
    }
  }

 private:
  template <class F>
  void for_each_bucket(size_t v, F&& f) const {
    const int64_t n = variables_[v]->value().numel(), bucket = context_.bucket_floats_;
    if (n == 0) return;
    for (int64_t b = offsets_[v] / bucket; b <= (offsets_[v] + n - 1) / bucket; ++b) f(static_cast<size_t>(b));
  }

  // Every variable has its place whether or not this replica has its gradient (zeros then), so that
  // every replica reduces the same buckets.
  void pack(size_t v, const Tensor& gradient) {
    if (gradient.defined() && gradient.dtype() != DType::Float32)  // as apply_gradients requires
      throw InvalidArgument("MultiWorkerMirroredStrategy: gradients must be float32, got " +
                            std::string(dtype_name(gradient.dtype())) + " for variable '" + variables_[v]->name() +
                            "'");
    if (gradient.defined() && gradient.shape() != variables_[v]->shape())
      throw ShapeError("MultiWorkerMirroredStrategy: gradient of shape " + shape_str(gradient.shape()) +
                       " for variable '" + variables_[v]->name() + "' of shape " + shape_str(variables_[v]->shape()));
    float* out = context_.buffer_.data() + offsets_[v];
    const int64_t n = variables_[v]->value().numel();
    if (gradient.defined()) {
      const float* values = gradient.data<float>();
      const float scale = static_cast<float>(local_samples_);
      for (int64_t j = 0; j < n; ++j) out[j] = values[j] * scale;
    } else {
      std::fill(out, out + n, 0.0f);
    }
    packed_[v] = true;
    has_gradient_[v] = gradient.defined();
    for_each_bucket(v, [&](size_t b) { --gradients_left_[b]; });
  }

  void start_complete_buckets() {
    const int64_t bucket = context_.bucket_floats_;
    for (; next_bucket_ < gradients_left_.size() && gradients_left_[next_bucket_] == 0; ++next_bucket_) {
      const int64_t begin = static_cast<int64_t>(next_bucket_) * bucket;
      start(context_.buffer_.data() + begin, static_cast<int>(std::min(bucket, floats_ - begin)), MPI_FLOAT);
    }
  }

  void start(void* data, int count, MPI_Datatype type) {
    requests_.emplace_back();
    check(MPI_Iallreduce(MPI_IN_PLACE, data, count, type, MPI_SUM, MPI_COMM_WORLD, &requests_.back()),
          "MPI_Iallreduce");
  }

  MirroredReplicaContext& context_;
  const std::vector<VariablePtr> variables_;
  const int64_t local_samples_;
  std::vector<int64_t> offsets_;       // of each variable's gradient in the buffer
  int64_t floats_ = 0;                 // the buffer's size
  std::vector<bool> packed_, has_gradient_;
  std::vector<int64_t> gradients_left_;  // per bucket: how many of the gradients in it are not packed yet
  size_t next_bucket_ = 0;
  std::vector<MPI_Request> requests_;
};

// Alone: the gradients are already the answer, bit for bit.
class NoReduction : public GradientReduction {
 public:
  void gradient_final(size_t index, const Tensor& gradient) override { handed_over_.emplace_back(index, gradient); }
  void finish(std::vector<Tensor>& gradients, std::span<double>) override {
    for (const auto& [index, gradient] : handed_over_)
      if (index < gradients.size()) gradients[index] = gradient;
  }

 private:
  std::vector<std::pair<size_t, Tensor>> handed_over_;
};

std::unique_ptr<GradientReduction> MirroredReplicaContext::begin_gradient_reduction(
    const std::vector<VariablePtr>& variables, int64_t local_samples) {
  if (communicator_.size() == 1) return std::make_unique<NoReduction>();
  return std::make_unique<MirroredGradientReduction>(*this, variables, local_samples);
}

}  // namespace

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(MultiWorkerMirroredStrategyOptions options)
    : communicator_(Communicator::world()) {
  if (options.bucket_bytes < 1)
    throw InvalidArgument("MultiWorkerMirroredStrategy: bucket_bytes must be positive, got " +
                          std::to_string(options.bucket_bytes));
  context_ = std::make_shared<MirroredReplicaContext>(communicator_, options);
}

void MultiWorkerMirroredStrategy::distribute(Model& model) const {
  if (replica_id() == 0) return;
  for (Layer* layer : random_layers(model))
    layer->generator() = layer->generator().fork(static_cast<uint64_t>(replica_id()));
}

}  // namespace cairn
