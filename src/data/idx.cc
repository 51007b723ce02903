// IDX files (the MNIST format): magic 00 00 <type> <rank>, `rank` big-endian uint32 dimensions, then
// the elements in row-major order.
#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "cairn/data.h"
#include "cairn/internal/io/coding.h"
#include "file_util.h"

namespace cairn {

namespace {

constexpr uint8_t kIdxUnsignedByte = 0x08;
constexpr size_t kChunk = size_t{16} << 20;
// Inflated data costs memory that the file does not: gzip turns 64 KB of zeros into 64 MB. Honest
// MNIST files inflate about 5-fold; more than 100-fold (beyond a floor for small files) is refused.
constexpr uint64_t kMaxInflationRatio = 100;
constexpr uint64_t kMinInflatedBytes = uint64_t{64} << 20;

// The bytes of a file in memory, decompressed on the fly if they are gzip (members may be concatenated,
// as gzip allows). read() fills the buffer unless the data ends first.
class ByteStream {
 public:
  ByteStream(std::span<const uint8_t> bytes, const std::string& path) : bytes_(bytes), path_(path) {
    gzip_ = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    if (gzip_ && inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw Error("zlib inflateInit2 failed");
    stream_.next_in = const_cast<Bytef*>(bytes.data());
    stream_.avail_in = 0;
  }
  ~ByteStream() {
    if (gzip_) inflateEnd(&stream_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  bool gzip() const { return gzip_; }

  size_t read(uint8_t* out, size_t n) {
    if (!gzip_) {
      size_t got = std::min(n, bytes_.size() - raw_pos_);
      std::copy_n(bytes_.data() + raw_pos_, got, out);
      raw_pos_ += got;
      return got;
    }
    size_t done = 0;
    while (done < n && !finished_) {
      size_t consumed = stream_.next_in - bytes_.data();
      stream_.avail_in = static_cast<uInt>(std::min<size_t>(bytes_.size() - consumed, 1u << 30));
      stream_.next_out = out + done;
      stream_.avail_out = static_cast<uInt>(std::min<size_t>(n - done, 1u << 30));
      size_t before = stream_.avail_out;
      int status = inflate(&stream_, Z_NO_FLUSH);
      done += before - stream_.avail_out;
      if (status == Z_STREAM_END) {
        consumed = stream_.next_in - bytes_.data();
        if (consumed == bytes_.size()) {
          finished_ = true;
        } else if (bytes_.size() - consumed >= 2 && bytes_[consumed] == 0x1f &&
                   bytes_[consumed + 1] == 0x8b) {
          inflateReset(&stream_);
        } else {
          throw FormatError(path_ + ": trailing bytes after the gzip data");
        }
      } else if (status == Z_BUF_ERROR) {
        throw FormatError(path_ + ": truncated gzip data");
      } else if (status != Z_OK) {
        throw FormatError(path_ + ": corrupt gzip data" +
                          (stream_.msg ? std::string(" (") + stream_.msg + ")" : ""));
      }
    }
    return done;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& path_;
  bool gzip_ = false;
  bool finished_ = false;
  size_t raw_pos_ = 0;
  z_stream stream_{};
};

std::string find_idx_file(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {join_path(dir, name + ".gz"), join_path(dir, name)})
    if (Env::Default().file_exists(candidate)) return candidate;
  throw IOError("cannot find " + name + "(.gz) in " + dir);
}

LabeledData load_idx_pair(const std::string& images_path, const std::string& labels_path) {
  Tensor images = read_idx(images_path);
  Tensor labels = read_idx(labels_path);
  if (images.rank() != 3)
    throw FormatError(images_path + ": images of shape " + shape_str(images.shape()) + ", expected rank 3");
  if (labels.rank() != 1)
    throw FormatError(labels_path + ": labels of shape " + shape_str(labels.shape()) + ", expected rank 1");
  if (images.dim(0) != labels.dim(0))
    throw ShapeError("images " + images_path + " of shape " + shape_str(images.shape()) + " and labels " +
                     labels_path + " of shape " + shape_str(labels.shape()) +
                     " have different numbers of samples");
  return {images, labels};
}

}  // namespace

Tensor read_idx(const std::string& path) {
  std::vector<uint8_t> bytes = data_internal::read_file_bytes(path);
  ByteStream stream(bytes, path);
  auto fail = [&](const std::string& what) { return FormatError(path + ": not a valid IDX file: " + what); };

  uint8_t magic[4];
  if (stream.read(magic, 4) != 4) throw fail("shorter than the 4-byte magic");
  if (magic[0] != 0 || magic[1] != 0) throw fail("bad magic (the first two bytes must be zero)");
  if (magic[2] != kIdxUnsignedByte) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", magic[2]);
    throw fail(std::string("element type ") + code + " is not supported (only unsigned byte, 0x08)");
  }
  size_t rank = magic[3];
  std::vector<uint8_t> dims_bytes(4 * rank);
  if (stream.read(dims_bytes.data(), dims_bytes.size()) != dims_bytes.size())
    throw fail("truncated dimensions");
  Shape shape;
  uint64_t elements = 1;
  bool empty = false;
  for (size_t i = 0; i < rank; ++i) {
    uint32_t dim = coding::decode_big_endian32(&dims_bytes[4 * i]);
    shape.push_back(dim);
    // uint32 dimensions; keeping the nonzero product below 2^48 keeps every product in range.
    if (dim == 0)
      empty = true;
    else if (elements > (uint64_t{1} << 48) / dim)
      throw fail("shape " + shape_str(shape) + " is too large");
    else
      elements *= dim;
  }
  if (empty) elements = 0;

  size_t header_size = 4 + 4 * rank;
  auto truncated = [&](uint64_t found) {
    return fail("truncated: shape " + shape_str(shape) + " needs " + std::to_string(elements) +
                " bytes of data, found " + std::to_string(found));
  };
  auto trailing = [&] {
    return fail("trailing bytes after the " + std::to_string(elements) + " data bytes");
  };

  if (!stream.gzip()) {
    uint64_t available = bytes.size() - header_size;
    if (available < elements) throw truncated(available);
    if (available > elements) throw trailing();
    Tensor tensor(shape, DType::UInt8);
    if (elements) std::memcpy(tensor.raw_data(), bytes.data() + header_size, elements);
    return tensor;
  }
  // Inflated in chunks, so a hostile header claiming a huge shape costs only as much memory as the
  // data actually present, and that only up to the inflation bound.
  const uint64_t inflatable = std::max(kMinInflatedBytes, kMaxInflationRatio * bytes.size());
  std::vector<uint8_t> data;
  while (data.size() < elements) {
    size_t done = data.size();
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(elements - done, kChunk));
    if (done + chunk > inflatable)
      throw ResourceLimitError(path + ": shape " + shape_str(shape) + " needs " + std::to_string(elements) +
                               " bytes of data, more than the " + std::to_string(inflatable) +
                               " bytes cairn inflates from " + std::to_string(bytes.size()) + " bytes of gzip");
    data.resize(done + chunk);
    size_t got = stream.read(data.data() + done, chunk);
    if (got < chunk) throw truncated(done + got);
  }
  uint8_t extra;
  if (stream.read(&extra, 1) != 0) throw trailing();
  Tensor tensor(shape, DType::UInt8);
  if (elements) std::memcpy(tensor.raw_data(), data.data(), elements);
  return tensor;
}

TrainTestData load_mnist_idx(const std::string& dir) {
  // One file after the other, so that problems are reported in a fixed order.
  TrainTestData data;
  std::string images = find_idx_file(dir, "train-images-idx3-ubyte");
  data.train = load_idx_pair(images, find_idx_file(dir, "train-labels-idx1-ubyte"));
  images = find_idx_file(dir, "t10k-images-idx3-ubyte");
  data.test = load_idx_pair(images, find_idx_file(dir, "t10k-labels-idx1-ubyte"));
  return data;
}

TrainTestData load_fashion_mnist(const std::string& dir) { return load_mnist_idx(dir); }

}  // namespace cairn
