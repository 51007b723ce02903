// Byte encodings shared by the file formats: little-endian fixed-width integers and base-128 varints (as
// LevelDB tables, TensorFlow bundles, zip, npy and safetensors files encode them) and UTF-8. Decoders
// never read past their input and report failure instead. Internal to cairn: the io module's interface
// to the modules above it, not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cairn::coding {

// A byte of a buffer being decoded or encoded: char (std::string) or uint8_t (std::vector<uint8_t>).
template <typename Byte>
concept ByteType = sizeof(Byte) == 1;

// Appends v in little-endian order to a std::string or a std::vector<uint8_t>.
template <typename Bytes>
inline void put_fixed(Bytes& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<typename Bytes::value_type>(v >> (8 * i)));
}
template <typename Bytes>
inline void put_fixed16(Bytes& out, uint16_t v) { put_fixed(out, v, 2); }
template <typename Bytes>
inline void put_fixed32(Bytes& out, uint32_t v) { put_fixed(out, v, 4); }
template <typename Bytes>
inline void put_fixed64(Bytes& out, uint64_t v) { put_fixed(out, v, 8); }

template <ByteType Byte>
inline uint64_t decode_fixed(const Byte* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
template <ByteType Byte>
inline uint16_t decode_fixed16(const Byte* p) { return static_cast<uint16_t>(decode_fixed(p, 2)); }
template <ByteType Byte>
inline uint32_t decode_fixed32(const Byte* p) { return static_cast<uint32_t>(decode_fixed(p, 4)); }
template <ByteType Byte>
inline uint64_t decode_fixed64(const Byte* p) { return decode_fixed(p, 8); }

// Big-endian, as the IDX files of MNIST store their dimensions.
template <ByteType Byte>
inline uint32_t decode_big_endian32(const Byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline void put_varint64(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline size_t varint_length(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

// Consumes a varint of at most max_bits bits from the front of in. False when it is cut off, longer
// than such a value can be, or does not fit.
inline bool get_varint(std::string_view& in, uint64_t& value, int max_bits = 64) {
  uint64_t result = 0;
  for (size_t i = 0, shift = 0; i < in.size() && shift < 64; ++i, shift += 7) {
    auto byte = static_cast<uint8_t>(in[i]);
    uint64_t bits = byte & 0x7f;
    if (shift == 63 && bits > 1) return false;
    result |= bits << shift;
    if ((byte & 0x80) == 0) {
      if (max_bits < 64 && (result >> max_bits) != 0) return false;
      in.remove_prefix(i + 1);
      value = result;
      return true;
    }
  }
  return false;
}

// Appends the UTF-8 encoding of a code point of at most 0x10ffff.
inline void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

}  // namespace cairn::coding
