// cairn-bench: training throughput of the seed workloads on synthetic inputs, and the speed of saving
// and restoring a checkpoint; one JSON line per workload in the schema of
// bench/pytorch_peer.py, with the same flags:
//
//   build/bench/cairn-bench --threads 1 --seconds 5 --only moons_mlp,mnist_cnn
//   build/bench/cairn-bench --only save_state_dict --checkpoint-mb 512
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/model.h"
#include "cairn/parallel.h"

using namespace cairn;

namespace {

struct Workload {
  std::function<std::shared_ptr<Model>()> make;
  std::function<Tensor(int64_t, Generator&)> input, target;
  int64_t batch;
};

Tensor uniform(const Shape& shape, Generator& g, float low, float high) {
  Tensor t(shape);
  for (float& v : t.span<float>()) v = g.uniform(low, high);
  return t;
}

Tensor normal(const Shape& shape, Generator& g) {
  Tensor t(shape);
  for (float& v : t.span<float>()) v = g.normal();
  return t;
}

Tensor labels(int64_t n, int64_t classes, Generator& g, DType dtype = DType::Int64) {
  Tensor t({n}, DType::Int64);
  for (int64_t& v : t.span<int64_t>()) v = static_cast<int64_t>(g.uniform_int(classes));
  return t.to(dtype);
}

template <class... L>
std::shared_ptr<Sequential> sequential(Shape input, std::shared_ptr<L>... layers) {
  return std::make_shared<Sequential>(std::vector<LayerPtr>{layers...}, input);
}

std::shared_ptr<Model> compiled(std::shared_ptr<Model> model, OptimizerPtr optimizer, LossPtr loss) {
  model->compile({.optimizer = optimizer, .loss = loss});
  return model;
}

std::map<std::string, Workload> workloads() {
  auto dense = [](int64_t units, std::string activation = "linear") {
    return std::make_shared<Dense>(units, DenseOptions{.activation = activation});
  };
  auto sparse_ce = std::make_shared<SparseCategoricalCrossentropy>(true);
  return {
      {"moons_mlp",
       {[=] { return compiled(sequential({2}, dense(10, "relu"), dense(2)), std::make_shared<SGD>(0.5), sparse_ce); },
        [](int64_t b, Generator& g) { return normal({b, 2}, g); }, [](int64_t b, Generator& g) { return labels(b, 2, g); },
        80}},
      {"mnist_mlp",
       {[=] {
          return compiled(sequential({784}, dense(512, "relu"), std::make_shared<Dropout>(0.2), dense(10)),
                          std::make_shared<Adam>(), sparse_ce);
        },
        [](int64_t b, Generator& g) { return uniform({b, 784}, g, 0, 1); },
        [](int64_t b, Generator& g) { return labels(b, 10, g); }, 32}},
      {"mnist_cnn",
       {[=] {
          auto conv = [](int64_t f) {
            return std::make_shared<Conv2D>(f, std::array<int, 2>{5, 5}, Conv2DOptions{.padding = "same", .activation = "relu"});
          };
          return compiled(sequential({28, 28, 1}, conv(16), std::make_shared<MaxPooling2D>(), conv(36),
                                     std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(), dense(128, "relu"),
                                     dense(10)),
                          std::make_shared<Adam>(1e-4), sparse_ce);
        },
        [](int64_t b, Generator& g) { return uniform({b, 28, 28, 1}, g, 0, 1); },
        [](int64_t b, Generator& g) { return labels(b, 10, g); }, 64}},
      {"imdb_lstm",
       {[=] {
          return compiled(sequential({500}, std::make_shared<Embedding>(5000, 32), std::make_shared<LSTM>(100), dense(1)),
                          std::make_shared<Adam>(), std::make_shared<BinaryCrossentropy>(true));
        },
        [](int64_t b, Generator& g) { return labels(b * 500, 5000, g, DType::Int32).reshape({b, 500}); },
        [](int64_t b, Generator& g) { return labels(b, 2, g).to(DType::Float32).reshape({b, 1}); }, 64}},
      {"iris_dnn",
       {[=] {
          return compiled(sequential({4}, dense(10, "relu"), dense(10, "relu"), dense(3)), std::make_shared<Adagrad>(0.05),
                          sparse_ce);
        },
        [](int64_t b, Generator& g) { return normal({b, 4}, g); }, [](int64_t b, Generator& g) { return labels(b, 3, g); },
        32}},
  };
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string train_rate(const std::string& name, const Workload& w, double seconds) {
  set_random_seed(0);
  auto model = w.make();
  Generator g(0);
  std::vector<Tensor> xs, ys;
  for (int i = 0; i < 8; ++i) {
    xs.push_back(w.input(w.batch, g));
    ys.push_back(w.target(w.batch, g));
  }
  for (int i = 0; i < 3; ++i) model->train_on_batch(xs[i % 8], ys[i % 8]);
  int64_t steps = 0;
  const double start = now();
  while (now() - start < seconds) {
    model->train_on_batch(xs[steps % 8], ys[steps % 8]);
    ++steps;
  }
  const double elapsed = now() - start;
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"workload\": \"%s\", \"batch\": %ld, \"steps\": %ld, \"samples_per_s\": %.1f, \"step_ms\": %.4f",
                name.c_str(), static_cast<long>(w.batch), static_cast<long>(steps), steps * w.batch / elapsed,
                1000 * elapsed / steps);
  return line;
}

// A fresh directory under $PEER_TMP (as the peer's tempfile.TemporaryDirectory), else the system's
// temporary directory; deleted with its content.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("PEER_TMP");
    std::string pattern =
        ((base && *base) ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) / "cairn-bench-XXXXXX";
    if (!mkdtemp(pattern.data()))
      throw IOError("cannot create a temporary directory " + pattern + ": " + std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The peak resident memory of this process so far (VmHWM), in MB.
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024;
  return 0;
}

// The peer's checkpoint_rate: 16 float32 tensors of megabytes MB in all (uniform rather than normal values,
// which took 6 s to draw for 512 MB and do not matter to I/O), saved through cairn's real path
// (Checkpoint::write: streamed, checksummed, fsynced, renamed into place) and restored into fresh
// variables (Checkpoint::restore: every checksum verified before anything is assigned). Also reports
// the process's peak memory at the end of the save, which shows whether the save streams: it should be
// the state's size plus a little.
//
// The saved state is dropped before the restore and drawn again afterwards to check the restored
// values, so that the restore runs with the peer's footprint (the state and the loaded copy): on this
// project's VMs, memory the process takes beyond that comes from pages the host has to fault in again,
// which costs more than the restore itself (measured with the peer: torch.load fell from 1700 to
// 540-700 MB/s when the process held 1-2 GB more).
std::string checkpoint_rate(int64_t megabytes) {
  constexpr int kTensors = 16;
  constexpr uint64_t kSeed = 0;
  const int64_t n = megabytes * 1024 * 1024 / 4 / kTensors;
  auto draw = [n](Generator& g) { return uniform({n}, g, -2, 2); };
  auto name = [](int i) { return "layer" + std::to_string(i) + ".weight"; };
  TempDir dir;
  const std::string path = dir.path() + "/model";

  double save_s;
  {
    Generator g(kSeed);
    std::vector<CheckpointItem> items;
    for (int i = 0; i < kTensors; ++i) items.emplace_back(name(i), std::make_shared<Variable>(name(i), draw(g)));
    Checkpoint saver(items);
    const double start = now();
    saver.write(path);
    save_s = now() - start;
  }
  const double save_peak_mb = peak_rss_mb();

  std::vector<CheckpointItem> items;
  std::vector<VariablePtr> restored;
  for (int i = 0; i < kTensors; ++i) {
    restored.push_back(std::make_shared<Variable>(name(i), Tensor({n})));
    items.emplace_back(name(i), restored.back());
  }
  Checkpoint restorer(items);
  const double start = now();
  restorer.restore(path).assert_consumed();
  const double load_s = now() - start;

  Generator g(kSeed);
  for (int i = 0; i < kTensors; ++i)
    if (!equal_bytes(draw(g), restored[i]->value()))
      throw std::runtime_error("save_state_dict: tensor " + name(i) + " differs after the restore");
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"workload\": \"save_state_dict\", \"mb\": %ld, \"save_mb_per_s\": %.1f, \"load_mb_per_s\": %.1f, "
                "\"save_peak_rss_mb\": %.0f",
                static_cast<long>(megabytes), megabytes / save_s, megabytes / load_s, save_peak_mb);
  return line;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 5.0;
  int64_t checkpoint_mb = 512;
  std::string only = "moons_mlp,mnist_mlp,mnist_cnn,imdb_lstm,iris_dnn,save_state_dict";
  for (int i = 1; i < argc; ++i) {
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cairn-bench: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(value("--threads"));
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::stod(value("--seconds"));
    else if (!std::strcmp(argv[i], "--only")) only = value("--only");
    else if (!std::strcmp(argv[i], "--checkpoint-mb")) checkpoint_mb = std::stoll(value("--checkpoint-mb"));
    else {
      std::fprintf(stderr, "usage: cairn-bench [--threads N] [--seconds S] [--only a,b] [--checkpoint-mb MB]\n");
      return 2;
    }
  }
  if (checkpoint_mb < 1) {
    std::fprintf(stderr, "cairn-bench: --checkpoint-mb must be at least 1\n");
    return 2;
  }
  set_num_threads(threads);
  auto all = workloads();
  for (const std::string& name : split(only)) {
    auto it = all.find(name);
    if (it == all.end() && name != "save_state_dict") {
      std::fprintf(stderr, "cairn-bench: unknown workload '%s'\n", name.c_str());
      return 2;
    }
    const std::string row = it == all.end() ? checkpoint_rate(checkpoint_mb) : train_rate(name, it->second, seconds);
    std::printf("%s, \"threads\": %d, \"impl\": \"cairn\"}\n", row.c_str(), threads);
    std::fflush(stdout);
  }
  return 0;
}
