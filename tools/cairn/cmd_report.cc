// cairn report RUN_DIR: one self-contained HTML page about a run of `cairn train` (inline SVG and PNG,
// nothing fetched): its curves, checkpoints, confusion matrix, misclassified examples, first
// convolution filters and model summary. Each piece that cannot be made says why instead.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/image.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "cairn/summary.h"
#include "cairn/tensor_bundle.h"
#include "command.h"
#include "format.h"
#include "report.h"
#include "workflow.h"

namespace cairn::cli {
namespace {

constexpr int kMaxExamples = 24;

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = uint8_t(bytes[i]) << 16;
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// An <img> of a PNG, drawn `scale` times its size with sharp pixels.
std::string img(const Image& image, int scale, const std::string& title) {
  return "<img alt=\"" + html_escape(title) + "\" title=\"" + html_escape(title) + "\" width=\"" +
         std::to_string(image.width * scale) + "\" height=\"" + std::to_string(image.height * scale) +
         "\" style=\"image-rendering:pixelated\" src=\"data:image/png;base64," + base64(encode_png(image)) + "\">";
}

std::string missing(const std::string& why) { return "<p class=\"missing\">" + html_escape(why) + "</p>\n"; }

std::string number(double value) {
  std::ostringstream out;
  out.precision(4);
  out << value;
  return out.str();
}

// ---- curves

struct Curve {
  std::map<int64_t, double> train, validation;  // epoch index -> value
};

// One metric's chart: training and validation per epoch (x = epoch number, from 1), and a tick under
// each epoch that has a checkpoint.
std::string curve_svg(const std::string& name, const Curve& curve, const std::set<int>& checkpoint_epochs) {
  constexpr double kWidth = 420, kHeight = 220, kLeft = 50, kRight = 10, kTop = 20, kBottom = 30;
  double low = INFINITY, high = -INFINITY;
  int64_t last = 1;
  for (const auto* series : {&curve.train, &curve.validation})
    for (const auto& [epoch, value] : *series) {
      if (std::isfinite(value)) low = std::min(low, value), high = std::max(high, value);
      last = std::max(last, epoch + 1);
    }
  if (!std::isfinite(low)) return missing(name + ": no finite values");
  if (high == low) high = low + 1;
  auto x = [&](double epoch) { return kLeft + (epoch - 1) / std::max<double>(1, last - 1) * (kWidth - kLeft - kRight); };
  auto y = [&](double value) { return kTop + (high - value) / (high - low) * (kHeight - kTop - kBottom); };
  std::ostringstream svg;
  svg << "<svg class=\"curve\" width=\"" << kWidth << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kWidth << " "
      << kHeight << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" << html_escape(name) << "\">\n"
      << "<text x=\"" << kLeft << "\" y=\"14\" font-size=\"13\">" << html_escape(name) << "</text>\n"
      << "<line x1=\"" << kLeft << "\" y1=\"" << kHeight - kBottom << "\" x2=\"" << kWidth - kRight << "\" y2=\""
      << kHeight - kBottom << "\" stroke=\"#888\"/>\n"
      << "<line x1=\"" << kLeft << "\" y1=\"" << kTop << "\" x2=\"" << kLeft << "\" y2=\"" << kHeight - kBottom
      << "\" stroke=\"#888\"/>\n"
      << "<text x=\"4\" y=\"" << y(high) + 4 << "\" font-size=\"10\">" << number(high) << "</text>\n"
      << "<text x=\"4\" y=\"" << y(low) + 4 << "\" font-size=\"10\">" << number(low) << "</text>\n"
      << "<text x=\"" << x(1) << "\" y=\"" << kHeight - 8 << "\" font-size=\"10\">1</text>\n"
      << "<text x=\"" << x(static_cast<double>(last)) - 10 << "\" y=\"" << kHeight - 8 << "\" font-size=\"10\">" << last
      << "</text>\n";
  for (int epoch : checkpoint_epochs)
    if (epoch >= 1 && epoch <= last)
      svg << "<line class=\"checkpoint\" x1=\"" << x(epoch) << "\" y1=\"" << kHeight - kBottom << "\" x2=\"" << x(epoch)
          << "\" y2=\"" << kHeight - kBottom + 6 << "\" stroke=\"#2a2\" stroke-width=\"2\"><title>checkpoint after epoch "
          << epoch << "</title></line>\n";
  auto polyline = [&](const std::map<int64_t, double>& series, const char* color, const char* label) {
    if (series.empty()) return;
    svg << "<polyline class=\"" << label << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (const auto& [epoch, value] : series)
      if (std::isfinite(value)) svg << x(static_cast<double>(epoch + 1)) << "," << y(value) << " ";
    svg << "\"/>\n";
    for (const auto& [epoch, value] : series)
      if (std::isfinite(value))
        svg << "<circle cx=\"" << x(static_cast<double>(epoch + 1)) << "\" cy=\"" << y(value) << "\" r=\"3\" fill=\""
            << color << "\"><title>" << label << " epoch " << epoch + 1 << ": " << number(value) << "</title></circle>\n";
  };
  polyline(curve.train, "#1f77b4", "training");
  polyline(curve.validation, "#ff7f0e", "validation");
  svg << "</svg>\n";
  return svg.str();
}

// ---- checkpoints

struct CheckpointRow {
  std::string prefix;
  int epoch = 0;  // 0 for the final weights
  std::string verification;
};

std::string verify_checkpoint(Env& env, const std::string& prefix) {
  try {
    BundleReader reader(env, prefix);
    constexpr int kTfString = 7;  // the object graph of an object-based checkpoint
    for (const std::string& key : reader.keys())
      if (reader.info(key).tf_dtype == kTfString)
        reader.read_strings(key);
      else
        reader.verify(key);
    return "verified (" + std::to_string(reader.keys().size()) + " tensors)";
  } catch (const Error& e) {
    return std::string("DAMAGED: ") + e.what();
  }
}

// ---- the confusion matrix and the examples it got wrong

std::string confusion_svg(const std::vector<std::vector<int64_t>>& matrix) {
  const size_t n = matrix.size();
  const int cell = n <= 10 ? 40 : 24, margin = 60;
  int64_t largest = 1;
  for (const auto& row : matrix)
    for (int64_t count : row) largest = std::max(largest, count);
  const int size = margin + static_cast<int>(n) * cell + 10;
  std::ostringstream svg;
  svg << "<svg class=\"confusion\" width=\"" << size << "\" height=\"" << size << "\" xmlns=\"http://www.w3.org/2000/svg\""
      << " role=\"img\" aria-label=\"confusion matrix\">\n"
      << "<text x=\"" << margin << "\" y=\"14\" font-size=\"12\">predicted &#8594;</text>\n"
      << "<text x=\"12\" y=\"" << margin << "\" font-size=\"12\" transform=\"rotate(90 12 " << margin
      << ")\">true &#8594;</text>\n";
  for (size_t i = 0; i < n; ++i) {
    svg << "<text x=\"" << margin + static_cast<int>(i) * cell + cell / 2 - 4 << "\" y=\"" << margin - 6
        << "\" font-size=\"11\">" << i << "</text>\n";
    svg << "<text x=\"" << margin - 18 << "\" y=\"" << margin + static_cast<int>(i) * cell + cell / 2 + 4
        << "\" font-size=\"11\">" << i << "</text>\n";
    for (size_t j = 0; j < n; ++j) {
      const double share = static_cast<double>(matrix[i][j]) / static_cast<double>(largest);
      const int shade = static_cast<int>(std::lround(255 - 200 * share));
      const int px = margin + static_cast<int>(j) * cell, py = margin + static_cast<int>(i) * cell;
      svg << "<rect x=\"" << px << "\" y=\"" << py << "\" width=\"" << cell << "\" height=\"" << cell << "\" fill=\"rgb("
          << shade << "," << shade << ",255)\" stroke=\"#fff\"><title>true " << i << ", predicted " << j << ": "
          << matrix[i][j] << "</title></rect>\n"
          << "<text x=\"" << px + 3 << "\" y=\"" << py + cell / 2 + 4 << "\" font-size=\"" << (cell >= 40 ? 11 : 8)
          << "\" fill=\"" << (share > 0.6 ? "#fff" : "#000") << "\">" << matrix[i][j] << "</text>\n";
    }
  }
  svg << "</svg>\n";
  return svg.str();
}

// An example's input as an image, when the inputs are images: (H, W, 1 or 3) rows, or 784 values.
std::optional<Image> example_image(const Tensor& x, int64_t index) {
  const Shape& shape = x.shape();
  Shape image_shape;
  if (x.rank() == 4 && (shape[3] == 1 || shape[3] == 3))
    image_shape = shape[3] == 1 ? Shape{shape[1], shape[2]} : Shape{shape[1], shape[2], 3};
  else if (x.rank() == 3)
    image_shape = {shape[1], shape[2]};
  else if (x.rank() == 2 && shape[1] == 784)
    image_shape = {28, 28};
  else
    return std::nullopt;
  const int64_t size = x.numel() / shape[0];
  const Tensor all = x.to(DType::Float32);
  std::vector<float> values(all.data<float>() + index * size, all.data<float>() + (index + 1) * size);
  return image_from_tensor(Tensor::from_vector<float>(image_shape, values));
}

std::string examples_html(const Tensor& x, const std::vector<int64_t>& labels, const std::vector<int64_t>& predicted) {
  std::vector<int64_t> wrong;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != predicted[i]) wrong.push_back(static_cast<int64_t>(i));
  if (wrong.empty()) return missing("Every test example was classified correctly: no misclassified examples to show.");
  std::ostringstream html;
  html << "<p>" << wrong.size() << " of " << labels.size() << " test examples misclassified; the first "
       << std::min<size_t>(wrong.size(), kMaxExamples) << ":</p>\n<div class=\"grid\">\n";
  const bool images = example_image(x, 0).has_value();
  for (size_t k = 0; k < wrong.size() && k < kMaxExamples; ++k) {
    const int64_t i = wrong[k];
    std::ostringstream caption_text;  // (a "#" + std::string chain trips GCC 12's -Wrestrict)
    caption_text << "#" << i << ": true " << labels[static_cast<size_t>(i)] << ", predicted "
                 << predicted[static_cast<size_t>(i)];
    const std::string caption = caption_text.str();
    html << "<figure>";
    if (images) {
      const Image image = *example_image(x, i);
      html << img(image, std::max<int>(1, static_cast<int>(84 / std::max<int64_t>(image.width, 1))), caption);
    } else {  // not images: the first features
      const Tensor row = x.to(DType::Float32).reshape({x.dim(0), -1});
      const int64_t width = row.dim(1);
      html << "<code>";
      for (int64_t f = 0; f < std::min<int64_t>(width, 6); ++f) html << (f ? ", " : "") << number(row.data<float>()[i * width + f]);
      html << (width > 6 ? ", ..." : "") << "</code>";
    }
    html << "<figcaption>" << html_escape(caption) << "</figcaption></figure>\n";
  }
  html << "</div>\n";
  return html.str();
}

// ---- the first convolution's filters

std::string filters_html(const Model& model) {
  for (const LayerPtr& layer : model.layers()) {
    if (layer->class_name() != "Conv2D") continue;
    const Tensor kernel = layer->weights().at(0)->value().to(DType::Float32);  // (kh, kw, in, out)
    const int64_t kh = kernel.dim(0), kw = kernel.dim(1), in = kernel.dim(2), out = kernel.dim(3);
    const int channels = in == 3 ? 3 : 1;  // an RGB input draws in color; others, its first channel
    // One scale for all filters: the whole kernel's range.
    const Image all = image_from_tensor(kernel.reshape({kh * kw * in, out}));
    std::ostringstream html;
    html << "<p>" << html_escape(layer->name()) << ": " << out << " filters of " << kh << "x" << kw
         << (in == 3 ? " (RGB)" : in == 1 ? "" : " (input channel 0 of " + std::to_string(in) + ")")
         << ", black = " << number(*std::min_element(kernel.data<float>(), kernel.data<float>() + kernel.numel()))
         << ", white = " << number(*std::max_element(kernel.data<float>(), kernel.data<float>() + kernel.numel()))
         << "</p>\n<div class=\"grid\">\n";
    for (int64_t f = 0; f < out; ++f) {
      Image filter{.height = kh, .width = kw, .channels = channels, .pixels = {}};
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          for (int c = 0; c < channels; ++c)
            filter.pixels.push_back(all.pixels[static_cast<size_t>(((y * kw + x) * in + c) * out + f)]);
      html << "<figure>" << img(filter, std::max<int>(4, static_cast<int>(48 / std::max<int64_t>(kw, 1))),
                                 "filter " + std::to_string(f))
           << "<figcaption>" << f << "</figcaption></figure>\n";
    }
    return html.str() + "</div>\n";
  }
  return missing("The model has no convolution layer: no filters to show.");
}

}  // namespace

