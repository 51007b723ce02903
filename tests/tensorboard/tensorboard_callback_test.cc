// The TensorBoard callback in fit: the runs, tags and steps Keras writes, with History's values; weight
// and gradient histograms with the weights' own bucket counts, weight images decoded back to pixels, the
// model config, steps per second and the hparams records.
#include <gtest/gtest.h>

#include <png.h>

#include <cstring>
#include <map>

#include "cairn/error.h"
#include "cairn/autodiff.h"
#include "cairn/config.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/flatten.h"
#include "cairn/model.h"
#include "cairn/optimizers.h"
#include "cairn/tensorboard.h"
#include "summary/proto/event.pb.h"
#include "summary/record.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using testing::TempDir;

class TensorBoardCallback : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(0);
  }
};

// A logistic regression on 16 points of two classes.
struct Problem {
  Tensor x, y;
};

Problem points(int64_t n = 16) {
  std::vector<float> x, y;
  for (int64_t i = 0; i < n; ++i) {
    const float a = 0.25f * static_cast<float>(i % 8) - 1.0f, b = 0.125f * static_cast<float>(i % 5) - 0.25f;
    x.insert(x.end(), {a, b});
    y.push_back(a + b > -0.4f ? 1.0f : 0.0f);
  }
  return {Tensor::from_vector<float>({n, 2}, x), Tensor::from_vector<float>({n, 1}, y)};
}

