#include "cairn/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <set>
#include <string_view>
#include <unordered_map>

#include "cairn/error.h"
#include "cairn/internal/io/coding.h"
#include "file_util.h"

namespace cairn {

// The file's data is little-endian and is copied into tensors as it is.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference reader's limit
constexpr size_t kHeaderAlignment = 8;             // the reference writer pads the header to this
constexpr int kMaxJsonDepth = 128;                 // serde_json's recursion limit
constexpr std::string_view kMetadataKey = "__metadata__";

struct FileDType {
  std::string_view name;
  unsigned bits;
  std::optional<DType> read_as;
};

// The format's dtypes in the reference's "alignment order": its writer places tensors of later dtypes
// first, so that each tensor starts at a multiple of its element size.
constexpr FileDType kFileDTypes[] = {
    {"BOOL", 8, DType::Bool},         {"F4", 4, std::nullopt},          {"F6_E2M3", 6, std::nullopt},
    {"F6_E3M2", 6, std::nullopt},     {"U8", 8, DType::UInt8},          {"I8", 8, std::nullopt},
    {"F8_E5M2", 8, std::nullopt},     {"F8_E4M3", 8, std::nullopt},     {"F8_E8M0", 8, std::nullopt},
    {"F8_E4M3FNUZ", 8, std::nullopt}, {"F8_E5M2FNUZ", 8, std::nullopt}, {"I16", 16, std::nullopt},
    {"U16", 16, std::nullopt},        {"F16", 16, DType::Float32},      {"BF16", 16, DType::Float32},
    {"I32", 32, DType::Int32},        {"U32", 32, std::nullopt},        {"F32", 32, DType::Float32},
    {"C64", 64, std::nullopt},        {"F64", 64, DType::Float64},      {"I64", 64, DType::Int64},
    {"U64", 64, std::nullopt},
};

const FileDType* find_file_dtype(std::string_view name) {
  for (const FileDType& dtype : kFileDTypes)
    if (dtype.name == name) return &dtype;
  return nullptr;
}

// The file dtype cairn writes for an engine dtype, as an index into kFileDTypes.
size_t file_dtype_index(DType dtype) {
  // Indexed by DType: Float32, Float64, Int32, Int64, UInt8, Bool.
  constexpr std::string_view kNames[] = {"F32", "F64", "I32", "I64", "U8", "BOOL"};
  return static_cast<size_t>(find_file_dtype(kNames[static_cast<size_t>(dtype)]) - kFileDTypes);
}

// A key as error messages show it: quoted, with control characters escaped.
std::string quoted(std::string_view key) {
  std::string out = "'";
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02x", byte);
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "'";
}

// The offset of the first byte of text that is not valid UTF-8 (overlong forms, surrogates and code
// points beyond U+10FFFF are invalid, as Rust's str requires), or npos.
size_t invalid_utf8_at(std::string_view text) {
  constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if ((lead & 0xe0) == 0xc0) {
      length = 2, code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, code_point = lead & 0x07;
    } else {
      return i;
    }
    if (length > text.size() - i) return i;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    if (code_point < kMinimum[length] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff))
      return i;
    i += length;
  }
  return std::string_view::npos;
}

struct Header {
  std::vector<std::string> keys;
  std::vector<SafetensorsInfo> infos;
  std::vector<unsigned> bits;  // per tensor, of its dtype
  std::map<std::string, std::string> metadata;
};

