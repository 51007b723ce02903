// TensorBoard event files: the TFRecord framing byte by byte, the encoding of the events, the writer and
// reader round trip, and the reader's response to every damaged byte and every truncation.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>
#include <regex>

#include "cairn/error.h"
#include "cairn/summary.h"
#include "cairn/internal/io/crc32c.h"
#include "io/fault_injection_env.h"
#include "io/memory_file.h"
#include "summary/proto/event.pb.h"
#include "summary/record.h"
#include "io/test_util.h"
#include "fifo_unblocker.h"

namespace cairn {
namespace {

using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

std::string le32(uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

std::string le64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

std::string double_bytes(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return le64(bits);
}

std::string float_bytes(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return le32(bits);
}

// A length-delimited protobuf field of fewer than 128 bytes: key byte, length byte, payload.
std::string field(uint8_t key, const std::string& payload) {
  return std::string{static_cast<char>(key), static_cast<char>(payload.size())} + payload;
}

// A TFRecord built here from its definition, independently of tfrecord::frame.
std::string expected_record(const std::string& data) {
  const std::string length = le64(data.size());
  return length + le32(crc32c::mask(crc32c::value(length))) + data + le32(crc32c::mask(crc32c::value(data)));
}

std::string host() {
  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

std::string only_file_in(const std::string& dir) {
  std::vector<std::string> names = Env::Default().list_dir(dir);
  if (names.size() != 1) throw Error(dir + " holds " + std::to_string(names.size()) + " files, not 1");
  return dir + "/" + names[0];
}

// The serialized Events of a file, in order.
std::vector<proto::Event> events_of(const std::string& bytes) {
  std::vector<proto::Event> events;
  const MemoryFile file(bytes, "file");
  tfrecord::RecordReader reader(file);
  while (auto record = reader.next()) {
    events.emplace_back();
    EXPECT_TRUE(events.back().ParseFromArray(record->data.data(), static_cast<int>(record->data.size())));
  }
  return events;
}

// ------------------------------------------------------------------------------------------------
// Framing

TEST(TfRecord, LengthCrcOfFormatsDocument) {
  const std::string record = tfrecord::frame(std::string(62, 'x'));
  ASSERT_EQ(record.size(), 12u + 62 + 4);
  EXPECT_EQ(record.substr(0, 12), std::string("\x3e\0\0\0\0\0\0\0\xd9\xd2\x40\xe7", 12));
  EXPECT_EQ(record.substr(12, 62), std::string(62, 'x'));
  EXPECT_EQ(record.substr(74), le32(crc32c::mask(crc32c::value(std::string(62, 'x')))));
}

TEST(TfRecord, EmptyRecord) {
  // The masked CRC of no bytes is the mask delta itself.
  EXPECT_EQ(tfrecord::frame(""), std::string(8, '\0') +
                                     le32(crc32c::mask(crc32c::value(std::string(8, '\0')))) +
                                     std::string("\xd8\xea\x82\xa2", 4));
}

TEST(TfRecord, ReaderReturnsRecordsWithOffsets) {
  const MemoryFile file(tfrecord::frame("first") + tfrecord::frame("") + tfrecord::frame("third one"), "f");
  tfrecord::RecordReader reader(file);
  // A record's data is valid until the next call.
  auto record = reader.next();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->offset, 0u);
  EXPECT_EQ(record->data, "first");
  record = reader.next();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->offset, 21u);
  EXPECT_EQ(record->data, "");
  record = reader.next();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->offset, 37u);
  EXPECT_EQ(record->data, "third one");
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.truncation());
}

// ------------------------------------------------------------------------------------------------
// The writer's bytes

