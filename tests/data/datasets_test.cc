#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <cstdlib>

#include "cairn/data.h"
#include "data/test_util.h"

namespace cairn {
namespace {

using data_test::expect_error;
using data_test::TempDir;
using data_test::testdata;
using data_test::write_bytes;

void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, {text.begin(), text.end()});
}

// ---- make_moons

// Distance of (x, y) from the arc its label says it was drawn from.
double distance_from_arc(double x, double y, int64_t label) {
  return label == 0 ? std::abs(std::hypot(x, y) - 1.0) : std::abs(std::hypot(x - 1.0, y - 0.5) - 1.0);
}

TEST(MakeMoons, PointsLieOnTheTwoArcsWithoutNoise) {
  for (int64_t n : {1, 2, 7, 100}) {
    SCOPED_TRACE(n);
    LabeledData data = make_moons(n, 0.0, 5);
    EXPECT_EQ(data.x.shape(), (Shape{n, 2}));
    EXPECT_EQ(data.x.dtype(), DType::Float32);
    EXPECT_EQ(data.y.shape(), (Shape{n}));
    EXPECT_EQ(data.y.dtype(), DType::Int64);
    int64_t outer = 0;
    for (int64_t i = 0; i < n; ++i) {
      double x = data.x.get({i, 0}), y = data.x.get({i, 1});
      int64_t label = static_cast<int64_t>(data.y.get({i}));
      ASSERT_TRUE(label == 0 || label == 1);
      outer += label == 0;
      EXPECT_LT(distance_from_arc(x, y, label), 1e-6) << x << ", " << y;
      // The outer arc is the upper half circle, the inner one the lower half circle.
      EXPECT_TRUE(label == 0 ? y >= -1e-6 : y <= 0.5 + 1e-6);
    }
    EXPECT_EQ(outer, n / 2);
  }
}

TEST(MakeMoons, UnshuffledOrderIsSklearns) {
  LabeledData data = make_moons(6, 0.0, 0, /*shuffle=*/false);
  // sklearn.datasets.make_moons(6, shuffle=False): outer cos/sin(linspace(0, pi, 3)), then the inner arc.
  std::vector<float> expected = {1, 0, 0, 1, -1, 0, 0, 0.5, 1, -0.5, 2, 0.5};
  std::vector<float> got = data.x.to_vector<float>();
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-7) << i;
  EXPECT_EQ(data.y.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
}

TEST(MakeMoons, ShuffleIsAPermutationAndTheSeedReproducesIt) {
  LabeledData ordered = make_moons(50, 0.0, 1, false);
  LabeledData a = make_moons(50, 0.0, 1), b = make_moons(50, 0.0, 1), c = make_moons(50, 0.0, 2);
  EXPECT_TRUE(equal_bytes(a.x, b.x));
  EXPECT_TRUE(equal_bytes(a.y, b.y));
  EXPECT_FALSE(equal_bytes(a.x, c.x));
  EXPECT_FALSE(equal_bytes(a.x, ordered.x));
  // Every shuffled row is one of the ordered rows, with its label.
  std::vector<bool> used(50);
  for (int64_t i = 0; i < 50; ++i) {
    bool found = false;
    for (int64_t j = 0; j < 50 && !found; ++j) {
      if (!used[j] && a.x.get({i, 0}) == ordered.x.get({j, 0}) && a.x.get({i, 1}) == ordered.x.get({j, 1})) {
        EXPECT_EQ(a.y.get({i}), ordered.y.get({j}));
        used[j] = found = true;
      }
    }
    EXPECT_TRUE(found) << "row " << i;
  }
}