void write_run_report(const std::string& dir, const std::string& logs, const std::string& output,
                      const DataOptions& data_given) {
  Env& env = Env::Default();
  if (!env.is_directory(dir) || !env.file_exists(join_path(dir, kModelFile)))
    throw IOError(dir + " is not a run directory of `cairn train` (it has no " + kModelFile + ")");
  std::vector<std::string> problems;  // warnings shown in the page and on stderr

  std::optional<Json> run;
  if (env.file_exists(join_path(dir, kRunFile))) {
    try {
      run = parse_json(env.read_file(join_path(dir, kRunFile)), join_path(dir, kRunFile));
    } catch (const Error& e) {
      problems.push_back(e.what());
    }
  }
  std::string monitor = "val_loss";
  if (run && (*run).contains("setup") && (*run)["setup"].contains("monitor") && (*run)["setup"]["monitor"].is_string())
    monitor = (*run)["setup"]["monitor"].get<std::string>();

  // Checkpoints: the epoch checkpoints kept in the run directory and the final weights.
  std::vector<CheckpointRow> checkpoints;
  std::set<int> checkpoint_epochs;
  std::vector<std::string> names = env.list_dir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    int epoch = 0;
    if (name.ends_with(".ckpt.index") && std::sscanf(name.c_str(), "cp-%d.ckpt.index", &epoch) == 1) {
      const std::string prefix = join_path(dir, name.substr(0, name.size() - 6));
      checkpoints.push_back({prefix, epoch, verify_checkpoint(env, prefix)});
      checkpoint_epochs.insert(epoch);
    }
  }
  if (env.file_exists(join_path(dir, std::string(kFinalWeights) + ".index")))
    checkpoints.push_back({join_path(dir, kFinalWeights), 0, verify_checkpoint(env, join_path(dir, kFinalWeights))});
  const std::optional<std::string> latest = latest_checkpoint(dir, env);

  // Curves from the TensorBoard logs.
  std::map<std::string, Curve> curves;
  std::string curves_note;
  if (!env.is_directory(logs)) {
    curves_note = "No training curves: " + logs +
                  " holds no TensorBoard logs (train with --tensorboard DIR, then give --logs DIR).";
  } else {
    try {
      std::vector<std::string> warnings;
      for (const ScalarEvent& e : read_scalar_events(logs, env, &warnings)) {
        if (!e.tag.starts_with("epoch_") || e.tag == "epoch_steps_per_second") continue;
        const std::string metric = e.tag.substr(6);
        if (e.run == "train") curves[metric].train[e.step] = e.value;
        if (e.run == "validation") curves[metric].validation[e.step] = e.value;
      }
      for (const std::string& warning : warnings) problems.push_back(warning);
      if (curves.empty()) curves_note = "No training curves: " + logs + " holds no epoch scalars (an empty run).";
    } catch (const Error& e) {
      curves_note = std::string("No training curves: ") + e.what();
    }
  }
  bool any_validation = false;
  for (const auto& [metric, curve] : curves) any_validation = any_validation || !curve.validation.empty();
  // The best epoch by the monitored value, as ModelCheckpoint(save_best_only) judges it.
  std::optional<int64_t> best_epoch;
  {
    const bool validation = monitor.starts_with("val_");
    const std::string metric = validation ? monitor.substr(4) : monitor;
    if (curves.contains(metric)) {
      const auto& series = validation ? curves[metric].validation : curves[metric].train;
      const bool upward = monitor_improves_upward(Mode::Auto, monitor);
      for (const auto& [epoch, value] : series)
        if (!best_epoch || (upward ? value > series.at(*best_epoch) : value < series.at(*best_epoch))) best_epoch = epoch;
    }
  }

  // The summary needs the architecture only, so that a run whose weights are damaged still has one.
  std::string summary_html, confusion_html, examples, filters;
  try {
    const std::string config = join_path(dir, kModelFile);
    std::ostringstream summary;
    model_from_json(env.read_file(config))->summary(summary);
    summary_html = "<pre>" + html_escape(summary.str()) + "</pre>\n";
  } catch (const Error& e) {
    summary_html = missing(std::string("No model summary: ") + e.what());
  }
  // The trained model: its test predictions and filters.
  try {
    TrainedModel trained = load_trained_model(dir, std::nullopt);
    filters = filters_html(*trained.model);
    DataOptions data = data_given;
    if (!data.given())
      if (std::optional<DataOptions> recorded = recorded_data_options(dir)) data = *recorded;
    if (!data.given()) {
      confusion_html = missing("No test data: the run records none; give --data or --x and --y.");
    } else {
      LabeledData test = load_labeled_data(data, Split::Test);
      const Tensor x = prepare_inputs(test.x, *trained.model);
      const Tensor y = prepare_labels(test.y);
      const Tensor probabilities = trained.model->predict(x, {.batch_size = 256});
      const int64_t classes = probabilities.rank() == 2 ? probabilities.dim(1) : 0;
      if (y.dtype() != DType::Int64 || classes < 1) {
        confusion_html = missing("No confusion matrix: the model is not a classifier of integer labels.");
      } else {
        Tensor predicted = ops::argmax(probabilities, -1);
        if (classes == 1) {  // a sigmoid: class 1 above one half
          const std::vector<float> p = probabilities.to(DType::Float32).to_vector<float>();
          std::vector<int64_t> above;
          for (float v : p) above.push_back(v > 0.5f ? 1 : 0);
          predicted = Tensor::from_vector<int64_t>({static_cast<int64_t>(above.size())}, above);
        }
        const int64_t num_classes = std::max<int64_t>(classes, 2);
        const std::vector<int64_t> labels = y.reshape({-1}).to_vector<int64_t>();
        const std::vector<int64_t> predictions = predicted.to_vector<int64_t>();
        confusion_html = "<p>" + std::to_string(labels.size()) + " test examples, rows the true class, columns the " +
                         "predicted one.</p>\n" + confusion_svg(confusion_matrix(y.reshape({-1}), predicted, num_classes));
        examples = examples_html(x, labels, predictions);
      }
    }
  } catch (const Error& e) {
    const std::string why = std::string("The model could not be loaded or run: ") + e.what();
    if (filters.empty()) filters = missing(why);
    if (confusion_html.empty()) confusion_html = missing(why);
  }
  if (examples.empty() && confusion_html.find("class=\"missing\"") != std::string::npos)
    examples = missing("No misclassified examples: there is no confusion matrix (above).");

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cairn report: " << html_escape(dir)
       << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}h2{border-bottom:1px solid "
          "#ccc}.missing{color:#a40}.grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;text-align:center;"
          "font-size:11px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
          ".curves svg{margin:4px}</style></head><body>\n"
       << "<h1>cairn report: " << html_escape(dir) << "</h1>\n";
  if (run && (*run).contains("setup"))
    html << "<p>setup: <code>" << html_escape((*run)["setup"].dump()) << "</code></p>\n";
  for (const std::string& problem : problems) {
    std::cerr << "cairn: WARNING: " << problem << "\n";
    html << "<p class=\"missing\">warning: " << html_escape(problem) << "</p>\n";
  }
  html << "<h2>Training curves</h2>\n";
  if (!curves_note.empty()) {
    html << missing(curves_note);
  } else {
    if (!any_validation) html << missing("No validation curves: the run had no validation data (--validation-split).");
    html << "<p><span style=\"color:#1f77b4\">&#9632; training</span> <span style=\"color:#ff7f0e\">&#9632; "
            "validation</span> <span style=\"color:#2a2\">| checkpoint</span></p>\n<div class=\"curves\">\n";
    for (const auto& [metric, curve] : curves) html << curve_svg(metric, curve, checkpoint_epochs);
    html << "</div>\n";
  }
  html << "<h2>Checkpoints</h2>\n";
  if (checkpoints.empty()) {
    html << missing("No checkpoints in " + dir + ".");
  } else {
    html << "<table><tr><th>checkpoint</th><th>epoch</th><th></th><th>verification</th></tr>\n";
    for (const CheckpointRow& row : checkpoints) {
      std::vector<std::string> marks;
      if (latest && *latest == row.prefix) marks.push_back("latest");
      if (best_epoch && row.epoch == *best_epoch + 1) marks.push_back("best " + monitor);
      if (row.epoch == 0) marks.push_back("final weights");
      std::string joined;
      for (const std::string& mark : marks) joined += (joined.empty() ? "" : ", ") + mark;
      html << "<tr><td>" << html_escape(std::filesystem::path(row.prefix).filename().string()) << "</td><td>"
           << (row.epoch ? std::to_string(row.epoch) : "") << "</td><td>" << joined << "</td><td>"
           << html_escape(row.verification) << "</td></tr>\n";
    }
    html << "</table>\n";
    if (!best_epoch) html << missing("No best checkpoint marked: the logs have no " + monitor + " per epoch.");
  }
  html << "<h2>Confusion matrix (test data)</h2>\n" << confusion_html;
  html << "<h2>Misclassified test examples</h2>\n" << examples;
  html << "<h2>First convolution layer's filters</h2>\n" << filters;
  html << "<h2>Model summary</h2>\n" << summary_html << "</body></html>\n";
  write_file_atomically(env, output, html.str());
}

