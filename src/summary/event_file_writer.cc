// EventFileWriter: summaries into a TensorBoard event file, in TensorFlow 2's encodings.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "cairn/error.h"
#include "cairn/summary.h"
#include "summary/proto/event.pb.h"
#include "summary/proto/plugin_data.pb.h"
#include "record.h"

namespace cairn {
namespace {

constexpr char kFileVersion[] = "brain.Event:2";

double now_seconds() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) /
         1e6;
}

std::string hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string serialize(const google::protobuf::MessageLite& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

// An event at `step` holding one summary value of `tag`, with its plugin's metadata.
proto::Event summary_event(const std::string& tag, int64_t step, std::optional<double> wall_time,
                           const std::string& plugin, const std::string& plugin_content,
                           proto::DataClass data_class, proto::Summary::Value** value) {
  proto::Event event;
  event.set_wall_time(wall_time ? *wall_time : now_seconds());
  event.set_step(step);
  proto::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  proto::SummaryMetadata* metadata = entry->mutable_metadata();
  metadata->mutable_plugin_data()->set_plugin_name(plugin);
  if (!plugin_content.empty()) metadata->mutable_plugin_data()->set_content(plugin_content);
  metadata->set_data_class(data_class);
  *value = entry;
  return event;
}

void set_shape(proto::TensorProto& tensor, std::initializer_list<int64_t> dims) {
  proto::TensorShapeProto* shape = tensor.mutable_tensor_shape();  // present even when empty: rank 0
  for (int64_t size : dims) shape->add_dim()->set_size(size);
}

template <class T>
void append_little_endian(std::string& out, T value) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  Bits bits;
  std::memcpy(&bits, &value, sizeof bits);
  for (size_t i = 0; i < sizeof bits; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
}

// The rows (left, right, count) of tf.summary.histogram's buckets (tensorboard's summary_v2._buckets).
std::vector<double> histogram_rows(const Tensor& values, int buckets) {
  const Tensor doubles = values.to(DType::Float64);
  std::vector<double> data;
  data.reserve(static_cast<size_t>(doubles.numel()));
  for (double v : doubles.span<double>())
    if (!std::isnan(v)) data.push_back(v);
  std::vector<double> rows(static_cast<size_t>(buckets) * 3, 0.0);
  if (data.empty()) return rows;
  const auto [lowest, highest] = std::minmax_element(data.begin(), data.end());
  const double low = *lowest, high = *highest, range = high - low;
  auto row = [&](int i) { return rows.data() + 3 * static_cast<size_t>(i); };
  if (range == 0) {
    for (int i = 0; i < buckets; ++i) row(i)[0] = row(i)[1] = high;
    row(buckets - 1)[2] = static_cast<double>(data.size());
    return rows;
  }
  const double width = range / buckets;
  for (double v : data) {
    const double index = std::floor((v - low) / width);
    row(static_cast<int>(std::min(index, static_cast<double>(buckets - 1))))[2] += 1;
  }
  // Edges as linspace(low, high, buckets + 1) with the last exactly high.
  for (int i = 0; i < buckets; ++i) {
    row(i)[0] = low + i * width;
    row(i)[1] = i + 1 == buckets ? high : low + (i + 1) * width;
  }
  return rows;
}

void set_value(google::protobuf::Value& out, const HParamValue& value) {
  if (const double* number = std::get_if<double>(&value))
    out.set_number_value(*number);
  else if (const bool* flag = std::get_if<bool>(&value))
    out.set_bool_value(*flag);
  else
    out.set_string_value(std::get<std::string>(value));
}

proto::tensorboard::HParamDataType hparam_type(const HParamValue& value) {
  if (std::holds_alternative<double>(value)) return proto::tensorboard::DATA_TYPE_FLOAT64;
  if (std::holds_alternative<bool>(value)) return proto::tensorboard::DATA_TYPE_BOOL;
  return proto::tensorboard::DATA_TYPE_STRING;
}

constexpr char kHParamsPlugin[] = "hparams";

}  // namespace