std::shared_ptr<Sequential> classifier() {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid"})}, Shape{2});
  model->compile(
      {.optimizer = std::make_shared<SGD>(0.5), .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  return model;
}

// run -> tag -> step -> value
using Scalars = std::map<std::string, std::map<std::string, std::map<int64_t, double>>>;

Scalars scalars_of(const std::string& log_dir) {
  Scalars scalars;
  for (const ScalarEvent& e : read_scalar_events(log_dir)) {
    EXPECT_FALSE(scalars[e.run][e.tag].count(e.step)) << e.run << " " << e.tag << " " << e.step << " twice";
    scalars[e.run][e.tag][e.step] = e.value;
  }
  return scalars;
}

double as_float(double v) { return static_cast<double>(static_cast<float>(v)); }

TEST_F(TensorBoardCallback, WritesEpochScalarsOfTrainAndValidationRuns) {
  TempDir dir;
  auto model = classifier();
  Problem train = points(), validation = points(8);
  auto tensorboard = std::make_shared<TensorBoard>(dir / "logs");
  History history = model->fit(train.x, train.y,
                               {.batch_size = 4,
                                .epochs = 3,
                                .verbose = 0,
                                .callbacks = {tensorboard},
                                .validation_data = std::make_pair(validation.x, validation.y),
                                .shuffle = false});

  EXPECT_TRUE(Env::Default().is_directory(dir / "logs/train"));
  EXPECT_TRUE(Env::Default().is_directory(dir / "logs/validation"));
  for (const char* run : {"train", "validation"}) {
    std::vector<std::string> files = Env::Default().list_dir(dir / "logs/" + run);
    ASSERT_EQ(files.size(), 1u) << run;
    EXPECT_TRUE(files[0].starts_with("events.out.tfevents.")) << files[0];
    EXPECT_TRUE(files[0].ends_with(".v2")) << files[0];
  }

  Scalars scalars = scalars_of(dir / "logs");
  EXPECT_EQ(scalars.size(), 2u);
  auto& train_run = scalars["train"];
  auto& validation_run = scalars["validation"];
  std::vector<std::string> train_tags, validation_tags;
  for (const auto& [tag, values] : train_run) train_tags.push_back(tag);
  for (const auto& [tag, values] : validation_run) validation_tags.push_back(tag);
  EXPECT_EQ(train_tags, (std::vector<std::string>{"epoch_accuracy", "epoch_learning_rate", "epoch_loss"}));
  EXPECT_EQ(validation_tags,
            (std::vector<std::string>{"epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                                      "evaluation_loss_vs_iterations"}));
  for (int epoch = 0; epoch < 3; ++epoch) {
    EXPECT_EQ(train_run["epoch_loss"].at(epoch), as_float(history.history.at("loss").at(epoch))) << epoch;
    EXPECT_EQ(train_run["epoch_accuracy"].at(epoch), as_float(history.history.at("accuracy").at(epoch)));
    EXPECT_EQ(validation_run["epoch_loss"].at(epoch), as_float(history.history.at("val_loss").at(epoch)));
    EXPECT_EQ(validation_run["epoch_accuracy"].at(epoch),
              as_float(history.history.at("val_accuracy").at(epoch)));
    // 4 batches per epoch: validation after iterations 4, 8, 12.
    EXPECT_EQ(validation_run["evaluation_loss_vs_iterations"].at(4 * (epoch + 1)),
              as_float(history.history.at("val_loss").at(epoch)));
  }
  EXPECT_EQ(train_run["epoch_loss"].size(), 3u);
  // Keras 3's epoch_learning_rate: the optimizer's rate, at every epoch.
  EXPECT_EQ(train_run["epoch_learning_rate"].size(), 3u);
  for (const auto& [epoch, rate] : train_run["epoch_learning_rate"])
    EXPECT_EQ(rate, as_float(model->optimizer().current_learning_rate())) << epoch;
  // The losses changed: the values are the epochs' own, not one repeated.
  EXPECT_NE(train_run["epoch_loss"].at(0), train_run["epoch_loss"].at(2));
}

TEST_F(TensorBoardCallback, BatchScalarsEveryNthIterationAcrossEpochs) {
  TempDir dir;
  auto model = classifier();
  Problem train = points();
  // The batch logs as the callbacks see them, keyed by the optimizer's iterations after each batch.
  std::map<int64_t, double> batch_losses;
  auto recorder = std::make_shared<LambdaCallback>();
  recorder->on_batch_end_fn = [&](int64_t, const Logs& logs) {
    batch_losses[model->optimizer().iteration_count()] = logs.at("loss");
  };
  model->fit(train.x, train.y,
             {.batch_size = 4,
              .epochs = 2,
              .verbose = 0,
              .callbacks = {std::make_shared<TensorBoard>(dir.path(), int64_t{3}), recorder},
              .shuffle = false});
  Scalars scalars = scalars_of(dir.path());
  EXPECT_EQ(scalars.count("validation"), 0u);  // no validation data, no validation run
  const auto& batch_loss = scalars["train"]["batch_loss"];
  std::vector<int64_t> steps;
  for (const auto& [step, value] : batch_loss) {
    steps.push_back(step);
    EXPECT_EQ(value, as_float(batch_losses.at(step))) << step;
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{3, 6}));  // 8 iterations in all
  EXPECT_EQ(scalars["train"]["batch_accuracy"].size(), 2u);
  EXPECT_EQ(scalars["train"]["epoch_loss"].size(), 2u);
}

TEST_F(TensorBoardCallback, EveryBatchAndAFitAfterAnother) {
  TempDir dir;
  auto model = classifier();
  Problem train = points();
  auto tensorboard = std::make_shared<TensorBoard>(dir.path(), "batch");
  FitOptions options{
      .batch_size = 8, .epochs = 1, .verbose = 0, .callbacks = {tensorboard}, .shuffle = false};
  model->fit(train.x, train.y, options);
  options.initial_epoch = 1;
  options.epochs = 2;
  model->fit(train.x, train.y, options);
  // Each fit has its own event file; the steps go on.
  EXPECT_EQ(Env::Default().list_dir(dir / "train").size(), 2u);
  Scalars scalars = scalars_of(dir.path());
  std::vector<int64_t> batch_steps, epoch_steps;
  for (const auto& [step, value] : scalars["train"]["batch_loss"]) batch_steps.push_back(step);
  for (const auto& [step, value] : scalars["train"]["epoch_loss"]) epoch_steps.push_back(step);
  EXPECT_EQ(batch_steps, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(epoch_steps, (std::vector<int64_t>{0, 1}));
}

TEST_F(TensorBoardCallback, RejectsUnknownUpdateFrequencies) {
  EXPECT_THROW(TensorBoard("logs", "sometimes"), InvalidArgument);
  EXPECT_THROW(TensorBoard("logs", int64_t{0}), InvalidArgument);
  EXPECT_THROW(TensorBoard("logs", int64_t{-2}), InvalidArgument);
}

// Every summary of a log directory: run -> tag -> step -> event.
using Summaries = std::map<std::string, std::map<std::string, std::map<int64_t, SummaryEvent>>>;

Summaries summaries_of(const std::string& log_dir) {
  Summaries summaries;
  for (SummaryEvent& e : read_summary_events(log_dir)) summaries[e.run][e.tag][e.step] = std::move(e);
  return summaries;
}

// tf.summary.histogram's counts for `values` in `buckets` buckets, computed here from the definition.
std::vector<double> expected_counts(const std::vector<float>& values, int buckets = 30) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::vector<double> counts(buckets, 0.0);
  const double low = *lo, width = (static_cast<double>(*hi) - low) / buckets;
  for (float v : values) counts[std::min(buckets - 1, static_cast<int>(std::floor((v - low) / width)))] += 1;
  return counts;
}

std::vector<double> counts_of(const SummaryEvent& histogram) {
  std::vector<double> counts;
  for (const HistogramBucket& bucket : histogram.buckets) counts.push_back(bucket.count);
  return counts;
}

TEST_F(TensorBoardCallback, WeightHistogramsEveryHistogramFreqEpochsWithTheWeightsCounts) {
  TempDir dir;
  auto model = classifier();
  Problem train = points();
  // The weights as each epoch ends, when the callback draws them.
  std::map<int, std::map<std::string, std::vector<float>>> weights;
  auto recorder = std::make_shared<LambdaCallback>();
  recorder->on_epoch_end_fn = [&](int epoch, const Logs&) {
    for (const VariablePtr& w : model->weights()) weights[epoch][w->name()] = w->value().to_vector<float>();
  };
  model->fit(train.x, train.y,
             {.batch_size = 4,
              .epochs = 3,
              .verbose = 0,
              .callbacks = {std::make_shared<TensorBoard>(dir.path(), TensorBoardOptions{.histogram_freq = 2}),
                            recorder},
              .shuffle = false});
  Summaries summaries = summaries_of(dir.path());
  const auto& train_run = summaries["train"];
  for (const char* name : {"dense/kernel", "dense/bias"}) {
    const auto& histograms = train_run.at(std::string(name) + "/histogram");
    std::vector<int64_t> steps;
    for (const auto& [step, event] : histograms) steps.push_back(step);
    EXPECT_EQ(steps, (std::vector<int64_t>{0, 2})) << name;  // epochs 0 and 2 of 0, 1, 2
    for (int epoch : {0, 2}) {
      const SummaryEvent& histogram = histograms.at(epoch);
      EXPECT_EQ(histogram.kind, SummaryEvent::Kind::kHistogram);
      const std::vector<float>& values = weights[epoch][name];
      if (values.size() == 1) {  // the bias: one value, all in the last bucket
        EXPECT_EQ(histogram.buckets.back().count, 1);
        EXPECT_EQ(histogram.buckets.back().left, static_cast<double>(values[0]));
      } else {
        EXPECT_EQ(counts_of(histogram), expected_counts(values)) << name << " " << epoch;
        EXPECT_EQ(histogram.buckets.front().left, *std::min_element(values.begin(), values.end()));
        EXPECT_EQ(histogram.buckets.back().right, *std::max_element(values.begin(), values.end()));
      }
    }
  }
  EXPECT_NE(weights[0]["dense/kernel"], weights[2]["dense/kernel"]);  // trained between the two
  EXPECT_EQ(train_run.count("dense/kernel/image"), 0u);  // write_images is off
}

// The pixels of a PNG, decoded by libpng.
std::vector<uint8_t> png_pixels(const std::string& bytes, int64_t* width, int64_t* height) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()));
  image.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  EXPECT_TRUE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr));
  *width = image.width;
  *height = image.height;
  return pixels;
}

