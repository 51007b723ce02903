// The distributed module measured, under mpirun (JSON lines from process 0):
//   distributed_bench allreduce [MB]   cairn's bucketed gradient reduction against MPI_Allreduce on the same
//                                      buffers, one call per tensor and one call on a single fused buffer
//   distributed_bench train [THREADS [WORKLOAD [REDUCTION [BUCKET_KB]]]]
//                                      training throughput (fit, global batch 128) with this many
//                                      threads per process (1); WORKLOAD mnist_mlp (the default) or
//                                      mnist_cnn; REDUCTION "during" the backward pass (the default) or
//                                      "after" it; buckets of BUCKET_KB kilobytes (25600, 25 MB)
//   distributed_bench save [MB]        save_sharded of a model of about MB megabytes, N writers
// e.g. mpirun -np 2 build/bench/distributed_bench allreduce 100; docs/distributed.md has the numbers.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cairn/cairn.h"
#include "cairn/distributed.h"

using namespace cairn;

namespace {

// The median of `rounds` timings of `work`, each started together on every process.
template <class Work>
double median_seconds(Communicator& world, int rounds, Work&& work) {
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    world.barrier();
    const double start = monotonic_seconds();
    work();
    world.barrier();
    times.push_back(monotonic_seconds() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Gradients shaped like a stack of Dense layers: kernels of 1024 x 1024 floats (4 MB) and their biases.
std::vector<Tensor> gradients(int64_t megabytes) {
  std::vector<Tensor> out;
  Generator generator(1);
  for (int64_t bytes = 0; bytes < megabytes << 20; bytes += (1024 * 1024 + 1024) * 4) {
    for (Shape shape : {Shape{1024, 1024}, Shape{1024}}) {
      Tensor t(shape);
      for (float& v : t.span<float>()) v = generator.uniform(-1, 1);
      out.push_back(t);
    }
  }
  return out;
}

void allreduce(Communicator& world, int64_t megabytes) {
  const std::vector<Tensor> grads = gradients(megabytes);
  std::vector<VariablePtr> variables;
  for (const Tensor& g : grads) variables.push_back(std::make_shared<Variable>("w", g));
  size_t bytes = 0;
  for (const Tensor& g : grads) bytes += g.nbytes();
  const int rounds = 10;
  auto report = [&](const char* method, double seconds) {
    if (world.rank() == 0)
      std::printf("{\"bench\": \"allreduce\", \"method\": \"%s\", \"processes\": %d, \"tensors\": %zu, \"megabytes\": %.1f, "
                  "\"seconds\": %.5f, \"gigabytes_per_second\": %.3f}\n",
                  method, world.size(), grads.size(), bytes / 1048576.0, seconds, bytes / seconds / 1e9);
  };
  std::vector<Tensor> copies;
  report("mpi_allreduce_per_tensor", median_seconds(world, rounds, [&] {
           for (const Tensor& g : grads) {
             Tensor t = g;
             MPI_Allreduce(MPI_IN_PLACE, t.raw_data(), static_cast<int>(t.numel()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
           }
         }));
  std::vector<float> fused(bytes / sizeof(float));
  report("mpi_allreduce_one_buffer", median_seconds(world, rounds, [&] {
           MPI_Allreduce(MPI_IN_PLACE, fused.data(), static_cast<int>(fused.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
         }));
  for (int64_t bucket_mb : {1, 25}) {
    MultiWorkerMirroredStrategy strategy({.bucket_bytes = bucket_mb << 20});
    auto context = strategy.replica_context();
    const std::string method = "cairn_buckets_" + std::to_string(bucket_mb) + "mb";
    report(method.c_str(), median_seconds(world, rounds, [&] {
             std::vector<Tensor> g = grads;
             context->all_reduce_gradients(g, variables, 64);
           }));
  }
}

struct TrainOptions {
  int threads = 1;
  std::string workload = "mnist_mlp";
  bool reduce_during_backward = true;
  int64_t bucket_kb = 25 << 10;
};

// cairn-bench's mnist_mlp (without its Dropout) and mnist_cnn, for random data of MNIST's shapes.
std::shared_ptr<Sequential> workload_model(const std::string& workload, const Shape& input) {
  if (workload == "mnist_mlp")
    return std::make_shared<Sequential>(
        std::vector<LayerPtr>{make_dense(512, {.activation = "relu"}), make_dense(10, {.activation = "softmax"})},
        input);
  if (workload == "mnist_cnn") {
    auto conv = [](int64_t filters) {
      return std::make_shared<Conv2D>(filters, std::array<int, 2>{5, 5},
                                      Conv2DOptions{.padding = "same", .activation = "relu"});
    };
    return std::make_shared<Sequential>(
        std::vector<LayerPtr>{conv(16), std::make_shared<MaxPooling2D>(), conv(36), std::make_shared<MaxPooling2D>(),
                              std::make_shared<Flatten>(), make_dense(128, {.activation = "relu"}),
                              make_dense(10, {.activation = "softmax"})},
        input);
  }
  throw InvalidArgument("distributed_bench: unknown workload '" + workload + "' (mnist_mlp, mnist_cnn)");
}

void train(Communicator& world, const TrainOptions& run) {
  set_num_threads(run.threads);
  MultiWorkerMirroredStrategy strategy(
      {.bucket_bytes = run.bucket_kb << 10, .reduce_during_backward = run.reduce_during_backward});
  set_random_seed(1);
  const bool cnn = run.workload == "mnist_cnn";
  const Shape input = cnn ? Shape{28, 28, 1} : Shape{784};
  auto model = workload_model(run.workload, input);
  const int64_t steps = cnn ? 10 : 40, samples = 128 * steps;  // a cnn step takes about 10 mlp steps
  Shape x_shape{samples};
  x_shape.insert(x_shape.end(), input.begin(), input.end());
  Tensor x(x_shape), y({samples}, DType::Int64);
  Generator generator(2);
  for (float& v : x.span<float>()) v = generator.uniform();
  for (int64_t& v : y.span<int64_t>()) v = static_cast<int64_t>(generator.uniform_int(10));
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  FitOptions options{
      .batch_size = 128, .verbose = 0, .steps_per_epoch = steps, .replica_context = strategy.replica_context()};
  model->fit(x, y, options);  // warm-up
  const double seconds = median_seconds(world, 5, [&] { model->fit(x, y, options); });
  if (world.rank() == 0)
    std::printf("{\"bench\": \"train\", \"workload\": \"%s\", \"processes\": %d, \"threads_per_process\": %d, "
                "\"global_batch\": 128, \"reduction\": \"%s\", \"bucket_kb\": %lld, "
                "\"samples_per_second\": %.0f}\n",
                run.workload.c_str(), world.size(), run.threads, run.reduce_during_backward ? "during" : "after",
                static_cast<long long>(run.bucket_kb), samples / seconds);
}

void save(Communicator& world, int64_t megabytes) {
  set_random_seed(1);
  const int64_t units = 1024;
  std::vector<LayerPtr> layers;
  for (int64_t bytes = 0; bytes < megabytes << 20; bytes += units * units * 4) layers.push_back(make_dense(units));
  auto model = std::make_shared<Sequential>(layers, Shape{units});
  Checkpoint checkpoint({{"model", model}});
  std::string dir = world.broadcast(world.rank() == 0 ? std::filesystem::temp_directory_path().string() + "/cairn_bench_" +
                                                            std::to_string(::getpid())
                                                      : std::string());
  const double seconds = median_seconds(world, 5, [&] { save_sharded(checkpoint, dir + "/ckpt"); });
  world.barrier();
  if (world.rank() == 0) {
    std::filesystem::remove_all(dir);
    std::printf("{\"bench\": \"save_sharded\", \"processes\": %d, \"megabytes\": %lld, \"seconds\": %.4f}\n", world.size(),
                static_cast<long long>(megabytes), seconds);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Communicator& world = Communicator::world();
  const std::string what = argc > 1 ? argv[1] : "";
  const long long value = argc > 2 ? std::stoll(argv[2]) : 0;
  if (what == "allreduce") allreduce(world, value > 0 ? value : 100);
  else if (what == "train") {
    TrainOptions options;
    if (value > 0) options.threads = static_cast<int>(value);
    if (argc > 3) options.workload = argv[3];
    if (argc > 4) {
      const std::string reduction = argv[4];
      if (reduction != "during" && reduction != "after") {
        std::fprintf(stderr, "distributed_bench: REDUCTION is 'during' or 'after', got '%s'\n", argv[4]);
        return 2;
      }
      options.reduce_during_backward = reduction == "during";
    }
    if (argc > 5) options.bucket_kb = std::max(1LL, std::stoll(argv[5]));
    train(world, options);
  }
  else if (what == "save") save(world, value > 0 ? value : 200);
  else {
    std::fprintf(stderr,
                 "usage: distributed_bench allreduce [MB] | save [MB]\n"
                 "       distributed_bench train [THREADS [mnist_mlp|mnist_cnn [during|after [BUCKET_KB]]]]\n");
    return 2;
  }
  std::fflush(stdout);
  return 0;
}
