// The summaries beyond scalars, decoded field by field: histogram buckets, PNG pixels (read back with
// libpng), text, Keras model configs and the hparams plugin's records; and read_summary_events on them.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstring>

#include "cairn/error.h"
#include "cairn/image.h"
#include "cairn/summary.h"
#include "summary/proto/event.pb.h"
#include "summary/proto/plugin_data.pb.h"
#include "summary/record.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using testing::TempDir;

// The events of one file, in order, after its file_version record.
std::vector<proto::Event> events_of(const std::string& path) {
  std::unique_ptr<RandomAccessFile> file = Env::Default().new_random_access_file(path);
  tfrecord::RecordReader reader(*file);
  std::vector<proto::Event> events;
  while (auto record = reader.next()) {
    proto::Event event;
    EXPECT_TRUE(event.ParseFromArray(record->data.data(), static_cast<int>(record->data.size())));
    events.push_back(event);
  }
  EXPECT_FALSE(events.empty());
  if (!events.empty()) events.erase(events.begin());
  return events;
}

std::vector<double> doubles(const std::string& content) {
  std::vector<double> values(content.size() / 8);
  std::memcpy(values.data(), content.data(), values.size() * 8);
  return values;
}

// A PNG decoded by libpng's simplified API, independently of encode_png.
struct Decoded {
  int64_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

Decoded decode_png(const std::string& bytes) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) << image.message;
  Decoded decoded{image.width, image.height, PNG_IMAGE_SAMPLE_CHANNELS(image.format), {}};
  decoded.pixels.resize(PNG_IMAGE_SIZE(image));
  EXPECT_TRUE(png_image_finish_read(&image, nullptr, decoded.pixels.data(), 0, nullptr)) << image.message;
  return decoded;
}

TEST(Png, RoundTripsGrayAndRgbPixels) {
  Image gray{.height = 2, .width = 3, .channels = 1, .pixels = {0, 10, 20, 200, 250, 255}};
  Decoded g = decode_png(encode_png(gray));
  EXPECT_EQ(g.width, 3);
  EXPECT_EQ(g.height, 2);
  EXPECT_EQ(g.channels, 1);
  EXPECT_EQ(g.pixels, gray.pixels);
  Image rgb{.height = 1, .width = 2, .channels = 3, .pixels = {255, 0, 0, 1, 2, 3}};
  Decoded c = decode_png(encode_png(rgb));
  EXPECT_EQ(c.channels, 3);
  EXPECT_EQ(c.pixels, rgb.pixels);
}

TEST(Png, RefusesImagesThatAreNotWhatTheySay) {
  EXPECT_THROW(encode_png({.height = 2, .width = 2, .channels = 1, .pixels = {1, 2, 3}}), InvalidArgument);
  EXPECT_THROW(encode_png({.height = 0, .width = 2, .channels = 1, .pixels = {}}), InvalidArgument);
  EXPECT_THROW(encode_png({.height = 1, .width = 1, .channels = 5, .pixels = {1, 2, 3, 4, 5}}), InvalidArgument);
}

TEST(Png, ImageFromTensorScalesMinToBlackAndMaxToWhite) {
  Image image = image_from_tensor(Tensor::from_vector<float>({2, 2}, {-1.f, 0.f, 1.f, NAN}));
  EXPECT_EQ(image.height, 2);
  EXPECT_EQ(image.width, 2);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{0, 128, 255, 0}));  // NaN black, outside the range
  EXPECT_EQ(image_from_tensor(Tensor::full({1, 2}, 3.0)).pixels, (std::vector<uint8_t>{128, 128}));
  EXPECT_THROW(image_from_tensor(Tensor::zeros({2, 2, 2})), ShapeError);
}