// The header's JSON, parsed for exactly the reference's schema: an object of key -> {"dtype": string,
// "shape": [uint...], "data_offsets": [uint, uint]} plus an optional "__metadata__": {string: string}
// (or null). Unknown fields of an entry are skipped whatever their JSON value. The text is valid UTF-8.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  Header parse() {
    skip_space();
    if (!at('{')) fail("the header is not a JSON object" + found());
    ++pos_;
    std::set<std::string, std::less<>> seen;
    bool metadata_seen = false;
    skip_space();
    if (!consume('}')) {
      do {
        std::string key = parse_string("a tensor key");
        skip_space();
        expect(':', "after key " + quoted(key));
        skip_space();
        if (key == kMetadataKey) {
          if (metadata_seen) fail("\"__metadata__\" appears twice");
          metadata_seen = true;
          parse_metadata();
        } else {
          if (!seen.insert(key).second) fail("tensor " + quoted(key) + " appears twice");
          parse_entry(std::move(key));
        }
      } while (next_item('}', "or ',' after an entry"));
    }
    skip_space();
    if (pos_ != text_.size()) fail("characters after the header's JSON object" + found());
    return std::move(header_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(path_ + ": not a valid safetensors file: " + what + " (header byte " +
                      std::to_string(pos_) + ")");
  }

  std::string found() const {
    if (pos_ >= text_.size()) return ", found the end of the header";
    return ", found " + quoted(text_.substr(pos_, 1));
  }

  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void expect(char c, const std::string& context) {
    if (!at(c)) fail("expected '" + std::string(1, c) + "' " + context + found());
    ++pos_;
  }

  bool consume(char c) {
    if (!at(c)) return false;
    ++pos_;
    return true;
  }

  // After an element of an array or a member of an object: true when a ',' says that another follows
  // (the space after it skipped), false when `close` ends the container; anything else fails.
  bool next_item(char close, const std::string& context) {
    skip_space();
    if (consume(',')) {
      skip_space();
      return true;
    }
    expect(close, context);
    return false;
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  uint32_t parse_hex4() {
    if (text_.size() - pos_ < 4) fail("truncated \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        --pos_;
        fail("invalid \\u escape" + found());
      }
      value = value * 16 + digit;
    }
    return value;
  }

  std::string parse_string(const std::string& what) {
    if (!at('"')) fail("expected " + what + " (a JSON string)" + found());
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        fail("control character in a string");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("unterminated string");
      char escape = text_[pos_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t code_point = parse_hex4();
          if (code_point >= 0xdc00 && code_point <= 0xdfff) fail("lone low surrogate in a \\u escape");
          if (code_point >= 0xd800 && code_point <= 0xdbff) {
            if (text_.substr(pos_, 2) != "\\u") fail("lone high surrogate in a \\u escape");
            pos_ += 2;
            uint32_t low = parse_hex4();
            if (low < 0xdc00 || low > 0xdfff)
              fail("high surrogate not followed by a low one in a \\u escape");
            code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
          }
          coding::append_utf8(out, code_point);
          break;
        }
        default:
          --pos_;
          fail("invalid escape in a string" + found());
      }
    }
  }

  // A JSON integer in [0, 2^64): what serde accepts for a usize.
  uint64_t parse_uint(const std::string& what) {
    if (at('-')) fail(what + " is negative");
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9')
      fail(what + " is not a non-negative integer" + found());
    uint64_t value = 0;
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      auto digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
        fail(what + " does not fit in 64 bits");
      value = value * 10 + digit;
      ++pos_;
    }
    if (text_[start] == '0' && pos_ - start > 1) fail(what + " has a leading zero");
    if (at('.') || at('e') || at('E')) fail(what + " is not an integer");
    return value;
  }

  std::vector<uint64_t> parse_uint_array(const std::string& what) {
    if (!at('[')) fail(what + " is not a JSON array" + found());
    ++pos_;
    std::vector<uint64_t> values;
    skip_space();
    if (consume(']')) return values;
    do {
      values.push_back(parse_uint("an element of " + what));
    } while (next_item(']', "or ',' in " + what));
    return values;
  }

  void parse_entry(std::string key) {
    std::string name = "tensor " + quoted(key);
    if (!at('{')) fail(name + " is not a JSON object" + found());
    ++pos_;
    std::optional<std::string> dtype;
    std::optional<std::vector<uint64_t>> shape, offsets;
    skip_space();
    if (!consume('}')) {
      do {
        std::string field = parse_string("a field name of " + name);
        skip_space();
        expect(':', "after field \"" + field + "\" of " + name);
        skip_space();
        auto once = [&](bool already) {
          if (already) fail(name + " has field \"" + field + "\" twice");
        };
        if (field == "dtype") {
          once(dtype.has_value());
          dtype = parse_string("the dtype of " + name);
        } else if (field == "shape") {
          once(shape.has_value());
          shape = parse_uint_array("the shape of " + name);
        } else if (field == "data_offsets") {
          once(offsets.has_value());
          offsets = parse_uint_array("the data_offsets of " + name);
          if (offsets->size() != 2)
            fail("the data_offsets of " + name + " have " + std::to_string(offsets->size()) +
                 " elements instead of 2");
        } else {
          skip_value(1);
        }
      } while (next_item('}', "or ',' in " + name));
    }
    if (!dtype) fail(name + " has no \"dtype\"");
    if (!shape) fail(name + " has no \"shape\"");
    if (!offsets) fail(name + " has no \"data_offsets\"");
    const FileDType* file_dtype = find_file_dtype(*dtype);
    if (file_dtype == nullptr) fail(name + " has unknown dtype " + quoted(*dtype));

    SafetensorsInfo info{.dtype = *dtype, .read_dtype = file_dtype->read_as};
    for (uint64_t dim : *shape) {
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(name + " has dimension " + std::to_string(dim) + ", beyond the 2^63 - 1 that cairn can hold");
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    info.begin = (*offsets)[0];
    info.end = (*offsets)[1];
    header_.keys.push_back(std::move(key));
    header_.infos.push_back(std::move(info));
    header_.bits.push_back(file_dtype->bits);
  }

  void parse_metadata() {
    if (text_.substr(pos_, 4) == "null") {  // serde reads null as "no metadata"
      pos_ += 4;
      return;
    }
    if (!at('{')) fail("\"__metadata__\" is not a JSON object" + found());
    ++pos_;
    skip_space();
    if (consume('}')) return;
    do {
      std::string key = parse_string("a \"__metadata__\" key");
      skip_space();
      expect(':', "after \"__metadata__\" key " + quoted(key));
      skip_space();
      if (!at('"')) fail("\"__metadata__\" value of " + quoted(key) + " is not a string" + found());
      std::string value = parse_string("a \"__metadata__\" value");
      if (!header_.metadata.emplace(key, std::move(value)).second)
        fail("\"__metadata__\" key " + quoted(key) + " appears twice");
    } while (next_item('}', "or ',' in \"__metadata__\""));
  }

  void skip_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) fail("invalid JSON value" + found());
    pos_ += literal.size();
  }

  void skip_number() {
    auto digits = [&] {
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == start) fail("invalid JSON number" + found());
    };
    if (at('-')) ++pos_;
    if (at('0')) {
      ++pos_;
    } else {
      digits();
    }
    if (at('.')) {
      ++pos_;
      digits();
    }
    if (at('e') || at('E')) {
      ++pos_;
      if (at('+') || at('-')) ++pos_;
      digits();
    }
  }

  // Any JSON value, as the value of a field the schema does not have.
  void skip_value(int depth) {
    if (depth > kMaxJsonDepth) fail("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    if (pos_ >= text_.size()) fail("expected a JSON value" + found());
    char c = text_[pos_];
    if (c == '"') {
      parse_string("a string");
    } else if (c == 't') {
      skip_literal("true");
    } else if (c == 'f') {
      skip_literal("false");
    } else if (c == 'n') {
      skip_literal("null");
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      skip_number();
    } else if (c == '[' || c == '{') {
      char close = c == '[' ? ']' : '}';
      ++pos_;
      skip_space();
      if (consume(close)) return;
      do {
        if (close == '}') {
          parse_string("an object key");
          skip_space();
          expect(':', "after an object key");
          skip_space();
        }
        skip_value(depth + 1);
      } while (next_item(close, "or ','"));
    } else {
      fail("expected a JSON value" + found());
    }
  }

  std::string_view text_;
  const std::string& path_;
  size_t pos_ = 0;
  Header header_;
};

