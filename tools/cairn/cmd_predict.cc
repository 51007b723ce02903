// cairn predict RUN --input FILE: a trained model's predictions, as class ids with their probabilities
// or as the raw outputs, on stdout or in an .npy file.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cairn/config.h"
#include "cairn/env.h"
#include "cairn/losses.h"
#include "cairn/npy.h"
#include "cairn/ops.h"
#include "command.h"
#include "workflow.h"

namespace cairn::cli {
namespace {

// What the model's outputs are, as its loss says.
enum class Outputs { Probabilities, Logits, Values };

Outputs outputs_of(const TrainedModel& trained) {
  // Without a training config nothing says; the outputs are taken as they are.
  if (!trained.training_config) return Outputs::Probabilities;
  LossSpec spec = compile_options_from_training_config(*trained.training_config).loss;
  LossPtr loss = spec.object ? spec.object : get_loss(spec.name);
  bool from_logits = false;
  if (auto* l = dynamic_cast<const SparseCategoricalCrossentropy*>(loss.get()))
    from_logits = l->from_logits();
  else if (auto* l = dynamic_cast<const CategoricalCrossentropy*>(loss.get()))
    from_logits = l->from_logits();
  else if (auto* l = dynamic_cast<const BinaryCrossentropy*>(loss.get()))
    from_logits = l->from_logits();
  else
    return Outputs::Values;  // a regression loss: there are no classes
  return from_logits ? Outputs::Logits : Outputs::Probabilities;
}

// The shortest text that reads back as the same float32.
std::string float_text(float value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Class probabilities of a (samples, classes) output: a softmax of logits (a sigmoid for one output),
// or the outputs themselves.
Tensor probabilities(const Tensor& output, Outputs kind) {
  if (kind != Outputs::Logits) return output;
  Tensor result = output.clone();
  const int64_t rows = output.dim(0), classes = output.dim(1);
  float* values = result.data<float>();
  for (int64_t i = 0; i < rows; ++i) {
    float* row = values + i * classes;
    if (classes == 1) {
      row[0] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(row[0]))));
      continue;
    }
    const double largest = *std::max_element(row, row + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - largest);
    for (int64_t c = 0; c < classes; ++c) row[c] = static_cast<float>(std::exp(row[c] - largest) / sum);
  }
  return result;
}

// The class of each row, from the raw outputs (so that it is the class accuracy metrics count): the
// first largest output, or for one output whether it is above 0.5 (above 0 for a logit).
std::vector<int64_t> class_ids(const Tensor& output, Outputs kind) {
  const int64_t rows = output.dim(0), classes = output.dim(1);
  const float* values = output.data<float>();
  std::vector<int64_t> ids(rows);
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = values + i * classes;
    ids[i] = classes == 1 ? (row[0] > (kind == Outputs::Logits ? 0.0f : 0.5f) ? 1 : 0)
                          : std::max_element(row, row + classes) - row;
  }
  return ids;
}