namespace {

int run_report(const Args& args) {
  const std::string dir = args.positional("RUN_DIR");
  const std::string output = args.value("output").value_or(join_path(dir, "report.html"));
  write_run_report(dir, args.value("logs").value_or(join_path(dir, "logs")), output, data_options(args));
  std::cout << "wrote " << output << "\n";
  return 0;
}

std::vector<OptionSpec> report_options() {
  std::vector<OptionSpec> options = {
      {"logs", "DIR", "the run's TensorBoard logs (`cairn train --tensorboard DIR`; default RUN_DIR/logs)"},
      {"output", "FILE", "where to write the page (default RUN_DIR/report.html)"},
  };
  for (OptionSpec& option : labeled_data_options()) options.push_back(std::move(option));
  return options;
}

const RegisterCommand kRegistration({
    .name = "report",
    .summary = "write one self-contained HTML page about a training run",
    .description =
        "Writes an HTML file (inline SVG and PNG, nothing fetched) about the run in RUN_DIR: the loss and\n"
        "metric curves per epoch for training and validation (from --logs, the run's TensorBoard logs),\n"
        "with the epochs that have a checkpoint; the checkpoints, each verified, the latest and the best by\n"
        "the run's --monitor marked; the confusion matrix of the test data (the run's dataset's test part,\n"
        "or the data options given) as a heat map with counts; the first misclassified test examples with\n"
        "their true and predicted labels (as images for image data); the first convolution layer's filters;\n"
        "and the model summary. A piece that cannot be made (no logs, an empty run, no validation data, a\n"
        "model that is not a classifier or has no convolution) is replaced by a line saying why; a torn\n"
        "last record in the logs is a warning.",
    .options = report_options(),
    .positionals = {{"RUN_DIR", "a run directory of `cairn train`"}},
    .run = run_report,
});

}  // namespace
}  // namespace cairn::cli