TEST(EventFileWriter, ExactBytesOfATinyFile) {
  TempDir dir;
  const std::time_t before = std::time(nullptr);
  EventFileWriter writer(dir / "logs", Env::Default(), ".test");
  writer.add_scalar("loss", 0.5, 3, 1.5);
  writer.close();
  const std::time_t after = std::time(nullptr);

  // events.out.tfevents.<10-digit seconds>.<hostname><suffix>
  std::smatch match;
  const std::string name = writer.path().substr(writer.path().rfind('/') + 1);
  ASSERT_TRUE(std::regex_match(name, match, std::regex(R"(events\.out\.tfevents\.(\d{10})\.(.*)\.test)")))
      << name;
  EXPECT_EQ(match[2], host());
  const long long seconds = std::stoll(match[1]);
  EXPECT_GE(seconds, before);
  EXPECT_LE(seconds, after);
  EXPECT_EQ(writer.path(), dir / "logs/" + name);

  // Event{wall_time (1) = whole seconds, file_version (3) = "brain.Event:2", source_metadata (10) {writer}}
  const std::string version_event = "\x09" + double_bytes(static_cast<double>(seconds)) +
                                    field(0x1a, "brain.Event:2") + field(0x52, field(0x0a, "cairn"));
  // Event{wall_time 1.5, step (2) 3, summary (5) {value (1) {tag (1) "loss",
  //   tensor (8) {dtype (1) DT_FLOAT, tensor_shape (2) {}, tensor_content (4) 0.5f},
  //   metadata (9) {plugin_data (1) {plugin_name (1) "scalars"}, data_class (4) SCALAR}}}}
  const std::string tensor = std::string("\x08\x01") + field(0x12, "") + field(0x22, float_bytes(0.5f));
  const std::string metadata = field(0x0a, field(0x0a, "scalars")) + "\x20\x01";
  const std::string value = field(0x0a, "loss") + field(0x42, tensor) + field(0x4a, metadata);
  const std::string scalar_event = "\x09" + double_bytes(1.5) + "\x10\x03" + field(0x2a, field(0x0a, value));
  ASSERT_EQ(scalar_event.size(), 48u);
  EXPECT_EQ(read_bytes(writer.path()), expected_record(version_event) + expected_record(scalar_event));
}

TEST(EventFileWriter, FileVersionRecordComesFirstAndOnlyOnce) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  for (int step = 0; step < 5; ++step) writer.add_scalar("a", step, step);
  writer.close();
  std::vector<proto::Event> events = events_of(read_bytes(writer.path()));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_FALSE(events[0].has_summary());
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].what_case(), proto::Event::kSummary);
    EXPECT_EQ(events[i].step(), static_cast<int64_t>(i - 1));
    // TensorFlow 2 puts the plugin's metadata on every value.
    EXPECT_EQ(events[i].summary().value(0).metadata().plugin_data().plugin_name(), "scalars");
  }
}

TEST(EventFileWriter, WallTimeDefaultsToNowWithSubsecondPrecision) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  const double before = static_cast<double>(std::time(nullptr));
  writer.add_scalar("t", 1, 0);
  writer.close();
  std::vector<ScalarEvent> events = read_scalar_events(writer.path());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_GE(events[0].wall_time, before);
  EXPECT_LT(events[0].wall_time, before + 60);
}

TEST(EventFileWriter, NeverOverwritesAnExistingFile) {
  TempDir dir;
  // Whatever second the writer starts in, its name is taken.
  const std::time_t now = std::time(nullptr);
  std::vector<std::string> taken;
  for (std::time_t t = now; t < now + 5; ++t) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%010lld", static_cast<long long>(t));
    taken.push_back(dir / ("events.out.tfevents." + std::string(stamp) + "." + host()));
    write_bytes(taken.back(), "precious");
  }
  EXPECT_THROW(EventFileWriter writer(dir.path()), IOError);
  for (const std::string& path : taken) EXPECT_EQ(read_bytes(path), "precious");
  // With its own suffix a second writer is fine.
  EventFileWriter other(dir.path(), Env::Default(), ".other");
  EXPECT_TRUE(other.path().ends_with(".other"));
}