EventFileWriter::EventFileWriter(std::string log_dir, Env& env, std::string filename_suffix)
    : env_(env), log_dir_(std::move(log_dir)) {
  const std::time_t seconds = std::time(nullptr);
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%010lld", static_cast<long long>(seconds));
  path_ = log_dir_ + "/events.out.tfevents." + stamp + "." + hostname() + filename_suffix;
  env_.create_dirs(log_dir_);
  if (env_.file_exists(path_))
    throw IOError("cannot create event file " + path_ +
                  ": it exists (give each writer its own filename_suffix)");
  file_ = env_.new_writable_file(path_);
  proto::Event version;
  version.set_wall_time(static_cast<double>(seconds));  // TensorFlow writes whole seconds here
  version.set_file_version(kFileVersion);
  version.mutable_source_metadata()->set_writer("cairn");
  write_record(serialize(version));
  flush();
}

void EventFileWriter::check_tag(const std::string& tag, const char* method) const {
  if (tag.empty()) throw InvalidArgument(std::string(method) + ": the tag is empty (event file " + path_ + ")");
}

void EventFileWriter::add_scalar(const std::string& tag, double value, int64_t step,
                                 std::optional<double> wall_time) {
  check_tag(tag, "add_scalar");
  proto::Summary::Value* entry;
  proto::Event event = summary_event(tag, step, wall_time, "scalars", "", proto::DATA_CLASS_SCALAR, &entry);
  proto::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(proto::DT_FLOAT);
  set_shape(*tensor, {});
  std::string content;
  append_little_endian(content, static_cast<float>(value));
  tensor->set_tensor_content(content);
  write_record(serialize(event));
}

void EventFileWriter::add_histogram(const std::string& tag, const Tensor& values, int64_t step, int buckets,
                                    std::optional<double> wall_time) {
  check_tag(tag, "add_histogram");
  if (buckets < 1)
    throw InvalidArgument("add_histogram: '" + tag + "' needs at least 1 bucket, got " + std::to_string(buckets) +
                          " (event file " + path_ + ")");
  proto::tensorboard::HistogramPluginData plugin_data;
  proto::Summary::Value* entry;
  proto::Event event = summary_event(tag, step, wall_time, "histograms", serialize(plugin_data),
                                     proto::DATA_CLASS_TENSOR, &entry);
  proto::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(proto::DT_DOUBLE);
  set_shape(*tensor, {buckets, 3});
  std::string content;
  for (double v : histogram_rows(values, buckets)) append_little_endian(content, v);
  tensor->set_tensor_content(content);
  write_record(serialize(event));
}

void EventFileWriter::add_images(const std::string& tag, const std::vector<Image>& images, int64_t step,
                                 std::optional<double> wall_time) {
  check_tag(tag, "add_images");
  if (images.empty()) throw InvalidArgument("add_images: no images for '" + tag + "' (event file " + path_ + ")");
  const Image& first = images.front();
  for (const Image& image : images)
    if (image.height != first.height || image.width != first.width)
      throw InvalidArgument("add_images: the images of '" + tag + "' differ in size: " +
                            std::to_string(first.height) + "x" + std::to_string(first.width) + " and " +
                            std::to_string(image.height) + "x" + std::to_string(image.width));
  proto::tensorboard::ImagePluginData plugin_data;
  proto::Summary::Value* entry;
  proto::Event event = summary_event(tag, step, wall_time, "images", serialize(plugin_data),
                                     proto::DATA_CLASS_BLOB_SEQUENCE, &entry);
  proto::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(proto::DT_STRING);
  set_shape(*tensor, {static_cast<int64_t>(images.size()) + 2});
  tensor->add_string_val(std::to_string(first.width));
  tensor->add_string_val(std::to_string(first.height));
  for (const Image& image : images) tensor->add_string_val(encode_png(image));
  write_record(serialize(event));
}

