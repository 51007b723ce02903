// RunReport: the page is drawn by hand (SVG for curves and the confusion matrix, PNG data URLs for
// images) so that it opens anywhere without a network or a script.
#include "cairn/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "cairn/checkpoint.h"
#include "cairn/error.h"
#include "cairn/image.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "cairn/summary.h"
#include "cairn/tensor_bundle.h"

namespace cairn {
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

// One metric's chart: training and validation per epoch (x = epoch number, from 1), and a tick under
// each epoch that has a checkpoint.
std::string curve_svg(const std::string& name, const std::map<int64_t, double>& train,
                      const std::map<int64_t, double>& validation, const std::set<int>& checkpoint_epochs) {
  constexpr double kWidth = 420, kHeight = 220, kLeft = 50, kRight = 10, kTop = 20, kBottom = 30;
  double low = INFINITY, high = -INFINITY;
  int64_t last = 1;
  for (const auto* series : {&train, &validation})
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
  polyline(train, "#1f77b4", "training");
  polyline(validation, "#ff7f0e", "validation");
  svg << "</svg>\n";
  return svg.str();
}

// ---- checkpoints

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

// ---- filters

// The grid of one snapshot, on one scale (the kernel's range), and its values as JSON.
std::string filters_html(const FilterSnapshot& snapshot) {
  const Tensor& kernel = snapshot.kernel;  // (kh, kw, in, out)
  const int64_t kh = kernel.dim(0), kw = kernel.dim(1), in = kernel.dim(2), out = kernel.dim(3);
  const int channels = in == 3 ? 3 : 1;  // an RGB input draws in color; others, its first channel
  const Image all = image_from_tensor(kernel.reshape({kh * kw * in, out}));
  const float* values = kernel.data<float>();
  std::ostringstream html;
  html << "<h3>" << html_escape(snapshot.caption) << "</h3>\n<p>" << html_escape(snapshot.layer) << ": " << out
       << " filters of " << kh << "x" << kw
       << (in == 3 ? " (RGB)" : in == 1 ? "" : " (input channel 0 of " + std::to_string(in) + ")")
       << ", black = " << number(*std::min_element(values, values + kernel.numel()))
       << ", white = " << number(*std::max_element(values, values + kernel.numel())) << "</p>\n<div class=\"grid\">\n";
  for (int64_t f = 0; f < out; ++f) {
    Image filter{.height = kh, .width = kw, .channels = channels, .pixels = {}};
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int c = 0; c < channels; ++c)
          filter.pixels.push_back(all.pixels[static_cast<size_t>(((y * kw + x) * in + c) * out + f)]);
    html << "<figure>"
         << img(filter, std::max<int>(4, static_cast<int>(48 / std::max<int64_t>(kw, 1))),
                snapshot.caption + ": filter " + std::to_string(f))
         << "<figcaption>" << f << "</figcaption></figure>\n";
  }
  html << "</div>\n";
  // The values, exactly (9 significant digits round-trip a float). The caption and layer are escaped
  // for a JSON string inside HTML: quotes, backslashes and '<' (so that no "</script>" can occur).
  auto json_string = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += std::string("\\") + c;
      else if (c == '<') out += "\\u003c";
      else if (static_cast<unsigned char>(c) < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
        out += escaped;
      } else out += c;
    }
    return out + "\"";
  };
  html << "<script type=\"application/json\" class=\"filter-values\">{\"caption\": " << json_string(snapshot.caption)
       << ", \"layer\": " << json_string(snapshot.layer) << ", \"shape\": [" << kh << ", " << kw << ", " << in << ", "
       << out << "], \"values\": [";
  char buffer[32];
  for (int64_t i = 0; i < kernel.numel(); ++i) {
    std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(values[i]));
    html << (i ? "," : "") << buffer;
  }
  html << "]}</script>\n";
  return html.str();
}

}  // namespace

std::optional<FilterSnapshot> first_convolution_filters(const Model& model, const std::string& caption) {
  for (const LayerPtr& layer : model.layers()) {
    if (layer->class_name() != "Conv2D" || layer->weights().empty()) continue;
    // to() copies (a clone for float32): later training does not change the snapshot.
    return FilterSnapshot{caption, layer->name(), layer->weights().at(0)->value().to(DType::Float32)};
  }
  return std::nullopt;
}

RunReport::RunReport(std::string title) : title_(std::move(title)) {}

void RunReport::set_setup(std::string text) { setup_ = std::move(text); }
void RunReport::add_warning(std::string text) { warnings_.push_back(std::move(text)); }
void RunReport::set_missing(ReportSection section, std::string why) { missing_[section] = std::move(why); }
void RunReport::set_monitor(std::string monitor) { monitor_ = std::move(monitor); }

