// Data sets, file readers and the batch iterator that fit uses. Names and semantics follow Keras
// (keras.datasets, keras.utils.pad_sequences) and scikit-learn (make_moons, load_iris).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/npy.h"
#include "cairn/random.h"
#include "cairn/tensor.h"
#include "cairn/zip.h"

namespace cairn {

// Inputs and targets with the same first dimension; y may be undefined (inputs only).
struct LabeledData {
  Tensor x;
  Tensor y;
};

// Keras's ((x_train, y_train), (x_test, y_test)).
struct TrainTestData {
  LabeledData train;
  LabeledData test;
};

// ---- IDX (the MNIST file format)

// A uint8 IDX file (magic 00 00 08 <rank>, big-endian dimensions), gzipped (detected by its gzip
// magic) or raw, as a uint8 tensor of the file's shape. Other IDX element types are refused.
Tensor read_idx(const std::string& path);

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte from dir, each with or without ".gz" (the gzipped one is preferred), as
// keras.datasets.mnist.load_data returns them: x uint8 (n, rows, cols), y uint8 (n,).
TrainTestData load_mnist_idx(const std::string& dir);
// keras.datasets.fashion_mnist.load_data() from the files of Debian's dataset-fashion-mnist:
// x uint8 (60000, 28, 28) / (10000, 28, 28), y uint8 (60000,) / (10000,).
TrainTestData load_fashion_mnist(const std::string& dir = kFashionMnistDir);

// ---- CSV

struct CsvOptions {
  char delimiter = ',';
  bool header = false;               // the first line is a header and is skipped
  std::optional<int> label_column;   // split this column off as y; negative counts from the end
  DType label_dtype = DType::Int64;  // integer label dtypes require integral values
};

// A numeric CSV file: x float32 (rows, columns), without the label column if one is given; y of
// label_dtype (rows,) or undefined. Blank lines are skipped; every other line must have the same
// number of fields, each a number (FormatError naming file, line and column otherwise).
LabeledData read_csv(const std::string& path, const CsvOptions& options = {});

// ---- Bundled data (the repository's data/ directory)

// The directory of the bundled data files: $CAIRN_DATA_DIR if set, else the source tree's data/.
std::string data_dir();

// Fisher's iris data like sklearn.datasets.load_iris: x float32 (150, 4) (sepal length, sepal width,
// petal length, petal width in cm), y int64 (150,) with 0 setosa, 1 versicolor, 2 virginica. The file
// starts with the header "150,4,setosa,versicolor,virginica", whose counts are checked.
LabeledData load_iris(const std::string& path = data_dir() + "/iris.csv");
// The split of TensorFlow's premade-estimator tutorial: iris_training.csv (120 rows) and
// iris_test.csv (30 rows) from dir, same layout as load_iris.
TrainTestData load_iris_tutorial(const std::string& dir = data_dir());

// ---- Generated data

// sklearn.datasets.make_moons: two interleaving half circles, n_samples // 2 points on the outer one
// (label 0) and the rest on the inner one (label 1), shuffled if `shuffle`, then Gaussian noise of
// standard deviation `noise` added to every coordinate. x float32 (n, 2), y int64 (n,) (sklearn's intp).
// The shuffle and the noise come from cairn::Generator(seed) (the seed from next_seed() if none), so
// the output is exactly reproducible from the seed but is not numpy's random stream.
LabeledData make_moons(int64_t n_samples = 100, double noise = 0.0,
                       std::optional<uint64_t> seed = std::nullopt, bool shuffle = true);

// ---- Sequences

// keras.utils.pad_sequences: a (sequences.size(), maxlen) tensor of `dtype`. maxlen defaults to the
// longest sequence; longer sequences lose their start ("pre") or end ("post") per `truncating`;
// shorter ones are filled with `value` before ("pre") or after ("post") per `padding`. Empty sequences
// give rows of `value`. InvalidArgument for other padding/truncating strings or a negative maxlen.
Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences,
                     std::optional<int64_t> maxlen = std::nullopt, std::string_view padding = "pre",
                     std::string_view truncating = "pre", double value = 0.0, DType dtype = DType::Int32);