TEST(Summaries, HistogramBucketsAsTensorFlowCountsThem) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  // 0..9 and 20 in 4 buckets of width 5: [0,5) 5 values, [5,10) 5, [10,15) 0, [15,20] 1.
  std::vector<float> values;
  for (int i = 0; i < 10; ++i) values.push_back(static_cast<float>(i));
  values.push_back(20.f);
  writer.add_histogram("w/histogram", Tensor::from_vector<float>({11}, values), 7, 4);
  writer.add_histogram("same", Tensor::full({2, 3}, 0.5), 8, 3);
  writer.add_histogram("empty", Tensor::zeros({0}), 9, 2);
  writer.close();

  std::vector<proto::Event> events = events_of(writer.path());
  ASSERT_EQ(events.size(), 3u);
  const proto::Summary::Value& value = events[0].summary().value(0);
  EXPECT_EQ(events[0].step(), 7);
  EXPECT_EQ(value.tag(), "w/histogram");
  EXPECT_EQ(value.metadata().plugin_data().plugin_name(), "histograms");
  EXPECT_EQ(value.tensor().dtype(), proto::DT_DOUBLE);
  ASSERT_EQ(value.tensor().tensor_shape().dim_size(), 2);
  EXPECT_EQ(value.tensor().tensor_shape().dim(0).size(), 4);
  EXPECT_EQ(value.tensor().tensor_shape().dim(1).size(), 3);
  EXPECT_EQ(doubles(value.tensor().tensor_content()),
            (std::vector<double>{0, 5, 5, 5, 10, 5, 10, 15, 0, 15, 20, 1}));
  // One value repeated: every edge is that value, the last bucket counts them all.
  EXPECT_EQ(doubles(events[1].summary().value(0).tensor().tensor_content()),
            (std::vector<double>{0.5, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.5, 6}));
  EXPECT_EQ(doubles(events[2].summary().value(0).tensor().tensor_content()), (std::vector<double>(6, 0.0)));

  std::vector<SummaryEvent> read = read_summary_events(dir.path());
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].kind, SummaryEvent::Kind::kHistogram);
  ASSERT_EQ(read[0].buckets.size(), 4u);
  EXPECT_EQ(read[0].buckets[1].left, 5);
  EXPECT_EQ(read[0].buckets[1].right, 10);
  EXPECT_EQ(read[0].buckets[1].count, 5);
  EXPECT_EQ(read[0].buckets[3].count, 1);
  EXPECT_THROW(writer.add_histogram("x", Tensor::zeros({1}), 0), IOError);  // closed
  EventFileWriter open(dir / "other");
  EXPECT_THROW(open.add_histogram("x", Tensor::zeros({1}), 0, 0), InvalidArgument);
}

TEST(Summaries, ImagesAreWidthHeightAndPngsOfTheImagesPlugin) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  Image a{.height = 2, .width = 3, .channels = 1, .pixels = {0, 1, 2, 3, 4, 5}};
  Image b{.height = 2, .width = 3, .channels = 1, .pixels = {9, 8, 7, 6, 5, 4}};
  writer.add_images("filters", {a, b}, 2);
  EXPECT_THROW(writer.add_images("mixed", {a, Image{.height = 1, .width = 1, .channels = 1, .pixels = {0}}}, 2),
               InvalidArgument);
  writer.close();
  std::vector<proto::Event> events = events_of(writer.path());
  ASSERT_EQ(events.size(), 1u);
  const proto::Summary::Value& value = events[0].summary().value(0);
  EXPECT_EQ(value.metadata().plugin_data().plugin_name(), "images");
  EXPECT_EQ(value.metadata().data_class(), proto::DATA_CLASS_BLOB_SEQUENCE);
  EXPECT_EQ(value.tensor().dtype(), proto::DT_STRING);
  ASSERT_EQ(value.tensor().string_val_size(), 4);
  EXPECT_EQ(value.tensor().string_val(0), "3");  // width first, then height
  EXPECT_EQ(value.tensor().string_val(1), "2");
  EXPECT_EQ(decode_png(value.tensor().string_val(2)).pixels, a.pixels);
  EXPECT_EQ(decode_png(value.tensor().string_val(3)).pixels, b.pixels);

  std::vector<SummaryEvent> read = read_summary_events(dir.path());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].kind, SummaryEvent::Kind::kImages);
  EXPECT_EQ(read[0].width, 3);
  EXPECT_EQ(read[0].height, 2);
  EXPECT_EQ(read[0].images, 2);
}