// The encoded images of the first summary of `tag` in the event files under log_dir/train.
std::vector<std::string> encoded_images(const std::string& log_dir, const std::string& tag) {
  for (const std::string& name : Env::Default().list_dir(log_dir + "/train")) {
    std::unique_ptr<RandomAccessFile> file = Env::Default().new_random_access_file(log_dir + "/train/" + name);
    tfrecord::RecordReader reader(*file);
    while (auto record = reader.next()) {
      proto::Event event;
      EXPECT_TRUE(event.ParseFromArray(record->data.data(), static_cast<int>(record->data.size())));
      for (const auto& value : event.summary().value())
        if (value.tag() == tag) return {value.tensor().string_val().begin() + 2, value.tensor().string_val().end()};
    }
  }
  return {};
}

TEST_F(TensorBoardCallback, WriteImagesDrawsEachConvolutionFilterOnOneScale) {
  TempDir dir;
  // 4x4 one-channel images into two 2x2 filters: a (2, 2, 1, 2) kernel, drawn as two 2x2 images.
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_conv2d(2, {2, 2}), make_flatten(), std::make_shared<Dense>(1)}, Shape{4, 4, 1});
  model->compile({.optimizer = std::make_shared<SGD>(0.01), .loss = "mse"});
  std::vector<float> x(2 * 16), y = {0.5f, -0.5f};
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) / 7.f;
  model->fit(Tensor::from_vector<float>({2, 4, 4, 1}, x), Tensor::from_vector<float>({2, 1}, y),
             {.batch_size = 2,
              .epochs = 1,
              .verbose = 0,
              .callbacks = {std::make_shared<TensorBoard>(
                  dir.path(), TensorBoardOptions{.histogram_freq = 1, .write_images = true})}});
  const std::vector<float> kernel = model->get_layer("conv2d")->weights()[0]->value().to_vector<float>();
  ASSERT_EQ(kernel.size(), 8u);
  const float low = *std::min_element(kernel.begin(), kernel.end()), high = *std::max_element(kernel.begin(), kernel.end());

  // Read the image's PNGs straight from the event file.
  std::vector<SummaryEvent> events = read_summary_events(dir.path());
  const auto image_event = std::find_if(events.begin(), events.end(),
                                        [](const SummaryEvent& e) { return e.tag == "conv2d/kernel/image"; });
  ASSERT_NE(image_event, events.end());
  EXPECT_EQ(image_event->width, 2);
  EXPECT_EQ(image_event->height, 2);
  EXPECT_EQ(image_event->images, 2);
  // As Keras squeezes them: the bias (2 values) is a column of 2; the Dense kernel (18, 1) a column of
  // 18; the Dense bias, one value, squeezes to a scalar, which is not drawn.
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const SummaryEvent& e) { return e.tag == "dense/bias/image"; }),
            0);
  for (const auto& [tag, width, height] : std::vector<std::tuple<std::string, int64_t, int64_t>>{
           {"conv2d/bias/image", 1, 2}, {"dense/kernel/image", 1, 18}}) {
    const auto found =
        std::find_if(events.begin(), events.end(), [&](const SummaryEvent& e) { return e.tag == tag; });
    ASSERT_NE(found, events.end()) << tag;
    EXPECT_EQ(found->width, width) << tag;
    EXPECT_EQ(found->height, height) << tag;
  }
  // The pixels: filter f's (y, x) is kernel[(y * 2 + x) * 2 + f], scaled from [low, high] to [0, 255].
  std::vector<std::string> pngs = encoded_images(dir.path(), "conv2d/kernel/image");
  ASSERT_EQ(pngs.size(), 2u);
  for (int f = 0; f < 2; ++f) {
    int64_t width = 0, height = 0;
    const std::vector<uint8_t> pixels = png_pixels(pngs[f], &width, &height);
    ASSERT_EQ(pixels.size(), 4u);
    for (int i = 0; i < 4; ++i) {
      const double expected = (static_cast<double>(kernel[i * 2 + f]) - low) / (high - low) * 255.0;
      EXPECT_NEAR(pixels[i], expected, 0.5 + 1e-6) << "filter " << f << " pixel " << i;
    }
  }
}