// The IMDB reviews from an .npz with Keras's imdb.npz keys x_train, y_train, x_test, y_test.
// Keras's own file stores x_* as object arrays (Python pickles), which are refused with a FormatError;
// instead x_* must be integer arrays (n, length) holding the word indices as
// keras.datasets.imdb.load_data returns them (start_char 1, oov_char 2, index_from 3), padded with 0,
// e.g. written by numpy.savez after keras.utils.pad_sequences. Padding zeros are dropped, indices
// >= num_words (if given) become oov_char 2 as in load_data, and each review is padded/truncated to
// maxlen with pad_sequences' "pre" defaults, as the Keras IMDB examples do after load_data (load_data's
// own maxlen, which drops long reviews, is not what this does); without maxlen the stored length is
// kept. x int32 (n, maxlen), y int64 (n,).
TrainTestData load_imdb_npz(const std::string& path, std::optional<int64_t> num_words = std::nullopt,
                            std::optional<int64_t> maxlen = std::nullopt);

// ---- Batches

using Batch = LabeledData;

// Where a BatchIterator is: the permutation of an epoch is a function of (seed, epoch), so these four
// integers restore an iterator exactly.
struct BatchIteratorState {
  int64_t epoch = 0;
  int64_t position = 0;  // samples of this epoch already yielded
  uint64_t seed = 0;
  int64_t num_samples = 0;  // guards against restoring onto different data

  // As four int64 (the seed's bits reinterpreted), for storing as an int64 tensor in a checkpoint.
  std::array<int64_t, 4> to_array() const;
  static BatchIteratorState from_array(const std::array<int64_t, 4>& values);
  bool operator==(const BatchIteratorState&) const = default;
};

// Mini-batches of rows of x and y (the same rows of both), like Keras's fit over arrays: each epoch
// visits every sample once, in a fresh random order if `shuffle`, in batches of batch_size (the last
// one may be smaller).
//
//   while (auto batch = it.next()) train_step(batch->x, batch->y);  // one epoch
class BatchIterator {
 public:
  // x and y must have the same first dimension (ShapeError naming both shapes); y may be undefined.
  // The seed comes from next_seed() if not given.
  BatchIterator(Tensor x, Tensor y, int64_t batch_size, bool shuffle = true,
                std::optional<uint64_t> seed = std::nullopt);

  // The next batch of the current epoch, or nullopt when the epoch is done; the call that returns
  // nullopt moves the iterator to the start of the next epoch.
  std::optional<Batch> next();

  int64_t num_samples() const { return num_samples_; }
  int64_t batch_size() const { return batch_size_; }
  int64_t batches_per_epoch() const { return (num_samples_ + batch_size_ - 1) / batch_size_; }
  int64_t epoch() const { return state_.epoch; }

  BatchIteratorState state() const { return state_; }
  // InvalidArgument if the state is for a different number of samples or out of range.
  void set_state(const BatchIteratorState& state);

  // Data parallelism: this iterator is replica `index` of `count` that train together on the same
  // batches. The batches and the state stay global (position counts every replica's samples), and
  // next() returns this replica's rows of each: rows [n * index / count, n * (index + 1) / count) of a
  // batch of n, which may be empty for a short last batch.
  void shard(int index, int count);

 private:
  void compute_order();
  Tensor gather(const Tensor& source, int64_t begin, int64_t count) const;

  Tensor x_, y_;
  int64_t num_samples_;
  int64_t batch_size_;
  bool shuffle_;
  int shard_index_ = 0, shard_count_ = 1;
  BatchIteratorState state_;
  std::vector<int64_t> order_;  // the sample order of state_.epoch
};

}  // namespace cairn