int run_predict(const Args& args) {
  const int64_t batch_size = int_option(args, "batch-size", 32, 1);
  std::optional<std::string> input = args.value("input");
  if (!input) throw UsageError("--input FILE is required");
  std::optional<std::string> output_path = args.value("output");
  if (output_path && !output_path->ends_with(".npy")) throw UsageError("--output must name an .npy file");

  const bool all_probabilities = args.flag("probabilities");
  const int64_t top_k = int_option(args, "top-k", 0, 1);
  if (all_probabilities && top_k > 0) throw UsageError("give either --probabilities or --top-k, not both");
  if ((all_probabilities || top_k > 0) && (args.flag("raw") || output_path))
    throw UsageError("--probabilities and --top-k print class probabilities: not with --raw or --output");

  TrainedModel trained = load_trained_model(args.positional("RUN"), args.value("model"));
  Tensor inputs = load_inputs(*input, args.flag("header"));
  // --index I picks one input, --limit N the first N (of those from I on, with both).
  const int64_t available = inputs.rank() > 0 ? inputs.dim(0) : 0;
  const int64_t first = int_option(args, "index", 0, 0);
  if (first >= available && args.value("index"))
    throw UsageError("--index " + std::to_string(first) + " is past the last input of " + *input + " (" +
                     std::to_string(available) + " inputs)");
  const int64_t count = int_option(args, "limit", args.value("index") ? 1 : available, 1);
  if (first > 0 || count < available) inputs = ops::slice_rows(inputs, first, std::min(available, first + count));
  Tensor x = prepare_inputs(inputs, *trained.model);
  Tensor output = trained.model->predict(x, {.batch_size = batch_size}).to(DType::Float32);

  Outputs kind = outputs_of(trained);
  const bool classes = !args.flag("raw") && kind != Outputs::Values && output.rank() == 2;
  Tensor result = classes ? probabilities(output, kind) : output;
  if (output_path) {
    std::vector<uint8_t> bytes = encode_npy(result);
    write_file_atomically(Env::Default(), *output_path,
                          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::cout << "wrote " << (classes ? "probabilities " : "outputs ") << shape_str(result.shape()) << " to "
              << *output_path << "\n";
    return 0;
  }

  const int64_t rows = result.rank() > 0 ? result.dim(0) : 1;
  const int64_t width = rows > 0 ? result.numel() / rows : 0;
  const float* values = result.data<float>();
  if (classes && (all_probabilities || top_k > 0)) {
    if (width == 1)
      throw UsageError("--probabilities and --top-k need a model of several classes; this one has one output");
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = values + i * width;
      std::vector<int64_t> order(width);
      for (int64_t c = 0; c < width; ++c) order[c] = c;
      if (top_k > 0) {  // most probable first; ties by class id, as argmax picks the first
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
        order.resize(std::min(top_k, width));
      }
      std::string line;
      for (int64_t c : order) {
        char text[48];
        if (top_k > 0) std::snprintf(text, sizeof text, "%s%lld:%.4f", line.empty() ? "" : " ", static_cast<long long>(c), row[c]);
        else std::snprintf(text, sizeof text, "%s%.4f", line.empty() ? "" : " ", row[c]);
        line += text;
      }
      std::cout << line << "\n";
    }
    return 0;
  }
  if (classes) {
    std::vector<int64_t> ids = class_ids(output, kind);
    for (int64_t i = 0; i < rows; ++i) {
      // One output is the probability of class 1; print the probability of the class chosen.
      float p = width == 1 ? (ids[i] == 1 ? values[i] : 1.0f - values[i]) : values[i * width + ids[i]];
      std::cout << ids[i] << " " << float_text(p) << "\n";
    }
    return 0;
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < width; ++j) std::cout << (j > 0 ? " " : "") << float_text(values[i * width + j]);
    std::cout << "\n";
  }
  return 0;
}

const RegisterCommand kRegistration({
    .name = "predict",
    .summary = "print a trained model's predictions for the inputs of a file",
    .description =
        "RUN is a run directory of `cairn train`, a checkpoint prefix or a Keras model file, as for\n"
        "`cairn evaluate`. Prints one line per input: the class id and its probability (\"2 0.9731\"), or\n"
        "with --raw, or for a regression model, the model's outputs separated by spaces. Probabilities come\n"
        "from a softmax (a sigmoid for one output) when the run's loss takes logits (from_logits), else they\n"
        "are the outputs. With --output FILE.npy, writes the probabilities (or raw outputs) as a float32\n"
        "array instead. --probabilities prints every class's probability, --top-k K the K most probable\n"
        "classes (\"7:0.9731 2:0.0150\"); --index and --limit pick the inputs.",
    .options = {{"input", "FILE", "the inputs: an .npy, a .csv (every column an input) or an IDX file"},
                {"output", "FILE.npy", "write the predictions to this .npy file"},
                {"raw", "", "the model's outputs as they are, not class ids"},
                {"probabilities", "", "every class's probability, 4 decimals, in class order"},
                {"top-k", "K", "the K most probable classes as \"id:probability\", most probable first"},
                {"limit", "N", "predict only the first N inputs (from --index on)"},
                {"index", "I", "predict input I (counting from 0) only, or with --limit N inputs from it"},
                {"model", "FILE",
                 "the model's JSON config (default: model.json in the run directory or beside\nthe weights); with an HDF5 weights file (save_weights' .h5 or .weights.h5), the model\nits weights go into"},
                {"header", "", "the .csv input starts with a header line"},
                {"batch-size", "N", "samples per batch (default 32)"}},
    .positionals = {{"RUN", "a run directory, a checkpoint prefix, a Keras .h5 / .keras file, or an HDF5 weights file\nwith --model"}},
    .run = run_predict,
});

}  // namespace
}  // namespace cairn::cli
