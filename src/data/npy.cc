#include "cairn/npy.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "cairn/zip.h"
#include "cairn/internal/io/coding.h"
#include "file_util.h"

namespace cairn {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kAlign = 64;             // numpy aligns the data start to 64 bytes
constexpr size_t kGrowthAxisDigits = 21;  // numpy pads the header so shape[0] can grow in place
constexpr size_t kMaxRank = 64;           // numpy's NPY_MAXDIMS

std::string descr_for(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "<f4";
    case DType::Float64:
      return "<f8";
    case DType::Int32:
      return "<i4";
    case DType::Int64:
      return "<i8";
    case DType::UInt8:
      return "|u1";
    case DType::Bool:
      return "|b1";
  }
  throw InvalidArgument("save_npy: unknown dtype");
}

struct Header {
  DType dtype = DType::Float32;
  bool big_endian = false;
  Shape shape;
};

// The header is the repr of a Python dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
// numpy evaluates it as a literal; this parser accepts exactly that literal language for the three keys.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Header parse() {
    std::optional<std::string> descr;
    std::optional<bool> fortran_order;
    std::optional<Shape> shape;
    skip_space();
    expect('{');
    skip_space();
    while (peek() != '}') {
      std::string key = parse_string("a key");
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (descr) fail("key 'descr' appears twice");
        if (peek() == '[') fail("structured dtypes (a list 'descr') are not supported");
        descr = parse_string("the 'descr' string");
      } else if (key == "fortran_order") {
        if (fortran_order) fail("key 'fortran_order' appears twice");
        fortran_order = parse_bool();
      } else if (key == "shape") {
        if (shape) fail("key 'shape' appears twice");
        shape = parse_shape();
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != '}') {
        fail("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dictionary");
    if (!descr || !fortran_order || !shape)
      fail("the keys 'descr', 'fortran_order' and 'shape' are all required");
    if (*fortran_order)
      throw FormatError(source_ +
                        ": Fortran-ordered (column-major) arrays are not supported; save the array "
                        "with numpy.ascontiguousarray first");
    Header header = dtype_from_descr(*descr);
    header.shape = std::move(*shape);
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(source_ + ": bad .npy header at character " + std::to_string(pos_) + ": " + what);
  }
  char peek() const {
    if (pos_ >= text_.size()) fail("header ends early");
    return text_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  std::string parse_string(const char* what) {
    char quote = peek();
    if (quote != '\'' && quote != '"') fail(std::string("expected ") + what);
    size_t end = text_.find(quote, ++pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    if (value.find('\\') != std::string::npos) fail("escapes in strings are not supported");
    pos_ = end + 1;
    return value;
  }
  bool parse_bool() {
    for (auto [word, value] :
         {std::pair{std::string_view("True"), true}, std::pair{std::string_view("False"), false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    fail("expected True or False");
  }
  Shape parse_shape() {
    expect('(');
    skip_space();
    Shape shape;
    bool trailing_comma = false;
    while (peek() != ')') {
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension");
      int64_t dim = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        // Dimensions past 2^62 cannot describe data in a file; refusing them keeps products in range.
        if (dim > ((int64_t{1} << 62) - 9) / 10) fail("dimension too large");
        dim = dim * 10 + (text_[pos_++] - '0');
      }
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long literal
      shape.push_back(dim);
      if (shape.size() > kMaxRank) fail("more than " + std::to_string(kMaxRank) + " dimensions");
      skip_space();
      trailing_comma = peek() == ',';
      if (trailing_comma) {
        ++pos_;
        skip_space();
      } else if (peek() != ')') {
        fail("expected ',' or ')' in the shape");
      }
    }
    if (shape.size() == 1 && !trailing_comma)
      fail("a one-dimensional shape needs a trailing comma, as in (3,)");
    ++pos_;
    return shape;
  }

  Header dtype_from_descr(const std::string& descr) const {
    auto unsupported = [&](const std::string& why) -> FormatError {
      return FormatError(source_ + ": " + why);
    };
    if (descr.size() >= 2 && descr[1] == 'O')
      throw unsupported(
          "dtype '" + descr +
          "' is an array of Python objects, stored as a pickle, and cairn "
          "refuses to unpickle data for safety (pickles can run arbitrary code); save a numeric "
          "array instead (for sequences, pad them to a fixed length first)");
    static const std::map<std::string, DType> kTypes = {{"f4", DType::Float32}, {"f8", DType::Float64},
                                                        {"i4", DType::Int32},   {"i8", DType::Int64},
                                                        {"u1", DType::UInt8},   {"b1", DType::Bool}};
    auto it = descr.size() == 3 ? kTypes.find(descr.substr(1)) : kTypes.end();
    char order = descr.empty() ? '?' : descr[0];
    bool known_order = order == '<' || order == '>' || order == '|' || order == '=';
    if (it == kTypes.end() || !known_order)
      throw unsupported("dtype '" + descr +
                        "' is not supported (float32, float64, int32, int64, uint8 and bool are)");
    Header header;
    header.dtype = it->second;
    bool multibyte = dtype_size(header.dtype) > 1;
    if (multibyte && order == '|') throw unsupported("dtype '" + descr + "' has no byte order");
    header.big_endian = multibyte && order == '>';
    return header;
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
};

void swap_bytes(uint8_t* data, size_t count, size_t width) {
  for (size_t i = 0; i < count; ++i) std::reverse(data + i * width, data + (i + 1) * width);
}

std::string shape_repr(const Shape& shape) {  // Python's repr of a tuple of ints
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

namespace {

constexpr size_t kPreambleSize = 12;  // magic, version and the longest (4-byte) header length

// Where an .npy file's data starts and what it holds, from its header alone.
struct Layout {
  Header header;
  uint64_t data_offset = 0;
  uint64_t elements = 0;
  uint64_t data_bytes = 0;
};

// Reads the magic, version, header length and header; `bytes` may end anywhere after the header.
Layout read_layout(std::span<const uint8_t> bytes, const std::string& source) {
  auto fail = [&](const std::string& what) {
    return FormatError(source + ": not a valid .npy file: " + what);
  };
  if (bytes.size() < kMagic.size() + 2 ||
      std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic)
    throw fail("missing the \\x93NUMPY magic");
  uint8_t major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    throw fail("format version " + std::to_string(major) + "." + std::to_string(minor) +
               " is not supported (1.0, 2.0 and 3.0 are)");
  size_t length_size = major == 1 ? 2 : 4;
  size_t header_start = 8 + length_size;
  if (bytes.size() < header_start) throw fail("truncated header length");
  size_t header_length =
      major == 1 ? coding::decode_fixed16(&bytes[8]) : coding::decode_fixed32(&bytes[8]);
  if (header_length > bytes.size() - header_start)
    throw fail("header of " + std::to_string(header_length) + " bytes overruns the file");
  std::string_view text(reinterpret_cast<const char*>(bytes.data()) + header_start, header_length);
  Layout layout;
  layout.header = HeaderParser(text, source).parse();
  layout.data_offset = header_start + header_length;

  // Dimensions are below 2^62 and their nonzero product is kept below 2^62 too, so no product of
  // them overflows, and times an item size of at most 8 neither does the byte count.
  uint64_t nonzero_product = 1;
  bool empty = false;
  for (int64_t dim : layout.header.shape) {
    if (dim == 0) {
      empty = true;
    } else if (nonzero_product > (uint64_t{1} << 62) / static_cast<uint64_t>(dim)) {
      throw fail("shape " + shape_str(layout.header.shape) + " is too large");
    } else {
      nonzero_product *= static_cast<uint64_t>(dim);
    }
  }
  layout.elements = empty ? 0 : nonzero_product;
  const uint64_t item_size = dtype_size(layout.header.dtype);
  if (layout.elements > UINT64_MAX / item_size) throw fail("shape " + shape_str(layout.header.shape) + " is too large");
  layout.data_bytes = layout.elements * item_size;
  return layout;
}

std::string describe_data(const Layout& layout) {
  return "shape " + shape_str(layout.header.shape) + " of " + std::string(dtype_name(layout.header.dtype)) +
         " needs " + std::to_string(layout.data_bytes) + " bytes of data";
}

}  // namespace

Tensor decode_npy(std::span<const uint8_t> bytes, const std::string& source) {
  const Layout layout = read_layout(bytes, source);
  // Checked against the file before the tensor is allocated.
  const uint64_t available = bytes.size() - layout.data_offset;
  if (available < layout.data_bytes)
    throw FormatError(source + ": not a valid .npy file: shape " + shape_str(layout.header.shape) +
                      " needs more data than the file's " + std::to_string(available) + " bytes");
  if (available != layout.data_bytes)
    throw FormatError(source + ": not a valid .npy file: " + describe_data(layout) + ", the file has " +
                      std::to_string(available));

  Tensor tensor(layout.header.shape, layout.header.dtype);
  uint8_t* out = static_cast<uint8_t*>(tensor.raw_data());
  if (layout.data_bytes) std::memcpy(out, bytes.data() + layout.data_offset, layout.data_bytes);
  if (layout.header.big_endian) swap_bytes(out, layout.elements, dtype_size(layout.header.dtype));
  if (layout.header.dtype == DType::Bool)  // any other byte value would be an invalid C++ bool
    for (size_t i = 0; i < layout.elements; ++i) out[i] = out[i] != 0;
  return tensor;
}

std::vector<uint8_t> encode_npy(const Tensor& tensor) {
  const Shape& shape = tensor.shape();
  std::string dict = "{'descr': '" + descr_for(tensor.dtype()) +
                     "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  if (!shape.empty()) dict.append(kGrowthAxisDigits - std::to_string(shape[0]).size(), ' ');
  // Like numpy's _wrap_header: pad with spaces and a final newline so the data starts 64-byte aligned;
  // version 2.0 (4-byte length) only when the header does not fit version 1.0's 2-byte length.
  auto padded_length = [&](size_t prefix) {
    size_t with_newline = dict.size() + 1;
    return with_newline + kAlign - (prefix + with_newline) % kAlign;
  };
  bool version2 = padded_length(10) > 0xffff;
  size_t prefix = version2 ? 12 : 10;
  size_t header_length = padded_length(prefix);

  std::vector<uint8_t> out;
  out.reserve(prefix + header_length + tensor.nbytes());
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  out.push_back(version2 ? 2 : 1);
  out.push_back(0);
  if (version2)
    coding::put_fixed32(out, static_cast<uint32_t>(header_length));
  else
    coding::put_fixed16(out, static_cast<uint16_t>(header_length));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), header_length - dict.size() - 1, ' ');
  out.push_back('\n');
  const uint8_t* data = static_cast<const uint8_t*>(tensor.raw_data());
  out.insert(out.end(), data, data + tensor.nbytes());
  return out;
}

Tensor load_npy(const std::string& path) { return decode_npy(data_internal::read_file_bytes(path), path); }

void save_npy(const std::string& path, const Tensor& tensor, Env& env) {
  data_internal::write_file_bytes(path, encode_npy(tensor), env);
}

// Each member's npy header is read first and must agree with the member's declared size, so a member
// is inflated only when its bytes are exactly the array its header declares; members are decoded one at a
// time, so only one inflated member is held beside the arrays.
std::vector<NamedTensor> load_npz(const std::string& path) {
  const std::vector<uint8_t> bytes = data_internal::read_file_bytes(path);
  const ZipArchive archive(bytes, path);
  std::vector<NamedTensor> arrays;
  for (const ZipMember& member : archive.members()) {
    constexpr std::string_view kSuffix = ".npy";
    const std::string source = path + ": member '" + member.name + "'";
    if (member.name.size() <= kSuffix.size() || !member.name.ends_with(kSuffix))
      throw FormatError(path + ": member '" + member.name + "' is not an .npy array");
    const std::vector<uint8_t> preamble = archive.read_prefix(member, kPreambleSize);
    const size_t header_length =
        preamble.size() < kPreambleSize ? 0
        : preamble[6] == 1              ? coding::decode_fixed16(&preamble[8])
                                        : coding::decode_fixed32(&preamble[8]);
    const Layout layout = read_layout(archive.read_prefix(member, kPreambleSize + header_length), source);
    if (layout.data_offset > member.size || member.size - layout.data_offset != layout.data_bytes)
      throw FormatError(source + ": " + describe_data(layout) + ", but the member declares " +
                        std::to_string(member.size) + " bytes in all, " +
                        std::to_string(member.size - std::min(member.size, layout.data_offset)) + " after the header");
    Tensor tensor = decode_npy(archive.read(member), source);
    arrays.push_back({member.name.substr(0, member.name.size() - kSuffix.size()), std::move(tensor)});
  }
  return arrays;
}

void save_npz(const std::string& path, const std::vector<NamedTensor>& arrays, Env& env) {
  std::vector<ZipEntry> entries;
  entries.reserve(arrays.size());
  for (const NamedTensor& array : arrays) {
    if (!array.tensor.defined())
      throw InvalidArgument("save_npz " + path + ": array '" + array.name + "' is undefined");
    entries.push_back({array.name + ".npy", encode_npy(array.tensor)});
  }
  write_zip(path, entries, env);
}

}  // namespace cairn
