// MultiWorkerMirroredStrategy: the replica context that fit uses, with gradients fused into buckets.
#include <mpi.h>

#include <algorithm>
#include <functional>

#include "cairn/distributed.h"
#include "cairn/error.h"
#include "cairn/model.h"

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

  void all_reduce_gradients(std::vector<Tensor>& gradients, int64_t local_samples) override {
    if (communicator_.size() == 1) return;  // alone: the gradients are already the answer, bit for bit
    // The gradients are packed (times the local sample count) into consecutive buckets of the
    // buffer; each bucket's reduction starts as soon as it is packed and runs while the next is packed.
    // The sample count rides at the end of the last bucket (exact as a float up to 2^24 samples a step),
    // so that a step costs no collective of its own for it.
    int64_t floats = 0;
    for (const Tensor& g : gradients) {
      if (!g.defined()) continue;
      if (g.dtype() != DType::Float32)  // as apply_gradients requires
        throw InvalidArgument("MultiWorkerMirroredStrategy: gradients must be float32, got " +
                              std::string(dtype_name(g.dtype())));
      floats += g.numel();
    }
    buffer_.resize(static_cast<size_t>(floats + 1));
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
    for (const Tensor& g : gradients) {
      if (!g.defined()) continue;
      const float* values = g.data<float>();
      for (int64_t i = 0, n = g.numel(); i < n;) {
        const int64_t take = std::min(n - i, bucket_floats_ - (filled - bucket_begin));
        float* out = buffer_.data() + filled;
        for (int64_t j = 0; j < take; ++j) out[j] = values[i + j] * scale;
        i += take;
        filled += take;
        if (filled - bucket_begin == bucket_floats_) start_bucket();
      }
    }
    buffer_[static_cast<size_t>(filled++)] = static_cast<float>(local_samples);
    start_bucket();
    check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    const auto samples = static_cast<int64_t>(buffer_.back());
    if (samples <= 0) throw InvalidArgument("fit: a step in which no replica had a sample");
    // New tensors: the tape's gradients may share storage with tensors still in use.
    const float inverse = 1.0f / static_cast<float>(samples);
    int64_t offset = 0;
    for (Tensor& g : gradients) {
      if (!g.defined()) continue;
      Tensor reduced(g.shape(), DType::Float32);
      float* out = reduced.data<float>();
      for (int64_t j = 0, n = g.numel(); j < n; ++j) out[j] = buffer_[static_cast<size_t>(offset + j)] * inverse;
      offset += g.numel();
      g = reduced;
    }
  }

  void all_reduce_sum(std::span<double> values) override {
    if (communicator_.size() > 1) communicator_.all_reduce_sum(values);
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

void for_each_layer(Model& model, const std::function<void(Layer&)>& visit) {
  for (const LayerPtr& layer : model.layers()) {
    visit(*layer);
    if (auto* nested = dynamic_cast<Model*>(layer.get())) for_each_layer(*nested, visit);
  }
}

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
  for_each_layer(model, [&](Layer& layer) {
    if (layer.draws_random_numbers()) layer.generator() = layer.generator().fork(static_cast<uint64_t>(replica_id()));
  });
}

}  // namespace cairn
