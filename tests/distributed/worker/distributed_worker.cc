// The training process of the distributed module's job tests (tests/distributed/job_test.sh), started
// under mpirun: a custom loop with MultiWorkerMirroredStrategy's replica context and an EpochIterator
// sharded by process, which saves sharded checkpoints and resumes from the latest one at any number of
// processes.
//
//   distributed_worker train DIR STEPS SAVE_EVERY [--kill-at-step RANK:STEP] [--kill-on-rename RANK:TEXT]
//     trains until the optimizer has made STEPS steps (resuming from DIR's latest checkpoint if any),
//     saves DIR/ckpt-N every SAVE_EVERY steps, and at the end process 0 writes DIR/final (one shard).
//     --kill-at-step: process RANK kills itself (SIGKILL) right after step STEP; --kill-on-rename: when it
//     renames a file whose name contains TEXT (a data shard or index being put in place).
//   distributed_worker latest DIR            prints DIR's latest checkpoint, or "none"
//   distributed_worker compare A B TOLERANCE  the same keys, and every value within TOLERANCE (exit 1 if not)
#include <signal.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cairn/cairn.h"
#include "cairn/distributed.h"
#include "cairn/epoch_iterator.h"
#include "cairn/tensor_bundle.h"

using namespace cairn;

namespace {

struct KillPoint {
  int rank = -1;
  std::string what;
};

KillPoint parse_kill_point(const std::string& value) {
  const size_t colon = value.find(':');
  return {std::stoi(value.substr(0, colon)), value.substr(colon + 1)};
}

// Dies like a process killed by the machine while it puts a given file in place.
class KillingEnv : public EnvWrapper {
 public:
  KillingEnv(Env& target, std::string text) : EnvWrapper(target), text_(std::move(text)) {}
  void rename_file(const std::string& from, const std::string& to) override {
    if (!text_.empty() && to.find(text_) != std::string::npos) raise(SIGKILL);
    EnvWrapper::rename_file(from, to);
  }

 private:
  std::string text_;
};

// EpochPosition as an int64 variable, so that the data position is part of the checkpoint.
void store(const EpochPosition& p, Variable& v) {
  const BatchIteratorState& d = p.data;
  v.assign(Tensor::from_vector<int64_t>({6}, {p.epoch, p.step, d.epoch, d.position, static_cast<int64_t>(d.seed), d.num_samples}));
}

EpochPosition load(const Variable& v) {
  auto x = v.value().span<int64_t>();
  return {static_cast<int>(x[0]), x[1], {x[2], x[3], static_cast<uint64_t>(x[4]), x[5]}};
}

int train(const std::string& dir, int64_t steps, int64_t save_every, KillPoint kill_at_step, KillPoint kill_on_rename) {
  MultiWorkerMirroredStrategy strategy;
  const int rank = strategy.replica_id();
  KillingEnv env(Env::Default(), rank == kill_on_rename.rank ? kill_on_rename.what : "");

  set_random_seed(42);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_dense(32, {.activation = "relu"}), make_dense(2, {.activation = "softmax"})}, Shape{2});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  const LabeledData data = make_moons(100, 0.1, 3);  // global batches of 16: 6 of 16 and one of 4 per epoch
  model->optimizer().build(model->trainable_weights());
  EpochIterator epochs(data.x, data.y, {.batch_size = 16, .seed = 5, .replica_id = rank,
                                        .num_replicas = strategy.num_replicas_in_sync()});
  auto position = std::make_shared<Variable>("position", Tensor::zeros({6}, DType::Int64), false);
  store(epochs.position(), *position);
  Checkpoint checkpoint({{"model", model}, {"optimizer", model->optimizer_ptr()}, {"position", position}}, env);
  if (std::optional<std::string> latest = latest_checkpoint(dir)) {
    checkpoint.restore(*latest).assert_consumed();
    epochs.restore(load(*position));
  }

  const std::shared_ptr<ReplicaContext> replicas = strategy.replica_context();
  const Loss& loss = model->loss();
  const auto vars = model->trainable_weights();
  int epoch = epochs.position().epoch;
  while (model->optimizer().iteration_count() < steps) {
    epochs.begin_epoch(epoch);  // or carries on with the restored one
    bool epoch_done = true;
    while (true) {
      if (model->optimizer().iteration_count() >= steps) {
        epoch_done = false;
        break;
      }
      std::optional<Batch> batch = epochs.next();
      if (!batch) break;
      std::vector<Tensor> grads;
      {
        GradientTape tape;
        grads = tape.gradient(loss(batch->y, (*model)(batch->x, true)), vars);
      }
      replicas->all_reduce_gradients(grads, vars, batch->x.dim(0));
      model->optimizer().apply_gradients(grads, vars);
      const int64_t step = model->optimizer().iteration_count();
      if (rank == kill_at_step.rank && step == std::stoll(kill_at_step.what)) raise(SIGKILL);
      if (step % save_every == 0) {
        store(epochs.position(), *position);
        save_sharded(checkpoint, dir + "/ckpt");
      }
    }
    if (epoch_done) {
      epochs.end_epoch();
      ++epoch;
    }
  }
  store(epochs.position(), *position);
  if (rank == 0) checkpoint.write(dir + "/final");
  return 0;
}

int compare(const std::string& a, const std::string& b, double tolerance) {
  BundleReader ra(Env::Default(), a), rb(Env::Default(), b);
  if (ra.keys() != rb.keys()) {
    std::cerr << a << " and " << b << " hold different keys\n";
    return 1;
  }
  int differences = 0;
  for (const std::string& key : ra.keys()) {
    if (!ra.info(key).dtype) continue;  // the object graph
    Tensor x = ra.read(key).to(DType::Float64), y = rb.read(key).to(DType::Float64);
    if (x.shape() != y.shape()) {
      std::cerr << key << ": shapes " << shape_str(x.shape()) << " and " << shape_str(y.shape()) << "\n";
      ++differences;
      continue;
    }
    double worst = 0;
    for (int64_t i = 0; i < x.numel(); ++i) worst = std::max(worst, std::fabs(x.data<double>()[i] - y.data<double>()[i]));
    if (worst > tolerance) {
      std::cerr << key << ": values differ by up to " << worst << "\n";
      ++differences;
    }
  }
  std::cout << (differences ? "differ" : "equal") << " (" << ra.keys().size() << " keys, tolerance " << tolerance << ")\n";
  return differences ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 4 && args[0] == "train") {
      KillPoint kill_at_step, kill_on_rename;
      for (size_t i = 4; i + 1 < args.size(); i += 2) {
        if (args[i] == "--kill-at-step") kill_at_step = parse_kill_point(args[i + 1]);
        if (args[i] == "--kill-on-rename") kill_on_rename = parse_kill_point(args[i + 1]);
      }
      return train(args[1], std::stoll(args[2]), std::stoll(args[3]), kill_at_step, kill_on_rename);
    }
    if (args.size() == 2 && args[0] == "latest") {
      std::cout << latest_checkpoint(args[1]).value_or("none") << "\n";
      return 0;
    }
    if (args.size() == 4 && args[0] == "compare") return compare(args[1], args[2], std::stod(args[3]));
  } catch (const std::exception& e) {
    std::cerr << "distributed_worker: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: see tests/distributed/worker/distributed_worker.cc\n";
  return 2;
}