void RunReport::add_history(const History& history) {
  curves_given_ = true;
  for (const auto& [name, values] : history.history) {
    const bool validation = name.starts_with("val_");
    Curve& curve = curves_[validation ? name.substr(4) : name];
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t epoch = i < history.epoch.size() ? history.epoch[i] : static_cast<int64_t>(i);
      (validation ? curve.validation : curve.train)[epoch] = values[i];
    }
  }
  if (curves_.empty()) set_missing(ReportSection::Curves, "No training curves: the history holds no epoch (an empty run).");
}

void RunReport::add_tensorboard_logs(const std::string& log_dir, Env& env) {
  curves_given_ = true;
  if (!env.is_directory(log_dir)) {
    set_missing(ReportSection::Curves, "No training curves: " + log_dir + " holds no TensorBoard logs.");
    return;
  }
  try {
    std::vector<std::string> warnings;
    for (const ScalarEvent& e : read_scalar_events(log_dir, env, &warnings)) {
      // Per-epoch values; the speed and the learning rate are not model metrics.
      if (!e.tag.starts_with("epoch_") || e.tag == "epoch_steps_per_second" || e.tag == "epoch_learning_rate") continue;
      const std::string metric = e.tag.substr(6);
      if (e.run == "train") curves_[metric].train[e.step] = e.value;
      if (e.run == "validation") curves_[metric].validation[e.step] = e.value;
    }
    for (std::string& warning : warnings) add_warning(std::move(warning));
    if (curves_.empty())
      set_missing(ReportSection::Curves, "No training curves: " + log_dir + " holds no epoch scalars (an empty run).");
  } catch (const Error& e) {
    set_missing(ReportSection::Curves, std::string("No training curves: ") + e.what());
  }
}

void RunReport::add_checkpoint(const std::string& prefix, std::optional<int> epoch, Env& env) {
  checkpoints_.push_back({prefix, epoch, verify_checkpoint(env, prefix), false});
}

void RunReport::add_checkpoints(const std::string& dir, Env& env) {
  if (!env.is_directory(dir)) return;
  std::vector<std::string> names = env.list_dir(dir);
  std::sort(names.begin(), names.end());
  const std::optional<std::string> latest = latest_checkpoint(dir, env);
  for (const std::string& name : names) {
    if (!name.ends_with(".index")) continue;
    const std::string prefix = join_path(dir, name.substr(0, name.size() - 6));
    int epoch = 0;
    int end = 0;
    std::optional<int> epoch_of_name;
    if (std::sscanf(name.c_str(), "cp-%d.ckpt.index%n", &epoch, &end) == 1 && end == static_cast<int>(name.size()))
      epoch_of_name = epoch;
    add_checkpoint(prefix, epoch_of_name, env);
    checkpoints_.back().latest = latest && *latest == prefix;
  }
}

void RunReport::add_test_results(Model& model, const Tensor& x, const Tensor& y) {
  const Tensor probabilities = model.predict(x, {.batch_size = 256});
  const int64_t classes = probabilities.rank() == 2 ? probabilities.dim(1) : 0;
  const bool integer_labels = y.dtype() == DType::Int64 || y.dtype() == DType::Int32 || y.dtype() == DType::UInt8;
  if (!integer_labels || classes < 1) {
    set_missing(ReportSection::ConfusionMatrix, "No confusion matrix: the model is not a classifier of integer labels.");
    set_missing(ReportSection::Examples, "No misclassified examples: there is no confusion matrix (above).");
    return;
  }
  const Tensor labels_tensor = y.to(DType::Int64).reshape({-1});
  Tensor predicted = ops::argmax(probabilities, -1);
  if (classes == 1) {  // a sigmoid: class 1 above one half
    std::vector<int64_t> above;
    for (float v : probabilities.to(DType::Float32).to_vector<float>()) above.push_back(v > 0.5f ? 1 : 0);
    predicted = Tensor::from_vector<int64_t>({static_cast<int64_t>(above.size())}, above);
  }
  const std::vector<int64_t> labels = labels_tensor.to_vector<int64_t>();
  confusion_html_ = "<p>" + std::to_string(labels.size()) + " test examples, rows the true class, columns the " +
                    "predicted one.</p>\n" +
                    confusion_svg(confusion_matrix(labels_tensor, predicted, std::max<int64_t>(classes, 2)));
  examples_html_ = examples_html(x, labels, predicted.to_vector<int64_t>());
}

void RunReport::add_filters(const std::optional<FilterSnapshot>& snapshot) {
  filters_given_ = true;
  if (snapshot) filters_.push_back(*snapshot);
}

void RunReport::set_model_summary(const Model& model) {
  std::ostringstream summary;
  model.summary(summary);
  summary_ = summary.str();
}

std::optional<int64_t> RunReport::best_epoch() const {
  const bool validation = monitor_.starts_with("val_");
  const auto found = curves_.find(validation ? monitor_.substr(4) : monitor_);
  if (found == curves_.end()) return std::nullopt;
  const auto& series = validation ? found->second.validation : found->second.train;
  const bool upward = monitor_improves_upward(Mode::Auto, monitor_);
  std::optional<int64_t> best;
  for (const auto& [epoch, value] : series)
    if (!best || (upward ? value > series.at(*best) : value < series.at(*best))) best = epoch;
  return best;
}