TEST(EventFileWriter, FlushMakesEventsReadableAndCloseEndsWriting) {
  TempDir dir;
  EventFileWriter writer(dir.path());
  // The file_version record is flushed at once: TensorBoard sees the run.
  EXPECT_GT(Env::Default().file_size(writer.path()), 0u);
  writer.add_scalar("x", 2.0, 1);
  EXPECT_TRUE(read_scalar_events(dir.path()).empty());  // still in the writer's buffer
  writer.flush();
  std::vector<ScalarEvent> events = read_scalar_events(dir.path());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].value, 2.0);
  writer.close();
  writer.close();  // a second close does nothing
  EXPECT_THROW(writer.add_scalar("x", 3.0, 2), IOError);
  EXPECT_THROW(writer.flush(), IOError);
  EXPECT_THROW(writer.add_scalar("", 1.0, 0), InvalidArgument);
}

TEST(EventFileWriter, CloseMakesTheFileDurable) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  std::string path;
  {
    EventFileWriter writer(dir.path(), env);
    writer.add_scalar("kept", 1.25, 7);
    writer.close();
    path = writer.path();
  }
  EventFileWriter unclosed(dir.path(), env, ".unclosed");
  unclosed.add_scalar("lost", 1.0, 1);
  unclosed.flush();  // readable, not durable
  env.drop_unsynced_data();
  std::vector<ScalarEvent> events = read_scalar_events(dir.path());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].tag, "kept");
  EXPECT_EQ(events[0].value, 1.25);
  EXPECT_EQ(events[0].step, 7);
  EXPECT_FALSE(Env::Default().file_exists(unclosed.path()));
}

// ------------------------------------------------------------------------------------------------
// Round trip and the reader

TEST(EventFiles, RoundTripOfManyScalars) {
  TempDir dir;
  std::mt19937_64 random(42);
  std::normal_distribution<double> normal(0.0, 100.0);
  struct Written {
    std::string tag;
    int64_t step;
    double value, wall_time;
  };
  std::vector<Written> written;
  EventFileWriter writer(dir.path());
  for (int64_t step = 0; step < 400; ++step) {
    for (const char* tag : {"loss", "accuracy", "a/b c", "lr"}) {
      const double value = normal(random);
      const double wall_time = 1.7e9 + static_cast<double>(step) * 0.125 + 1e-6;
      written.push_back({tag, step * 10 - 5, value, wall_time});
      writer.add_scalar(tag, value, step * 10 - 5, wall_time);
    }
  }
  writer.add_scalar("special", std::nan(""), 1 << 30);
  writer.add_scalar("special", -INFINITY, int64_t{1} << 40);
  writer.add_scalar("special", 1e300, -7);  // beyond float32: infinity, as in TensorFlow
  writer.close();

  std::vector<ScalarEvent> events = read_scalar_events(dir.path());
  ASSERT_EQ(events.size(), written.size() + 3);
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(events[i].run, "");
    EXPECT_EQ(events[i].tag, written[i].tag);
    EXPECT_EQ(events[i].step, written[i].step);
    EXPECT_EQ(events[i].value, static_cast<double>(static_cast<float>(written[i].value))) << i;
    EXPECT_EQ(events[i].wall_time, written[i].wall_time);
  }
  const size_t n = written.size();
  EXPECT_TRUE(std::isnan(events[n].value));
  EXPECT_EQ(events[n].step, 1 << 30);
  EXPECT_EQ(events[n + 1].value, -INFINITY);
  EXPECT_EQ(events[n + 1].step, int64_t{1} << 40);
  EXPECT_EQ(events[n + 2].value, INFINITY);
  EXPECT_EQ(events[n + 2].step, -7);
}