// The reference's Metadata::validate plus the file-size check of read_metadata: the tensors, in the
// order of their offsets, tile [0, data_bytes) exactly, each with its shape's size.
void validate(const Header& header, uint64_t data_bytes, const std::string& path) {
  auto fail = [&](size_t i, const std::string& what) {
    throw FormatError(path + ": not a valid safetensors file: tensor " + quoted(header.keys[i]) + " " + what);
  };
  std::vector<size_t> order(header.infos.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const SafetensorsInfo& x = header.infos[a];
    const SafetensorsInfo& y = header.infos[b];
    return x.begin != y.begin ? x.begin < y.begin : x.end < y.end;
  });
  uint64_t next = 0;
  for (size_t i : order) {
    const SafetensorsInfo& info = header.infos[i];
    std::string range = "[" + std::to_string(info.begin) + ", " + std::to_string(info.end) + ")";
    if (info.end < info.begin) fail(i, "has data_offsets " + range + " that end before they begin");
    if (info.begin != next)
      fail(i, "has data_offsets " + range + ", but the tensors before it in the file end at byte " +
                  std::to_string(next) + (info.begin < next ? " (they overlap)" : " (a gap)"));
    next = info.end;
    // Checked like the reference (a product that overflows fails even if a later dimension is 0),
    // within int64 because that is what cairn's shapes count elements in.
    int64_t elements = 1;
    for (int64_t dim : info.shape)
      if (__builtin_mul_overflow(elements, dim, &elements))
        fail(i, "has shape " + shape_str(info.shape) + ", whose number of elements overflows");
    uint64_t bits;
    if (__builtin_mul_overflow(static_cast<uint64_t>(elements), uint64_t{header.bits[i]}, &bits))
      fail(i, "has shape " + shape_str(info.shape) + ", whose size overflows");
    if (bits % 8 != 0)
      fail(i, "of dtype " + info.dtype + " and shape " + shape_str(info.shape) +
                  " is not a whole number of bytes");
    if (info.end - info.begin != bits / 8)
      fail(i, "of dtype " + info.dtype + " and shape " + shape_str(info.shape) + " needs " +
                  std::to_string(bits / 8) + " bytes, but its data_offsets " + range + " hold " +
                  std::to_string(info.end - info.begin));
  }
  if (next != data_bytes) {
    std::string what =
        next > data_bytes
            ? "the tensors need " + std::to_string(next) + " bytes of data but the file has " +
                  std::to_string(data_bytes) + " (truncated?)"
            : "the file has " + std::to_string(data_bytes - next) + " bytes after the end of the last tensor";
    if (order.empty()) throw FormatError(path + ": not a valid safetensors file: " + what);
    fail(order.back(), "ends the tensors' data, but " + what);
  }
}

