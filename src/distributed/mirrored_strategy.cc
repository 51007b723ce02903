// MultiWorkerMirroredStrategy: the replica context that fit uses, with gradients fused into buckets.
#include <mpi.h>

#include <algorithm>

#include "cairn/distributed.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "random_layers.h"

namespace cairn {
namespace {

void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw IOError(std::string("MPI: ") + call + " failed with error " + std::to_string(status));
}

class MirroredReplicaContext : public ReplicaContext {
 public:
  MirroredReplicaContext(Communicator& communicator, int64_t bucket_bytes)
      : communicator_(communicator),
        bucket_floats_(std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(sizeof(float)))) {}

  int num_replicas_in_sync() const override { return communicator_.size(); }
  int replica_id_in_sync_group() const override { return communicator_.rank(); }

  void all_reduce_gradients(std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables,
                            int64_t local_samples, std::span<double> sums) override {
    if (communicator_.size() == 1) return;  // alone: the gradients are already the answer, bit for bit
    if (gradients.size() != variables.size())
      throw InvalidArgument("MultiWorkerMirroredStrategy: " + std::to_string(gradients.size()) + " gradients for " +
                            std::to_string(variables.size()) + " variables");
    // Every variable has its place in the buffer whether or not this replica has its gradient (zeros
    // then), so that every replica reduces the same buckets. The gradients are packed (times the local
    // sample count) into consecutive buckets; each bucket's reduction starts as soon as it is packed and
    // runs while the next is packed. The last bucket ends with, per variable, 1 where this replica has
    // its gradient, then the sample count (floats are exact for counts up to 2^24). `sums` travel as
    // doubles in their own reduction, started with the last bucket: a Mean's total (loss times samples)
    // as a float would lose what one process keeps in double.
    int64_t floats = 0;
    for (size_t i = 0; i < variables.size(); ++i) {
      const Tensor& g = gradients[i];
      if (g.defined() && g.dtype() != DType::Float32)  // as apply_gradients requires
        throw InvalidArgument("MultiWorkerMirroredStrategy: gradients must be float32, got " +
                              std::string(dtype_name(g.dtype())) + " for variable '" + variables[i]->name() + "'");
      if (g.defined() && g.shape() != variables[i]->shape())
        throw ShapeError("MultiWorkerMirroredStrategy: gradient of shape " + shape_str(g.shape()) + " for variable '" +
                         variables[i]->name() + "' of shape " + shape_str(variables[i]->shape()));
      floats += variables[i]->value().numel();
    }
    const auto tail = static_cast<int64_t>(variables.size() + 1);
    buffer_.resize(static_cast<size_t>(floats + tail));
    std::vector<MPI_Request> requests;
    const float scale = static_cast<float>(local_samples);
    int64_t bucket_begin = 0, filled = 0;
    auto start_bucket = [&] {
      if (filled == bucket_begin) return;
      requests.emplace_back();
      check(MPI_Iallreduce(MPI_IN_PLACE, buffer_.data() + bucket_begin, static_cast<int>(filled - bucket_begin),
                           MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests.back()),
            "MPI_Iallreduce");
      bucket_begin = filled;
    };
    for (size_t v = 0; v < variables.size(); ++v) {
      const Tensor& g = gradients[v];
      const float* values = g.defined() ? g.data<float>() : nullptr;
      for (int64_t i = 0, n = variables[v]->value().numel(); i < n;) {
        const int64_t take = std::min(n - i, bucket_floats_ - (filled - bucket_begin));
        float* out = buffer_.data() + filled;
        if (values) {
          for (int64_t j = 0; j < take; ++j) out[j] = values[i + j] * scale;
        } else {
          std::fill(out, out + take, 0.0f);
        }
        i += take;
        filled += take;
        if (filled - bucket_begin == bucket_floats_) start_bucket();
      }
    }
    for (const Tensor& g : gradients) buffer_[static_cast<size_t>(filled++)] = g.defined() ? 1.0f : 0.0f;
    buffer_[static_cast<size_t>(filled++)] = static_cast<float>(local_samples);
    start_bucket();
    if (!sums.empty()) {
      requests.emplace_back();
      check(MPI_Iallreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_DOUBLE, MPI_SUM,
                           MPI_COMM_WORLD, &requests.back()),
            "MPI_Iallreduce");
    }
    check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    const float* flags = buffer_.data() + floats;
    const auto samples = static_cast<int64_t>(flags[variables.size()]);
    if (samples <= 0) throw InvalidArgument("fit: a step in which no replica had a sample");
    // New tensors: the tape's gradients may share storage with tensors still in use.
    const float inverse = 1.0f / static_cast<float>(samples);
    int64_t offset = 0;
    for (size_t v = 0; v < variables.size(); ++v) {
      const int64_t n = variables[v]->value().numel();
      if (flags[v] == 0.0f) {  // no replica's loss reaches the variable: no gradient, as in one process
        gradients[v] = Tensor();
      } else {
        Tensor reduced(variables[v]->shape(), DType::Float32);
        float* out = reduced.data<float>();
        for (int64_t j = 0; j < n; ++j) out[j] = buffer_[static_cast<size_t>(offset + j)] * inverse;
        gradients[v] = reduced;
      }
      offset += n;
    }
  }

  void broadcast_from_first(const std::vector<Tensor>& tensors) override {
    if (communicator_.size() == 1) return;
    for (Tensor t : tensors)
      if (t.defined()) communicator_.broadcast(t.raw_data(), t.nbytes(), 0);
  }

 private:
  Communicator& communicator_;
  const int64_t bucket_floats_;
  std::vector<float> buffer_;  // kept between steps: the same size every step
};

}  // namespace

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(MultiWorkerMirroredStrategyOptions options)
    : communicator_(Communicator::world()) {
  if (options.bucket_bytes < 1)
    throw InvalidArgument("MultiWorkerMirroredStrategy: bucket_bytes must be positive, got " +
                          std::to_string(options.bucket_bytes));
  context_ = std::make_shared<MirroredReplicaContext>(communicator_, options.bucket_bytes);
}

void MultiWorkerMirroredStrategy::distribute(Model& model) const {
  if (replica_id() == 0) return;
  for (Layer* layer : random_layers(model))
    layer->generator() = layer->generator().fork(static_cast<uint64_t>(replica_id()));
}

}  // namespace cairn