void EventFileWriter::add_text(const std::string& tag, const std::string& text, int64_t step,
                               std::optional<double> wall_time) {
  check_tag(tag, "add_text");
  proto::tensorboard::TextPluginData plugin_data;
  proto::Summary::Value* entry;
  proto::Event event =
      summary_event(tag, step, wall_time, "text", serialize(plugin_data), proto::DATA_CLASS_TENSOR, &entry);
  proto::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(proto::DT_STRING);
  set_shape(*tensor, {});
  tensor->add_string_val(text);
  write_record(serialize(event));
}

void EventFileWriter::add_keras_model(const std::string& tag, const std::string& model_json, int64_t step) {
  check_tag(tag, "add_keras_model");
  proto::Summary::Value* entry;
  // Keras writes the plugin content "1" and leaves the data class unset.
  proto::Event event =
      summary_event(tag, step, std::nullopt, "graph_keras_model", "1", proto::DATA_CLASS_UNKNOWN, &entry);
  proto::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(proto::DT_STRING);
  set_shape(*tensor, {});
  tensor->add_string_val(model_json);
  write_record(serialize(event));
}

void EventFileWriter::write_hparams(const std::string& tag, const std::string& plugin_content) {
  proto::Summary::Value* entry;
  proto::Event event =
      summary_event(tag, 0, std::nullopt, kHParamsPlugin, plugin_content, proto::DATA_CLASS_UNKNOWN, &entry);
  // The plugin's null tensor: an empty float vector.
  proto::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(proto::DT_FLOAT);
  set_shape(*tensor, {0});
  write_record(serialize(event));
}

void EventFileWriter::add_hparams_experiment(const HParams& hparams, const std::vector<HParamsMetric>& metrics) {
  proto::tensorboard::HParamsPluginData data;
  proto::tensorboard::Experiment* experiment = data.mutable_experiment();
  experiment->set_time_created_secs(now_seconds());
  for (const auto& [name, value] : hparams) {
    proto::tensorboard::HParamInfo* info = experiment->add_hparam_infos();
    info->set_name(name);
    info->set_type(hparam_type(value));
    set_value(*info->mutable_domain_discrete()->add_values(), value);
  }
  for (const HParamsMetric& metric : metrics) {
    proto::tensorboard::MetricInfo* info = experiment->add_metric_infos();
    info->mutable_name()->set_group(metric.group);
    info->mutable_name()->set_tag(metric.tag);
    if (metric.group == "train") info->set_dataset_type(proto::tensorboard::DATASET_TRAINING);
    if (metric.group == "validation") info->set_dataset_type(proto::tensorboard::DATASET_VALIDATION);
  }
  write_hparams("_hparams_/experiment", serialize(data));
}

void EventFileWriter::add_hparams_session_start(const HParams& hparams, const std::string& group_name) {
  proto::tensorboard::HParamsPluginData data;
  proto::tensorboard::SessionStartInfo* start = data.mutable_session_start_info();
  for (const auto& [name, value] : hparams) set_value((*start->mutable_hparams())[name], value);
  start->set_group_name(group_name);
  start->set_start_time_secs(now_seconds());
  write_hparams("_hparams_/session_start_info", serialize(data));
}

void EventFileWriter::add_hparams_session_end(SessionStatus status) {
  proto::tensorboard::HParamsPluginData data;
  proto::tensorboard::SessionEndInfo* end = data.mutable_session_end_info();
  end->set_status(static_cast<proto::tensorboard::Status>(status));
  end->set_end_time_secs(now_seconds());
  write_hparams("_hparams_/session_end_info", serialize(data));
}

void EventFileWriter::write_record(const std::string& serialized_event) {
  if (closed_) throw IOError("cannot write to event file " + path_ + ": it is closed");
  file_->append(tfrecord::frame(serialized_event));
}

void EventFileWriter::flush() {
  if (closed_) throw IOError("cannot flush event file " + path_ + ": it is closed");
  file_->flush();
}

void EventFileWriter::close() {
  if (closed_) return;
  closed_ = true;
  file_->sync();
  file_->close();
  env_.sync_dir(log_dir_);
}

}  // namespace cairn