float half_to_float(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {  // infinity or NaN, payload kept
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal: rebias the exponent from 15 to 127
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else {  // zero or subnormal: mantissa * 2^-24, exact in float
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(bits);
}

// serde_json's escaping (which Python's json.dumps with ensure_ascii=False shares): quote, backslash
// and control characters; everything else, UTF-8 included, as it is.
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

struct SafetensorsFile::Impl {
  Impl(const std::string& file_path, Env& env) : path(file_path), mapping(env.map_file(file_path)) {}

  const SafetensorsInfo& lookup(const std::string& key) const {
    auto it = index.find(key);
    if (it == index.end())
      throw InvalidArgument("safetensors file " + path + " has no tensor " + quoted(key));
    return infos[it->second];
  }

  std::string path;
  std::unique_ptr<ReadOnlyMemoryRegion> mapping;
  uint64_t data_start = 0;
  std::vector<std::string> keys;
  std::vector<SafetensorsInfo> infos;
  std::unordered_map<std::string, size_t> index;
  std::map<std::string, std::string> metadata;
};

SafetensorsFile::SafetensorsFile(const std::string& path, Env& env) : impl_(std::make_unique<Impl>(path, env)) {
  Impl& f = *impl_;
  auto fail = [&](const std::string& what) {
    throw FormatError(path + ": not a valid safetensors file: " + what);
  };
  const uint64_t file_size = f.mapping->size();
  if (file_size < 8)
    fail("the file has " + std::to_string(file_size) + " bytes, fewer than the 8 of the header length");
  uint64_t header_bytes = coding::decode_fixed64(f.mapping->data());
  if (header_bytes > kMaxHeaderBytes)
    fail("the header length " + std::to_string(header_bytes) + " exceeds the limit of " +
         std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_bytes > file_size - 8)
    fail("the header length " + std::to_string(header_bytes) + " overruns the file of " +
         std::to_string(file_size) + " bytes");
  std::string_view text(reinterpret_cast<const char*>(f.mapping->data()) + 8, header_bytes);
  if (size_t bad = invalid_utf8_at(text); bad != std::string_view::npos)
    fail("the header is not valid UTF-8 (header byte " + std::to_string(bad) + ")");
  Header header = HeaderParser(text, path).parse();
  f.data_start = 8 + header_bytes;
  validate(header, file_size - f.data_start, path);

  f.keys = std::move(header.keys);
  f.infos = std::move(header.infos);
  f.metadata = std::move(header.metadata);
  f.index.reserve(f.keys.size());
  for (size_t i = 0; i < f.keys.size(); ++i) f.index.emplace(f.keys[i], i);
}

SafetensorsFile::~SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;

const std::string& SafetensorsFile::path() const { return impl_->path; }
const std::vector<std::string>& SafetensorsFile::keys() const { return impl_->keys; }
bool SafetensorsFile::contains(const std::string& key) const { return impl_->index.contains(key); }
const SafetensorsInfo& SafetensorsFile::info(const std::string& key) const { return impl_->lookup(key); }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return impl_->metadata; }
uint64_t SafetensorsFile::data_start() const { return impl_->data_start; }

std::span<const uint8_t> SafetensorsFile::raw_bytes(const std::string& key) const {
  const SafetensorsInfo& info = impl_->lookup(key);
  return {impl_->mapping->data() + impl_->data_start + info.begin, static_cast<size_t>(info.end - info.begin)};
}

Tensor SafetensorsFile::read(const std::string& key) const {
  const SafetensorsInfo& info = impl_->lookup(key);
  if (!info.read_dtype)
    throw FormatError(
        impl_->path + ": tensor " + quoted(key) + " has dtype " + info.dtype +
        ", which cairn cannot read (it reads F32, F64, I32, I64, U8 and BOOL, and F16 and BF16 as "
        "float32)");
  std::span<const uint8_t> bytes = raw_bytes(key);
  Tensor tensor(info.shape, *info.read_dtype);
  if (info.dtype == "F16" || info.dtype == "BF16") {
    float* out = tensor.data<float>();
    bool brain = info.dtype == "BF16";
    for (size_t i = 0; i < bytes.size() / 2; ++i) {
      uint16_t half = coding::decode_fixed16(bytes.data() + 2 * i);
      out[i] = brain ? std::bit_cast<float>(static_cast<uint32_t>(half) << 16) : half_to_float(half);
    }
    return tensor;
  }
  if (info.dtype == "BOOL") {  // any other byte value would be an invalid C++ bool
    auto bad = std::find_if(bytes.begin(), bytes.end(), [](uint8_t b) { return b > 1; });
    if (bad != bytes.end())
      throw FormatError(impl_->path + ": tensor " + quoted(key) + " of dtype BOOL has byte " +
                        std::to_string(*bad) + " (neither 0 nor 1) at element " +
                        std::to_string(bad - bytes.begin()));
  }
  if (!bytes.empty()) std::memcpy(tensor.raw_data(), bytes.data(), bytes.size());
  return tensor;
}

std::vector<NamedTensor> load_safetensors(const std::string& path) {
  SafetensorsFile file(path);
  std::vector<NamedTensor> tensors;
  tensors.reserve(file.keys().size());
  for (const std::string& key : file.keys()) tensors.push_back({key, file.read(key)});
  return tensors;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  save_safetensors(Env::Default(), path, tensors, metadata);
}

void save_safetensors(Env& env, const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  auto invalid = [&](const std::string& what) {
    return InvalidArgument("save_safetensors " + path + ": " + what);
  };
  std::set<std::string_view> names;
  for (const NamedTensor& named : tensors) {
    if (!named.tensor.defined()) throw invalid("tensor " + quoted(named.name) + " is undefined");
    if (named.name == kMetadataKey) throw invalid("\"__metadata__\" is reserved and cannot name a tensor");
    if (invalid_utf8_at(named.name) != std::string_view::npos)
      throw invalid("tensor name " + quoted(named.name) + " is not valid UTF-8");
    if (!names.insert(named.name).second) throw invalid("tensor " + quoted(named.name) + " is given twice");
  }
  for (const auto& [key, value] : metadata)
    if (invalid_utf8_at(key) != std::string_view::npos || invalid_utf8_at(value) != std::string_view::npos)
      throw invalid("metadata entry " + quoted(key) + " is not valid UTF-8");

  std::vector<const NamedTensor*> order;
  for (const NamedTensor& named : tensors) order.push_back(&named);
  std::stable_sort(order.begin(), order.end(), [](const NamedTensor* a, const NamedTensor* b) {
    size_t x = file_dtype_index(a->tensor.dtype()), y = file_dtype_index(b->tensor.dtype());
    return x != y ? x > y : a->name < b->name;
  });

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
      if (it != metadata.begin()) header += ',';
      append_json_string(header, it->first);
      header += ':';
      append_json_string(header, it->second);
    }
    header += '}';
  }
  uint64_t offset = 0;
  for (const NamedTensor* named : order) {
    if (header.size() > 1) header += ',';
    append_json_string(header, named->name);
    header += ":{\"dtype\":\"";
    header += kFileDTypes[file_dtype_index(named->tensor.dtype())].name;
    header += "\",\"shape\":[";
    const Shape& shape = named->tensor.shape();
    for (size_t i = 0; i < shape.size(); ++i) header += (i ? "," : "") + std::to_string(shape[i]);
    uint64_t end = offset + named->tensor.nbytes();
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  header += '}';
  header.append((kHeaderAlignment - header.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));

  // Streamed rather than assembled in memory, so that saving a large model needs no second copy of it.
  write_file_atomically(env, path, [&](WritableFile& file) {
    file.append(length);
    file.append(header);
    for (const NamedTensor* named : order)
      if (named->tensor.nbytes() > 0)
        file.append(std::string_view(static_cast<const char*>(named->tensor.raw_data()), named->tensor.nbytes()));
  });
}

}  // namespace cairn