// An event file as other writers make them: TF1's simple_value, float_val and double tensors, metadata
// only on a tag's first value, and summaries of other plugins.
std::string foreign_event_file() {
  auto event = [](int64_t step, auto fill) {
    proto::Event e;
    e.set_step(step);
    e.set_wall_time(100.0 + static_cast<double>(step));
    fill(*e.mutable_summary()->add_value());
    std::string bytes;
    e.SerializeToString(&bytes);
    return tfrecord::frame(bytes);
  };
  proto::Event version;
  version.set_file_version("brain.Event:2");
  std::string bytes = tfrecord::frame(version.SerializeAsString());
  bytes += event(1, [](proto::Summary::Value& v) {
    v.set_tag("tf1");
    v.set_simple_value(0.25f);
  });
  bytes += event(2, [](proto::Summary::Value& v) {
    v.set_tag("float_val");
    v.mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
    v.mutable_tensor()->set_dtype(proto::DT_FLOAT);
    v.mutable_tensor()->add_float_val(-3.5f);
  });
  bytes += event(3, [](proto::Summary::Value& v) {  // same tag, no metadata: still a scalar
    v.set_tag("float_val");
    v.mutable_tensor()->set_dtype(proto::DT_FLOAT);
    v.mutable_tensor()->add_float_val(4.5f);
  });
  bytes += event(4, [](proto::Summary::Value& v) {
    v.set_tag("double");
    v.mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
    v.mutable_tensor()->set_dtype(proto::DT_DOUBLE);
    v.mutable_tensor()->add_double_val(0.1);
  });
  bytes += event(5, [](proto::Summary::Value& v) {
    v.set_tag("dense/kernel/histogram");
    v.mutable_metadata()->mutable_plugin_data()->set_plugin_name("histograms");
    v.mutable_tensor()->set_dtype(proto::DT_DOUBLE);
    v.mutable_tensor()->mutable_tensor_shape()->add_dim()->set_size(2);
    v.mutable_tensor()->add_double_val(1);
    v.mutable_tensor()->add_double_val(2);
  });
  return bytes;
}

TEST(EventFiles, ReaderDecodesBothScalarEncodingsAndSkipsOtherPlugins) {
  TempDir dir;
  write_bytes(dir / "events.out.tfevents.1.host", foreign_event_file());
  std::vector<ScalarEvent> events = read_scalar_events(dir.path());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].tag, "tf1");
  EXPECT_EQ(events[0].value, 0.25);
  EXPECT_EQ(events[0].step, 1);
  EXPECT_EQ(events[0].wall_time, 101.0);
  EXPECT_EQ(events[1].tag, "float_val");
  EXPECT_EQ(events[1].value, -3.5);
  EXPECT_EQ(events[2].tag, "float_val");
  EXPECT_EQ(events[2].value, 4.5);
  EXPECT_EQ(events[2].step, 3);
  EXPECT_EQ(events[3].tag, "double");
  EXPECT_EQ(events[3].value, 0.1);
}

TEST(EventFiles, AScalarThatIsNotAFloatScalarIsAFormatError) {
  TempDir dir;
  proto::Event e;
  proto::Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag("bad");
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
  v->mutable_tensor()->set_dtype(proto::DT_STRING);
  const std::string path = dir / "events.out.tfevents.1.host";
  write_bytes(path, tfrecord::frame(e.SerializeAsString()));
  try {
    read_scalar_events(path);
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find(path + ": the record at offset 0"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("'bad'"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("DT_STRING"), std::string::npos) << error.what();
  }
}

TEST(EventFiles, RecordThatIsNotAnEventIsAFormatError) {
  TempDir dir;
  const std::string path = dir / "events.out.tfevents.1.host";
  write_bytes(path, tfrecord::frame(proto::Event().SerializeAsString()) + tfrecord::frame("\xff\xff\xff"));
  try {
    read_scalar_events(path);
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()), path + ": the record at offset 16 is not an Event proto");
  }
}