TEST(Summaries, TextAndKerasModelAreStringTensorsOfTheirPlugins) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  writer.add_text("notes", "**bold** move", 3);
  writer.add_keras_model("keras", R"({"class_name": "Sequential"})", 0);
  writer.close();
  std::vector<proto::Event> events = events_of(writer.path());
  ASSERT_EQ(events.size(), 2u);
  const proto::Summary::Value& text = events[0].summary().value(0);
  EXPECT_EQ(text.metadata().plugin_data().plugin_name(), "text");
  EXPECT_EQ(text.tensor().dtype(), proto::DT_STRING);
  EXPECT_EQ(text.tensor().tensor_shape().dim_size(), 0);
  EXPECT_EQ(text.tensor().string_val(0), "**bold** move");
  const proto::Summary::Value& model = events[1].summary().value(0);
  EXPECT_EQ(model.tag(), "keras");
  EXPECT_EQ(model.metadata().plugin_data().plugin_name(), "graph_keras_model");
  EXPECT_EQ(model.metadata().plugin_data().content(), "1");
  EXPECT_EQ(model.tensor().string_val(0), R"({"class_name": "Sequential"})");

  std::vector<SummaryEvent> read = read_summary_events(dir.path());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].kind, SummaryEvent::Kind::kText);
  EXPECT_EQ(read[0].text, "**bold** move");
  EXPECT_EQ(read[1].kind, SummaryEvent::Kind::kKerasModel);
  EXPECT_EQ(read[1].text, R"({"class_name": "Sequential"})");
  EXPECT_TRUE(read_scalar_events(dir.path()).empty());
}

TEST(Summaries, HParamsExperimentSessionStartAndEnd) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  const HParams hparams = {{"lr", 0.5}, {"optimizer", std::string("adam")}, {"bias", true}};
  writer.add_hparams_experiment(hparams, {{"validation", "epoch_loss"}});
  writer.add_hparams_session_start(hparams, "trial-1");
  writer.add_hparams_session_end(SessionStatus::kSuccess);
  writer.close();
  std::vector<proto::Event> events = events_of(writer.path());
  ASSERT_EQ(events.size(), 3u);
  auto plugin_data = [&](int i, const std::string& tag) {
    const proto::Summary::Value& value = events[i].summary().value(0);
    EXPECT_EQ(value.tag(), tag);
    EXPECT_EQ(events[i].step(), 0);
    EXPECT_EQ(value.metadata().plugin_data().plugin_name(), "hparams");
    proto::tensorboard::HParamsPluginData data;
    EXPECT_TRUE(data.ParseFromString(value.metadata().plugin_data().content()));
    EXPECT_EQ(data.version(), 0);
    return data;
  };
  const auto experiment = plugin_data(0, "_hparams_/experiment").experiment();
  ASSERT_EQ(experiment.hparam_infos_size(), 3);
  EXPECT_EQ(experiment.hparam_infos(0).name(), "bias");  // by name
  EXPECT_EQ(experiment.hparam_infos(0).type(), proto::tensorboard::DATA_TYPE_BOOL);
  EXPECT_EQ(experiment.hparam_infos(1).name(), "lr");
  EXPECT_EQ(experiment.hparam_infos(1).type(), proto::tensorboard::DATA_TYPE_FLOAT64);
  EXPECT_EQ(experiment.hparam_infos(1).domain_discrete().values(0).number_value(), 0.5);
  EXPECT_EQ(experiment.hparam_infos(2).type(), proto::tensorboard::DATA_TYPE_STRING);
  ASSERT_EQ(experiment.metric_infos_size(), 1);
  EXPECT_EQ(experiment.metric_infos(0).name().group(), "validation");
  EXPECT_EQ(experiment.metric_infos(0).name().tag(), "epoch_loss");
  EXPECT_EQ(experiment.metric_infos(0).dataset_type(), proto::tensorboard::DATASET_VALIDATION);
  const auto start = plugin_data(1, "_hparams_/session_start_info").session_start_info();
  EXPECT_EQ(start.hparams().at("lr").number_value(), 0.5);
  EXPECT_EQ(start.hparams().at("optimizer").string_value(), "adam");
  EXPECT_TRUE(start.hparams().at("bias").bool_value());
  EXPECT_EQ(start.group_name(), "trial-1");
  EXPECT_GT(start.start_time_secs(), 1.7e9);
  const auto end = plugin_data(2, "_hparams_/session_end_info").session_end_info();
  EXPECT_EQ(end.status(), proto::tensorboard::STATUS_SUCCESS);

  std::vector<SummaryEvent> read = read_summary_events(dir.path());
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].text, "experiment: hparams bias lr optimizer; metrics validation/epoch_loss");
  EXPECT_EQ(read[1].text, "session_start_info: bias=true, lr=0.5, optimizer=adam; group trial-1");
  EXPECT_EQ(read[2].text, "session_end_info: STATUS_SUCCESS");
}