TEST(MakeMoons, NoiseHasTheRequestedStandardDeviation) {
  const double noise = 0.1;
  LabeledData noisy = make_moons(4000, noise, 9), clean = make_moons(4000, 0.0, 9);
  // Same seed, so the same shuffle: the difference is the noise alone.
  double sum = 0, sum_sq = 0;
  for (int64_t i = 0; i < 8000; ++i) {
    double d = noisy.x.data<float>()[i] - clean.x.data<float>()[i];
    sum += d;
    sum_sq += d * d;
  }
  double mean = sum / 8000, stddev = std::sqrt(sum_sq / 8000 - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(stddev, noise, 0.005);
  EXPECT_TRUE(equal_bytes(noisy.y, clean.y));
  EXPECT_TRUE(equal_bytes(noisy.x, make_moons(4000, noise, 9).x));
}

TEST(MakeMoons, UnseededCallsFollowTheGlobalSeed) {
  set_random_seed(123);
  LabeledData a = make_moons(20, 0.2);
  set_random_seed(123);
  LabeledData b = make_moons(20, 0.2);
  EXPECT_TRUE(equal_bytes(a.x, b.x));
  EXPECT_THROW(make_moons(-1), InvalidArgument);
  EXPECT_THROW(make_moons(10, -0.5), InvalidArgument);
}

// ---- iris

TEST(Iris, LoadsFishersTable) {
  LabeledData iris = load_iris();
  EXPECT_EQ(iris.x.shape(), (Shape{150, 4}));
  EXPECT_EQ(iris.y.shape(), (Shape{150}));
  EXPECT_EQ(iris.y.dtype(), DType::Int64);
  EXPECT_EQ(iris.x.to_vector<float>()[0], 5.1f);
  std::vector<float> first(iris.x.data<float>(), iris.x.data<float>() + 4);
  EXPECT_EQ(first, (std::vector<float>{5.1f, 3.5f, 1.4f, 0.2f}));
  std::vector<float> last(iris.x.data<float>() + 596, iris.x.data<float>() + 600);
  EXPECT_EQ(last, (std::vector<float>{5.9f, 3.0f, 5.1f, 1.8f}));
  // Fisher's sample 38 (sklearn's correction of the UCI copy).
  std::vector<float> row37(iris.x.data<float>() + 148, iris.x.data<float>() + 152);
  EXPECT_EQ(row37, (std::vector<float>{4.9f, 3.6f, 1.4f, 0.1f}));
  std::vector<int64_t> counts(3);
  for (int64_t label : iris.y.span<int64_t>()) ++counts.at(label);
  EXPECT_EQ(counts, (std::vector<int64_t>{50, 50, 50}));
  EXPECT_EQ(iris.y.get({0}), 0);
  EXPECT_EQ(iris.y.get({50}), 1);
  EXPECT_EQ(iris.y.get({149}), 2);
  // Column means from sklearn's description: 5.84, 3.05 (3.057), 3.76 (3.758), 1.20 (1.199).
  std::vector<double> means(4);
  for (int64_t i = 0; i < 150; ++i)
    for (int c = 0; c < 4; ++c) means[c] += iris.x.get({i, c}) / 150;
  EXPECT_NEAR(means[0], 5.8433, 1e-3);
  EXPECT_NEAR(means[1], 3.0573, 1e-3);
  EXPECT_NEAR(means[2], 3.7580, 1e-3);
  EXPECT_NEAR(means[3], 1.1993, 1e-3);
}

TEST(Iris, LoadsTheTensorFlowTutorialSplit) {
  auto [train, test] = load_iris_tutorial();
  EXPECT_EQ(train.x.shape(), (Shape{120, 4}));
  EXPECT_EQ(test.x.shape(), (Shape{30, 4}));
  std::vector<float> first(train.x.data<float>(), train.x.data<float>() + 4);
  EXPECT_EQ(first, (std::vector<float>{6.4f, 2.8f, 5.6f, 2.2f}));
  EXPECT_EQ(train.y.get({0}), 2);
  EXPECT_EQ(train.y.get({1}), 1);
  EXPECT_EQ(test.x.get({0, 0}), 5.9f);
  EXPECT_EQ(test.y.get({0}), 1);
  EXPECT_EQ(test.y.get({29}), 1);
}

TEST(Iris, ChecksTheHeaderCounts) {
  TempDir dir;
  write_text(dir.file("short.csv"),
             "3,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,0\n");
  expect_error<FormatError>([&] { load_iris(dir.file("short.csv")); },
                            {"short.csv", "announces 3 rows", "(2, 4)"});
  write_text(dir.file("label.csv"), "1,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,3\n");
  expect_error<FormatError>([&] { load_iris(dir.file("label.csv")); }, {"label.csv", "label 3"});
  write_text(dir.file("noheader.csv"), "5.1,3.5,1.4,0.2,0\n");
  expect_error<FormatError>([&] { load_iris(dir.file("noheader.csv")); }, {"noheader.csv", "first line"});
}

TEST(Iris, DataDirFollowsTheEnvironment) {
  std::string built_in = data_dir();
  EXPECT_EQ(built_in, std::string(CAIRN_SOURCE_DIR) + "/data");
  setenv("CAIRN_DATA_DIR", "/somewhere/else", 1);
  EXPECT_EQ(data_dir(), "/somewhere/else");
  unsetenv("CAIRN_DATA_DIR");
  EXPECT_EQ(data_dir(), built_in);
}

// ---- read_csv

TEST(Csv, ReadsNumbersWithHeaderAndLabelColumn) {
  TempDir dir;
  write_text(dir.file("a.csv"), "f1,label,f2\r\n1.5, 2 ,-3e2\r\n\r\n+4,0,.25\n  \n");
  CsvOptions options;
  options.header = true;
  options.label_column = 1;
  LabeledData data = read_csv(dir.file("a.csv"), options);
  EXPECT_EQ(data.x.shape(), (Shape{2, 2}));
  EXPECT_EQ(data.x.to_vector<float>(), (std::vector<float>{1.5f, -300.f, 4.f, 0.25f}));
  EXPECT_EQ(data.y.to_vector<int64_t>(), (std::vector<int64_t>{2, 0}));

  options.label_column = -1;
  options.label_dtype = DType::Float32;
  LabeledData last = read_csv(dir.file("a.csv"), options);
  EXPECT_EQ(last.x.to_vector<float>(), (std::vector<float>{1.5f, 2.f, 4.f, 0.f}));
  EXPECT_EQ(last.y.to_vector<float>(), (std::vector<float>{-300.f, 0.25f}));
}

TEST(Csv, ReadsAllColumnsWithoutLabelAndOtherDelimiters) {
  TempDir dir;
  write_text(dir.file("b.tsv"), "1\t2\t3\n4\t5\t6");
  CsvOptions options;
  options.delimiter = '\t';
  LabeledData data = read_csv(dir.file("b.tsv"), options);
  EXPECT_EQ(data.x.shape(), (Shape{2, 3}));
  EXPECT_EQ(data.x.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_FALSE(data.y.defined());
}

TEST(Csv, HugeBadFieldsAreQuotedAsShortExcerpts) {
  // A 50 MB field used to reach stderr whole; 1 MB shows the same.
  TempDir dir;
  const std::string path = dir.file("huge.csv");
  const std::string huge(1 << 20, 'x');
  auto expect_short_error = [&](const std::function<void()>& read, const std::vector<std::string>& parts) {
    try {
      read();
      ADD_FAILURE() << "no error";
    } catch (const FormatError& e) {
      const std::string message = e.what();
      EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
      for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message.substr(0, 400);
    }
  };
  write_text(path, "1,2\n3," + huge + "\n");
  expect_short_error([&] { read_csv(path); }, {path + ":2: column 2", "\"xxxx", "(1048576 bytes) is not a number"});
  write_text(path, "1,2." + std::string(1 << 20, '5') + "\n");
  CsvOptions options;
  options.label_column = 1;
  expect_short_error([&] { read_csv(path, options); }, {path + ":1: column 2", "\"2.555", "not a valid int64"});
  write_text(path, huge + "\n5.1,3.5,1.4,0.2,0\n");
  expect_short_error([&] { load_iris(path); }, {path, "the first line must be", "(1048576 bytes)"});
}

TEST(Csv, ReportsFileLineAndColumn) {
  TempDir dir;
  std::string path = dir.file("bad.csv");
  write_text(path, "1,2,3\n4,x,6\n");
  expect_error<FormatError>([&] { read_csv(path); }, {path + ":2: column 2", "\"x\" is not a number"});
  write_text(path, "1,2,3\n4,5\n");
  expect_error<FormatError>([&] { read_csv(path); }, {path + ":2", "2 fields where the first row has 3"});
  write_text(path, "1,,3\n");
  expect_error<FormatError>([&] { read_csv(path); }, {path + ":1: column 2"});
  write_text(path, "1,2.5\n");
  CsvOptions options;
  options.label_column = 1;
  expect_error<FormatError>([&] { read_csv(path, options); }, {path + ":1: column 2", "not a valid int64"});
  options.label_column = 5;
  expect_error<InvalidArgument>([&] { read_csv(path, options); }, {"label_column 5"});
  expect_error<IOError>([&] { read_csv(dir.file("missing.csv")); }, {"missing.csv"});
}

// ---- pad_sequences (the examples of the Keras documentation)

std::vector<int32_t> values(const Tensor& t) { return t.to_vector<int32_t>(); }

TEST(PadSequences, KerasDocumentationExamples) {
  std::vector<std::vector<int64_t>> sequence = {{1}, {2, 3}, {4, 5, 6}};
  Tensor padded = pad_sequences(sequence);
  EXPECT_EQ(padded.shape(), (Shape{3, 3}));
  EXPECT_EQ(padded.dtype(), DType::Int32);
  EXPECT_EQ(values(padded), (std::vector<int32_t>{0, 0, 1, 0, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values(pad_sequences(sequence, std::nullopt, "pre", "pre", -1)),
            (std::vector<int32_t>{-1, -1, 1, -1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values(pad_sequences(sequence, std::nullopt, "post")),
            (std::vector<int32_t>{1, 0, 0, 2, 3, 0, 4, 5, 6}));
  Tensor truncated = pad_sequences(sequence, 2);
  EXPECT_EQ(truncated.shape(), (Shape{3, 2}));
  EXPECT_EQ(values(truncated), (std::vector<int32_t>{0, 1, 2, 3, 5, 6}));
}

TEST(PadSequences, TruncatingPostEmptySequencesAndDtype) {
  std::vector<std::vector<int64_t>> sequences = {{1, 2, 3, 4}, {}, {7}};
  EXPECT_EQ(values(pad_sequences(sequences, 3, "post", "post")),
            (std::vector<int32_t>{1, 2, 3, 0, 0, 0, 7, 0, 0}));
  Tensor floats = pad_sequences(sequences, 2, "pre", "pre", 0.5, DType::Float32);
  EXPECT_EQ(floats.to_vector<float>(), (std::vector<float>{3, 4, 0.5f, 0.5f, 0.5f, 7}));
  EXPECT_EQ(pad_sequences({}, std::nullopt).shape(), (Shape{0, 0}));
  EXPECT_THROW(pad_sequences(sequences, 2, "middle"), InvalidArgument);
  EXPECT_THROW(pad_sequences(sequences, 2, "pre", "both"), InvalidArgument);
  EXPECT_THROW(pad_sequences(sequences, -1), InvalidArgument);
}

// ---- IMDB

TEST(Imdb, LoadsPaddedIntegerArrays) {
  auto [train, test] = load_imdb_npz(testdata("imdb_padded.npz"));
  EXPECT_EQ(train.x.shape(), (Shape{4, 6}));
  EXPECT_EQ(train.x.dtype(), DType::Int32);
  EXPECT_EQ(values(train.x), (std::vector<int32_t>{0, 0, 1,     14, 22,  16,    //
                                                   0, 0, 0,     1,  194, 1153,  //
                                                   1, 5, 25000, 9,  7,   11,    //
                                                   0, 0, 0,     0,  1,   2}));
  EXPECT_EQ(train.y.dtype(), DType::Int64);
  EXPECT_EQ(train.y.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(test.x.shape(), (Shape{2, 6}));
  EXPECT_EQ(test.y.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
}

TEST(Imdb, AppliesNumWordsAndMaxlenLikeKeras) {
  auto [train, test] = load_imdb_npz(testdata("imdb_padded.npz"), 1000, 4);
  EXPECT_EQ(train.x.shape(), (Shape{4, 4}));
  EXPECT_EQ(values(train.x), (std::vector<int32_t>{1, 14, 22, 16,  //
                                                   0, 1, 194, 2,   // 1153 >= 1000 -> oov_char 2
                                                   2, 9, 7, 11,    // truncated at the front; 25000 -> 2
                                                   0, 0, 1, 2}));
  EXPECT_EQ(values(test.x), (std::vector<int32_t>{0, 1, 4, 7, 2, 8, 6, 5}));
}

TEST(Imdb, RefusesKerasPickledFileWithAnExplanation) {
  expect_error<FormatError>([] { load_imdb_npz(testdata("imdb_object.npz")); },
                            {"imdb_object.npz", "x_train.npy", "pickle", "pad them"});
}

TEST(Imdb, ChecksKeysAndShapes) {
  TempDir dir;
  Tensor x = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 1, 3});
  Tensor y3 = Tensor::from_vector<int64_t>({3}, {0, 1, 0});
  Tensor y2 = Tensor::from_vector<int64_t>({2}, {0, 1});
  save_npz(dir.file("missing.npz"), {{"x_train", x}, {"y_train", y2}});
  expect_error<FormatError>([&] { load_imdb_npz(dir.file("missing.npz")); },
                            {"missing.npz", "no array 'x_test'"});
  save_npz(dir.file("mismatch.npz"), {{"x_train", x}, {"y_train", y3}, {"x_test", x}, {"y_test", y3}});
  expect_error<ShapeError>([&] { load_imdb_npz(dir.file("mismatch.npz")); },
                           {"mismatch.npz", "(2, 2)", "(3,)"});
}

}  // namespace
}  // namespace cairn