TEST(EventFiles, WalksRunsInSubdirectories) {
  TempDir dir;
  auto write_run = [&](const std::string& subdirectory, const std::string& suffix, double value) {
    EventFileWriter writer(subdirectory.empty() ? dir.path() : dir / subdirectory, Env::Default(), suffix);
    writer.add_scalar("epoch_loss", value, 0);
    writer.close();
  };
  write_run("", "", 1);
  write_run("train", ".1", 2);
  write_run("train", ".2", 3);  // a second fit: a second file in the run
  write_run("validation", "", 4);
  write_run("sweep/lr=0.1/train", "", 5);
  write_bytes(dir / "train/notes.txt", "not an event file");
  Env::Default().create_dirs(dir / "empty");

  std::vector<ScalarEvent> events = read_scalar_events(dir.path());
  std::vector<std::pair<std::string, double>> runs;
  for (const ScalarEvent& e : events) runs.emplace_back(e.run, e.value);
  EXPECT_EQ(runs, (std::vector<std::pair<std::string, double>>{
                      {"", 1}, {"sweep/lr=0.1/train", 5}, {"train", 2}, {"train", 3}, {"validation", 4}}));

  // One file on its own is a run without a name.
  std::vector<ScalarEvent> one = read_scalar_events(only_file_in(dir / "validation"));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].run, "");
  EXPECT_EQ(one[0].value, 4);

  EXPECT_THROW(read_scalar_events(dir / "missing"), IOError);
}

// ------------------------------------------------------------------------------------------------
// Damage

// A small file of three records, and where each starts.
struct SmallFile {
  std::string bytes;
  std::vector<size_t> record_starts;
};

SmallFile small_file(const TempDir& dir) {
  EventFileWriter writer(dir / "source");
  writer.add_scalar("loss", 0.75, 1, 10.0);
  writer.add_scalar("accuracy", 0.5, 1, 10.0);
  writer.close();
  SmallFile file{read_bytes(writer.path()), {}};
  const MemoryFile source(file.bytes, writer.path());
  tfrecord::RecordReader reader(source);
  while (auto record = reader.next()) file.record_starts.push_back(record->offset);
  EXPECT_EQ(file.record_starts.size(), 3u);
  return file;
}

// The offset of the record holding byte `at`.
size_t record_holding(const SmallFile& file, size_t at) {
  size_t start = 0;
  for (size_t s : file.record_starts)
    if (s <= at) start = s;
  return start;
}

TEST(EventFiles, EveryDamagedByteIsReportedWithItsRecord) {
  TempDir dir;
  const SmallFile file = small_file(dir);
  const std::string path = dir / "events.out.tfevents.damaged";
  for (size_t at = 0; at < file.bytes.size(); ++at) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0xff}}) {
      std::string damaged = file.bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ flip);
      write_bytes(path, damaged);
      try {
        std::vector<ScalarEvent> events = read_scalar_events(path);
        ADD_FAILURE() << "byte " << at << " ^ " << int{flip} << " went unnoticed: " << events.size()
                      << " events";
      } catch (const FormatError& error) {
        const std::string expected = path + ": the record at offset " +
                                     std::to_string(record_holding(file, at)) +
                                     " is damaged: the CRC of its ";
        EXPECT_TRUE(std::string(error.what()).starts_with(expected)) << "byte " << at << ": " << error.what();
      }
    }
  }
}

TEST(EventFiles, ATornLastRecordGivesTheEventsBeforeItWithAWarning) {
  TempDir dir;
  const SmallFile file = small_file(dir);
  const std::string path = dir / "events.out.tfevents.truncated";
  for (size_t size = 1; size < file.bytes.size(); ++size) {
    write_bytes(path, file.bytes.substr(0, size));
    // The events of the whole records before the cut (the first record is the file_version).
    const size_t whole_records = static_cast<size_t>(
        std::upper_bound(file.record_starts.begin(), file.record_starts.end(), size) - file.record_starts.begin() - 1);
    const bool ends_on_a_record = file.record_starts[whole_records] == size;
    std::vector<std::string> warnings;
    const std::vector<ScalarEvent> events = read_scalar_events(path, Env::Default(), &warnings);
    EXPECT_EQ(events.size(), whole_records > 0 ? whole_records - 1 : 0) << size;
    if (ends_on_a_record) {
      EXPECT_TRUE(warnings.empty()) << size;
      continue;
    }
    ASSERT_EQ(warnings.size(), 1u) << size;
    const size_t start = record_holding(file, size);
    EXPECT_TRUE(warnings[0].starts_with(path + ": the record at offset " + std::to_string(start) +
                                        " is truncated: the file ends " + std::to_string(size - start) +
                                        " bytes into it"))
        << warnings[0];
    EXPECT_TRUE(warnings[0].ends_with("(it may still be being written); read the events before it")) << warnings[0];
  }
}