TEST(Summaries, AMalformedHistogramIsAFormatErrorNamingItsTag) {
  TempDir dir;
  proto::Event e;
  proto::Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag("dense/kernel/histogram");
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("histograms");
  v->mutable_tensor()->set_dtype(proto::DT_DOUBLE);
  v->mutable_tensor()->mutable_tensor_shape()->add_dim()->set_size(2);
  v->mutable_tensor()->add_double_val(1);
  v->mutable_tensor()->add_double_val(2);
  const std::string path = dir / "events.out.tfevents.1.host";
  std::unique_ptr<WritableFile> file = Env::Default().new_writable_file(path);
  file->append(tfrecord::frame(e.SerializeAsString()));
  file->close();
  try {
    read_summary_events(path);
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("the histogram 'dense/kernel/histogram' is malformed"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(read_scalar_events(path).empty());  // the scalar reader does not judge histograms
}

TEST(Summaries, TensorFlowOneHistogramsAndImagesAreRead) {
  TempDir dir;
  proto::Event e;
  e.set_step(4);
  proto::Summary::Value* h = e.mutable_summary()->add_value();
  h->set_tag("tf1/histo");
  h->mutable_histo()->set_min(-1);
  h->mutable_histo()->add_bucket_limit(0);
  h->mutable_histo()->add_bucket_limit(1);
  h->mutable_histo()->add_bucket(3);
  h->mutable_histo()->add_bucket(4);
  proto::Summary::Value* i = e.mutable_summary()->add_value();
  i->set_tag("tf1/image");
  i->mutable_image()->set_width(5);
  i->mutable_image()->set_height(6);
  const std::string path = dir / "events.out.tfevents.1.host";
  std::unique_ptr<WritableFile> file = Env::Default().new_writable_file(path);
  file->append(tfrecord::frame(e.SerializeAsString()));
  file->close();
  std::vector<SummaryEvent> read = read_summary_events(path);
  ASSERT_EQ(read.size(), 2u);
  ASSERT_EQ(read[0].buckets.size(), 2u);
  EXPECT_EQ(read[0].buckets[0].left, -1);
  EXPECT_EQ(read[0].buckets[0].right, 0);
  EXPECT_EQ(read[0].buckets[0].count, 3);
  EXPECT_EQ(read[0].buckets[1].left, 0);
  EXPECT_EQ(read[0].buckets[1].count, 4);
  EXPECT_EQ(read[1].kind, SummaryEvent::Kind::kImages);
  EXPECT_EQ(read[1].width, 5);
  EXPECT_EQ(read[1].height, 6);
}

}  // namespace
}  // namespace cairn