TEST_F(TensorBoardCallback, GradientHistogramsOfTheLossOnTheGivenSamples) {
  TempDir dir;
  auto model = classifier();
  Problem train = points(), probe = points(6);
  std::vector<float> kernel_gradient;
  auto recorder = std::make_shared<LambdaCallback>();
  recorder->on_epoch_end_fn = [&](int, const Logs&) {
    GradientTape tape;
    const Tensor loss = model->loss()(probe.y, (*model)(probe.x, false));
    kernel_gradient = tape.gradient(loss, model->trainable_weights())[0].to_vector<float>();
  };
  model->fit(train.x, train.y,
             {.batch_size = 8,
              .epochs = 1,
              .verbose = 0,
              .callbacks = {std::make_shared<TensorBoard>(
                                dir.path(), TensorBoardOptions{.histogram_freq = 1,
                                                               .gradient_data = std::make_pair(probe.x, probe.y)}),
                            recorder},
              .shuffle = false});
  Summaries summaries = summaries_of(dir.path());
  ASSERT_EQ(kernel_gradient.size(), 2u);
  ASSERT_NE(kernel_gradient[0], kernel_gradient[1]);
  const SummaryEvent& gradient = summaries["train"].at("dense/kernel_grad/histogram").at(0);
  EXPECT_EQ(counts_of(gradient), expected_counts(kernel_gradient));
  EXPECT_EQ(gradient.buckets.front().left, std::min(kernel_gradient[0], kernel_gradient[1]));
  EXPECT_EQ(summaries["train"].count("dense/bias_grad/histogram"), 1u);
  EXPECT_THROW(TensorBoard("logs", TensorBoardOptions{.gradient_data = std::make_pair(probe.x, probe.y)}),
               InvalidArgument);  // gradients come with the weight histograms
}