// An Env that forwards to the default one and notes the reads of the files it opens.
class ReadCountingEnv : public EnvWrapper {
 public:
  ReadCountingEnv() : EnvWrapper(Env::Default()) {}
  std::unique_ptr<RandomAccessFile> new_random_access_file(const std::string& path) override {
    return std::make_unique<CountedFile>(target().new_random_access_file(path), *this);
  }

  uint64_t bytes_read = 0;
  size_t largest_read = 0;

 private:
  class CountedFile : public RandomAccessFile {
   public:
    CountedFile(std::unique_ptr<RandomAccessFile> file, ReadCountingEnv& env) : file_(std::move(file)), env_(env) {}
    size_t read(uint64_t offset, size_t n, char* dst) const override {
      env_.largest_read = std::max(env_.largest_read, n);
      const size_t got = file_->read(offset, n, dst);
      env_.bytes_read += got;
      return got;
    }
    uint64_t size() const override { return file_->size(); }
    const std::string& path() const override { return file_->path(); }

   private:
    std::unique_ptr<RandomAccessFile> file_;
    ReadCountingEnv& env_;
  };
};

TEST(EventFiles, AHugeSparseFileIsReadOneRecordAtATime) {
  TempDir dir;
  const SmallFile file = small_file(dir);
  const std::string path = dir / "events.out.tfevents.sparse";
  write_bytes(path, file.bytes);
  // A hole of zeros after the records, taking no disk space (the defect was met with 3 GB).
  constexpr off_t kSparseSize = off_t{300} << 20;
  ASSERT_EQ(::truncate(path.c_str(), kSparseSize), 0);
  ReadCountingEnv env;
  try {
    read_scalar_events(path, env);
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()), path + ": the record at offset " + std::to_string(file.bytes.size()) +
                                             " is damaged: the CRC of its length does not match");
  }
  EXPECT_LT(env.largest_read, size_t{1} << 10);
  EXPECT_LT(env.bytes_read, uint64_t{1} << 10);
}

TEST(EventFiles, ARecordLongerThanTheBoundIsAnErrorBeforeAnyAllocation) {
  TempDir dir;
  const std::string path = dir / "events.out.tfevents.huge_record";
  const std::string length = le64(tfrecord::kMaxRecordLength + 1);
  const std::string first = tfrecord::frame(proto::Event().SerializeAsString());
  write_bytes(path, first + length + le32(crc32c::mask(crc32c::value(length))) + "tail");
  try {
    read_scalar_events(path);
    FAIL() << "no error";
  } catch (const ResourceLimitError& error) {
    EXPECT_EQ(std::string(error.what()), path + ": the record at offset " + std::to_string(first.size()) +
                                             " claims 268435457 bytes of data, more than the 268435456 cairn "
                                             "reads in one record");
  }
}

// ------------------------------------------------------------------------------------------------
// Hostile directories

// The run of each event, in order.
std::vector<std::string> runs_of(const std::vector<ScalarEvent>& events) {
  std::vector<std::string> runs;
  for (const ScalarEvent& e : events) runs.push_back(e.run);
  return runs;
}

void write_run(const std::string& dir, double value) {
  EventFileWriter writer(dir);
  writer.add_scalar("loss", value, 0);
  writer.close();
}