std::string RunReport::html() const {
  auto section_missing = [&](ReportSection section) -> const std::string* {
    const auto found = missing_.find(section);
    return found == missing_.end() ? nullptr : &found->second;
  };
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cairn report: " << html_escape(title_)
       << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}h2{border-bottom:1px solid "
          "#ccc}h3{font-size:1em;margin:1em 0 0}.missing{color:#a40}.grid{display:flex;flex-wrap:wrap;gap:8px}"
          "figure{margin:0;text-align:center;font-size:11px}table{border-collapse:collapse}td,th{border:1px solid "
          "#ccc;padding:2px 8px;text-align:left}.curves svg{margin:4px}</style></head><body>\n"
       << "<h1>cairn report: " << html_escape(title_) << "</h1>\n";
  if (!setup_.empty()) html << "<p>setup: <code>" << html_escape(setup_) << "</code></p>\n";
  for (const std::string& warning : warnings_) html << "<p class=\"missing\">warning: " << html_escape(warning) << "</p>\n";

  std::set<int> checkpoint_epochs;
  for (const Checkpoint& checkpoint : checkpoints_)
    if (checkpoint.epoch) checkpoint_epochs.insert(*checkpoint.epoch);
  html << "<h2>Training curves</h2>\n";
  if (const std::string* why = section_missing(ReportSection::Curves)) {
    html << missing(*why);
  } else if (!curves_given_) {
    html << missing("No training curves: no history or TensorBoard logs were given.");
  } else {
    bool any_validation = false;
    for (const auto& [metric, curve] : curves_) any_validation = any_validation || !curve.validation.empty();
    if (!any_validation) html << missing("No validation curves: the run had no validation data.");
    html << "<p><span style=\"color:#1f77b4\">&#9632; training</span> <span style=\"color:#ff7f0e\">&#9632; "
            "validation</span> <span style=\"color:#2a2\">| checkpoint</span></p>\n<div class=\"curves\">\n";
    for (const auto& [metric, curve] : curves_) html << curve_svg(metric, curve.train, curve.validation, checkpoint_epochs);
    html << "</div>\n";
  }

  html << "<h2>Checkpoints</h2>\n";
  const std::optional<int64_t> best = best_epoch();
  if (const std::string* why = section_missing(ReportSection::Checkpoints)) {
    html << missing(*why);
  } else if (checkpoints_.empty()) {
    html << missing("No checkpoints.");
  } else {
    html << "<table><tr><th>checkpoint</th><th>epoch</th><th></th><th>verification</th></tr>\n";
    bool any_epoch = false;
    for (const Checkpoint& row : checkpoints_) {
      std::vector<std::string> marks;
      if (row.latest) marks.push_back("latest");
      if (best && row.epoch && *row.epoch == *best + 1) marks.push_back("best " + monitor_);
      any_epoch = any_epoch || row.epoch.has_value();
      std::string joined;
      for (const std::string& mark : marks) joined += (joined.empty() ? "" : ", ") + mark;
      html << "<tr><td>" << html_escape(std::filesystem::path(row.prefix).filename().string()) << "</td><td>"
           << (row.epoch ? std::to_string(*row.epoch) : "") << "</td><td>" << joined << "</td><td>"
           << html_escape(row.verification) << "</td></tr>\n";
    }
    html << "</table>\n";
    if (any_epoch && !best) html << missing("No best checkpoint marked: the curves have no " + monitor_ + " per epoch.");
  }

  html << "<h2>Confusion matrix (test data)</h2>\n";
  if (const std::string* why = section_missing(ReportSection::ConfusionMatrix)) html << missing(*why);
  else if (confusion_html_.empty()) html << missing("No confusion matrix: no test data was given.");
  else html << confusion_html_;

  html << "<h2>Misclassified test examples</h2>\n";
  if (const std::string* why = section_missing(ReportSection::Examples)) html << missing(*why);
  else if (examples_html_.empty()) html << missing("No misclassified examples: there is no confusion matrix (above).");
  else html << examples_html_;

  html << "<h2>First convolution layer's filters</h2>\n";
  if (const std::string* why = section_missing(ReportSection::Filters)) html << missing(*why);
  else if (filters_.empty())
    html << missing(filters_given_ ? "The model has no convolution layer: no filters to show."
                                   : "No filters: no model was given.");
  else
    for (const FilterSnapshot& snapshot : filters_) html << filters_html(snapshot);

  html << "<h2>Model summary</h2>\n";
  if (const std::string* why = section_missing(ReportSection::Summary)) html << missing(*why);
  else if (summary_.empty()) html << missing("No model summary: no model was given.");
  else html << "<pre>" << html_escape(summary_) << "</pre>\n";
  html << "</body></html>\n";
  return html.str();
}

void RunReport::write(const std::string& path, Env& env) const { write_file_atomically(env, path, html()); }

}  // namespace cairn