TEST_F(TensorBoardCallback, GraphStepsPerSecondAndHParams) {
  TempDir dir;
  auto model = classifier();
  Problem train = points(), validation = points(8);
  auto tensorboard = std::make_shared<TensorBoard>(
      dir.path(), TensorBoardOptions{.write_steps_per_second = true,
                                     .update_freq = 2,
                                     .hparams = {{"learning_rate", 0.5}, {"units", 1.0}},
                                     .trial_id = "t1"});
  model->fit(train.x, train.y,
             {.batch_size = 4,
              .epochs = 2,
              .verbose = 0,
              .callbacks = {tensorboard},
              .validation_data = std::make_pair(validation.x, validation.y),
              .shuffle = false});
  Summaries summaries = summaries_of(dir.path());
  const SummaryEvent& graph = summaries["train"].at("keras").at(0);
  EXPECT_EQ(graph.kind, SummaryEvent::Kind::kKerasModel);
  EXPECT_EQ(graph.text, model_to_json(*model));
  for (int epoch : {0, 1}) {
    const SummaryEvent& rate = summaries["train"].at("epoch_steps_per_second").at(epoch);
    EXPECT_GT(rate.value, 0);
    EXPECT_TRUE(std::isfinite(rate.value));
  }
  std::vector<int64_t> batch_steps;
  for (const auto& [step, event] : summaries["train"].at("batch_steps_per_second")) batch_steps.push_back(step);
  EXPECT_EQ(batch_steps, (std::vector<int64_t>{2, 4, 6, 8}));
  // The hparams records are in log_dir itself, the session's run.
  const auto& session = summaries[""];
  EXPECT_EQ(session.at("_hparams_/experiment").at(0).text,
            "experiment: hparams learning_rate units; metrics train/epoch_loss train/epoch_accuracy "
            "validation/epoch_loss validation/epoch_accuracy");
  EXPECT_EQ(session.at("_hparams_/session_start_info").at(0).text,
            "session_start_info: learning_rate=0.5, units=1; group t1");
  EXPECT_EQ(session.at("_hparams_/session_end_info").at(0).text, "session_end_info: STATUS_SUCCESS");
}

TEST_F(TensorBoardCallback, NoGraphForASubclassedModelAndNoHParamsWhenNoneAreGiven) {
  TempDir dir;
  struct Net : Model {
    Net() : Model("net") { track("out", std::make_shared<Dense>(1)); }
    Tensor call(const Tensor& x, bool training) override { return (*get_layer("dense"))(x, training); }
  };
  auto model = std::make_shared<Net>();
  model->compile({.optimizer = std::make_shared<SGD>(0.1), .loss = "mse"});
  Problem train = points();
  model->fit(train.x, train.y, {.batch_size = 8, .epochs = 1, .verbose = 0,
                                .callbacks = {std::make_shared<TensorBoard>(dir.path())}});
  Summaries summaries = summaries_of(dir.path());
  EXPECT_EQ(summaries["train"].count("keras"), 0u);
  EXPECT_EQ(summaries["train"].count("epoch_loss"), 1u);
  EXPECT_EQ(summaries.count(""), 0u);
}

}  // namespace
}  // namespace cairn