void symlink_or_fail(const std::string& target, const std::string& link) {
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0) << link;
}

TEST(EventFiles, SymlinkLoopsAreNotFollowed) {
  TempDir dir;
  write_run(dir / "logs/train", 1);
  symlink_or_fail(".", dir / "logs/self");
  symlink_or_fail("..", dir / "logs/train/up");
  symlink_or_fail("loop_b", dir / "logs/loop_a");  // a loop of symlinks that leads nowhere
  symlink_or_fail("loop_a", dir / "logs/loop_b");
  symlink_or_fail("train", dir / "logs/latest");   // an alias of a run, read once under its own name
  std::vector<std::string> warnings;
  const std::vector<ScalarEvent> events = read_scalar_events(dir / "logs", Env::Default(), &warnings);
  EXPECT_EQ(runs_of(events), std::vector<std::string>{"train"});
  EXPECT_EQ(warnings, std::vector<std::string>{});
}

TEST(EventFiles, SymlinksOutOfTheLogDirectoryAreNotFollowed) {
  TempDir dir;
  write_run(dir / "elsewhere", 7);
  const std::string outside_file = dir / ("elsewhere/" + Env::Default().list_dir(dir / "elsewhere")[0]);
  write_run(dir / "logs", 1);
  symlink_or_fail(dir / "elsewhere", dir / "logs/other_run");
  symlink_or_fail(outside_file, dir / "logs/events.out.tfevents.link");
  std::vector<std::string> warnings;
  const std::vector<ScalarEvent> events = read_scalar_events(dir / "logs", Env::Default(), &warnings);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].value, 1);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          dir / "logs/other_run is a symlink to a directory outside the log directory: not followed",
                          dir / "logs/events.out.tfevents.link is a symlink that leads out of the log directory: not followed"}));
}

TEST(EventFiles, ASymlinkToAFileInsideIsReadOnce) {
  TempDir dir;
  write_run(dir / "logs/a", 1);
  const std::string a_file = Env::Default().list_dir(dir / "logs/a")[0];
  Env::Default().create_dirs(dir / "logs/b");
  symlink_or_fail("../a/" + a_file, dir / "logs/b/events.out.tfevents.alias");  // read as run a only
  // An event file kept under another name, reached through a symlink named like one: read as run c.
  write_run(dir / "logs/data", 3);
  const std::string data_file = Env::Default().list_dir(dir / "logs/data")[0];
  Env::Default().rename_file(dir / ("logs/data/" + data_file), dir / "logs/data/payload.bin");
  Env::Default().create_dirs(dir / "logs/c");
  symlink_or_fail("../data/payload.bin", dir / "logs/c/events.out.tfevents.1");
  symlink_or_fail("../data/payload.bin", dir / "logs/c/events.out.tfevents.2");
  std::vector<std::string> warnings;
  const std::vector<ScalarEvent> events = read_scalar_events(dir / "logs", Env::Default(), &warnings);
  EXPECT_EQ(runs_of(events), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(warnings.empty());
}

TEST(EventFiles, FifosAreNeverOpened) {
  TempDir dir;
  write_run(dir / "logs", 1);
  const std::string fifo = dir / "logs/events.out.tfevents.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  testing::FifoUnblocker unblocker(fifo);  // only a reader that opens it waits for a writer
  std::vector<std::string> warnings;
  const std::vector<ScalarEvent> events = read_scalar_events(dir / "logs", Env::Default(), &warnings);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(warnings, std::vector<std::string>{fifo + " is not a regular file (a FIFO, socket or device): skipped"});

  try {
    read_scalar_events(fifo);
    ADD_FAILURE() << "no error";
  } catch (const IOError& error) {
    EXPECT_EQ(std::string(error.what()), fifo + " is not a regular file or a directory (a FIFO, socket or device)");
  }
  EXPECT_FALSE(unblocker.stop()) << "the reader opened the FIFO";
}

}  // namespace
}  // namespace cairn
