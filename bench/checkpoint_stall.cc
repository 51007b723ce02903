// checkpoint_stall: what checkpoints cost training. The seed's mnist_mlp widened (784 -> Dense(W, relu)
// -> Dropout(0.2) -> Dense(10), Adam, batch 32; W from --params-m, 100M parameters by default, which
// with Adam's two slots makes a checkpoint of 1.2 GB) trains on synthetic batches and saves through a
// CheckpointManager (max_to_keep 2, as BackupAndRestore keeps) in one of three modes:
//
//   none    no checkpoints
//   sync    CheckpointManager::save()
//   async   CheckpointManager::save(..., {.enable_async = true}): training waits only for the copy into
//           the staging buffers (and for the previous save, when it is still being written). The staging
//           buffers are reserved in the background when training starts (Checkpoint::reserve_async_staging),
//           unless --no-reserve, when the first save faults them in
//
// One mode per process, so that the peak memory reported is the mode's own. Prints one JSON line:
// samples/s over the whole run (for async including the wait for the last save at the end, as fit
// ends), the time the training thread was blocked in each save (median, first and max), and the peak RSS.
// bench/checkpoint_stall.py runs the modes in interleaved rounds and reports medians and ratios.
//
//   build/bench/checkpoint_stall --mode async --params-m 100 --steps 120 --every-steps 20
//   build/bench/checkpoint_stall --mode async --seconds 300 --every-seconds 30
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/losses.h"
#include "cairn/model.h"
#include "cairn/optimizers.h"
#include "cairn/parallel.h"

using namespace cairn;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024;
  return 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Options {
  std::string mode = "async";
  double params_m = 100;
  int64_t batch = 32;
  int64_t steps = 120;  // used when seconds is 0
  double seconds = 0;
  int64_t every_steps = 20;  // used when every_seconds is 0
  double every_seconds = 0;
  int threads = 1;
  bool reserve = true;
  std::string dir;  // default: a fresh directory under $PEER_TMP or the system's temporary directory
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: checkpoint_stall --mode none|sync|async [--params-m M] [--batch B] [--steps N | --seconds S]\n"
               "                        [--every-steps K | --every-seconds T] [--threads N] [--no-reserve] [--dir DIR]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto value = [&] {
      if (i + 1 >= argc) usage();
      return std::string(argv[++i]);
    };
    const std::string flag = argv[i];
    if (flag == "--mode") o.mode = value();
    else if (flag == "--params-m") o.params_m = std::stod(value());
    else if (flag == "--batch") o.batch = std::stoll(value());
    else if (flag == "--steps") o.steps = std::stoll(value());
    else if (flag == "--seconds") o.seconds = std::stod(value());
    else if (flag == "--every-steps") o.every_steps = std::stoll(value());
    else if (flag == "--every-seconds") o.every_seconds = std::stod(value());
    else if (flag == "--threads") o.threads = std::stoi(value());
    else if (flag == "--no-reserve") o.reserve = false;
    else if (flag == "--dir") o.dir = value();
    else usage();
  }
  if ((o.mode != "none" && o.mode != "sync" && o.mode != "async") || o.params_m <= 0 || o.batch < 1 || o.steps < 1 ||
      o.every_steps < 1 || o.threads < 1)
    usage();
  return o;
}

Tensor uniform(const Shape& shape, Generator& g, float low, float high) {
  Tensor t(shape);
  for (float& v : t.span<float>()) v = g.uniform(low, high);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  set_num_threads(o.threads);
  set_random_seed(0);
  // 784 W + W (kernel and bias) + 10 W + 10 parameters.
  const auto width = std::max<int64_t>(1, static_cast<int64_t>((o.params_m * 1e6 - 10) / 795));
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(width, DenseOptions{.activation = "relu"}),
                            std::make_shared<Dropout>(0.2), std::make_shared<Dense>(10)},
      Shape{784});
  model->compile({.optimizer = std::make_shared<Adam>(), .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  Generator g(0);
  std::vector<Tensor> xs, ys;
  for (int i = 0; i < 4; ++i) {
    xs.push_back(uniform({o.batch, 784}, g, 0, 1));
    Tensor y({o.batch}, DType::Int64);
    for (int64_t& v : y.span<int64_t>()) v = static_cast<int64_t>(g.uniform_int(10));
    ys.push_back(y);
  }
  for (int i = 0; i < 3; ++i) model->train_on_batch(xs[i % 4], ys[i % 4]);  // builds Adam's slots

  std::string dir = o.dir;
  if (dir.empty()) {
    const char* base = std::getenv("PEER_TMP");
    std::string pattern =
        ((base && *base) ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) / "checkpoint-stall-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::fprintf(stderr, "checkpoint_stall: cannot create %s: %s\n", pattern.c_str(), std::strerror(errno));
      return 1;
    }
    dir = pattern;
  }
  int64_t parameters = 0, checkpoint_bytes = 0;
  for (const auto& w : model->weights()) parameters += w->value().numel();
  Checkpoint checkpoint({{"model", model}, {"optimizer", model->optimizer_ptr()}});
  for (const auto& [key, value] : checkpoint.values()) checkpoint_bytes += static_cast<int64_t>(value.nbytes());

  std::vector<double> blocked;  // seconds in each save call
  double final_wait = 0;
  int64_t steps = 0;
  {
    CheckpointManager manager(checkpoint, dir, {.max_to_keep = 2});
    const CheckpointOptions options{.enable_async = o.mode == "async"};
    const double start = now();
    if (o.mode == "async" && o.reserve) checkpoint.reserve_async_staging();  // timed: it competes with training
    double last_save = start;
    auto running = [&] { return o.seconds > 0 ? now() - start < o.seconds : steps < o.steps; };
    while (running()) {
      model->train_on_batch(xs[steps % 4], ys[steps % 4]);
      ++steps;
      const bool due = o.every_seconds > 0 ? now() - last_save >= o.every_seconds : steps % o.every_steps == 0;
      if (o.mode != "none" && due) {
        const double before = now();
        manager.save(std::nullopt, true, std::nullopt, options);
        last_save = now();
        blocked.push_back(last_save - before);
      }
    }
    const double before_wait = now();
    manager.sync();  // as the end of fit does
    final_wait = now() - before_wait;
    const double elapsed = now() - start;
    std::printf(
        "{\"workload\": \"checkpoint_stall\", \"mode\": \"%s\", \"threads\": %d, \"params\": %ld, \"checkpoint_mb\": %.1f, "
        "\"batch\": %ld, \"steps\": %ld, \"saves\": %zu, \"seconds\": %.3f, \"samples_per_s\": %.2f, "
        "\"blocked_ms_per_save\": %.2f, \"blocked_ms_first\": %.2f, \"blocked_ms_max\": %.2f, \"final_wait_ms\": %.2f, "
        "\"reserved\": %s, \"peak_rss_mb\": %.0f}\n",
        o.mode.c_str(), o.threads, static_cast<long>(parameters), checkpoint_bytes / 1048576.0,
        static_cast<long>(o.batch), static_cast<long>(steps), blocked.size(), elapsed, steps * o.batch / elapsed,
        1000 * median(blocked), 1000 * (blocked.empty() ? 0 : blocked.front()), 1000 * (blocked.empty() ? 0 : *std::max_element(blocked.begin(), blocked.end())),
        1000 * final_wait, o.mode == "async" && o.reserve ? "true" : "false", peak_rss_mb());
    manager.delete_all();
  }
  if (o.dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
