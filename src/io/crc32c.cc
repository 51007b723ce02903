#include "cairn/internal/io/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace cairn::crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;  // reflected Castagnoli polynomial

// tables[k][b]: the CRC contribution of byte b followed by k zero bytes (slicing-by-8).
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
  std::array<std::array<uint32_t, 256>, 8> tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    tables[0][b] = crc;
  }
  for (int k = 1; k < 8; ++k)
    for (uint32_t b = 0; b < 256; ++b) tables[k][b] = (tables[k - 1][b] >> 8) ^ tables[0][tables[k - 1][b] & 0xff];
  return tables;
}

constexpr auto kTables = make_tables();

}  // namespace

uint32_t extend_portable(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint32_t low, high;
    std::memcpy(&low, p, 4);  // little-endian host, as everywhere in cairn's formats
    std::memcpy(&high, p + 4, 4);
    low ^= c;
    c = kTables[7][low & 0xff] ^ kTables[6][(low >> 8) & 0xff] ^ kTables[5][(low >> 16) & 0xff] ^
        kTables[4][low >> 24] ^ kTables[3][high & 0xff] ^ kTables[2][(high >> 8) & 0xff] ^
        kTables[1][(high >> 16) & 0xff] ^ kTables[0][high >> 24];
  }
  for (; n > 0; --n, ++p) c = kTables[0][(c ^ *p) & 0xff] ^ (c >> 8);
  return ~c;
}

namespace {

#if defined(__x86_64__)
// The CRC registers as polynomials over GF(2) modulo the Castagnoli polynomial, in the reflected bit
// order (bit 31 holds the coefficient of x^0).
constexpr uint32_t times_x(uint32_t a) { return (a >> 1) ^ ((a & 1) ? kPolynomial : 0); }

constexpr uint32_t multiply_modulo(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int degree = 0; degree < 32; ++degree, b = times_x(b))  // b is the second factor times x^degree
    if (a & (0x80000000u >> degree)) product ^= b;
  return product;
}

// Long buffers are checksummed as three streams of kStreamBytes at a time, because the CRC32
// instruction takes 3 cycles but can start every cycle: three independent chains ran 2.4 times as fast
// as one over 512 MB (docs/performance.md).
constexpr size_t kStreamBytes = 4096;

// The register after kStreamBytes zero bytes is the register times x^(8 kStreamBytes); the linear map
// as four tables, one per byte of the register.
constexpr std::array<std::array<uint32_t, 256>, 4> make_stream_shift_tables() {
  uint32_t x_power = 0x80000000u;  // x^0
  for (size_t bit = 0; bit < 8 * kStreamBytes; ++bit) x_power = times_x(x_power);
  std::array<std::array<uint32_t, 256>, 4> tables{};
  for (int k = 0; k < 4; ++k)
    for (uint32_t b = 0; b < 256; ++b) tables[k][b] = multiply_modulo(b << (8 * k), x_power);
  return tables;
}

constexpr auto kStreamShift = make_stream_shift_tables();

uint32_t shift_over_stream(uint32_t crc) {
  return kStreamShift[0][crc & 0xff] ^ kStreamShift[1][(crc >> 8) & 0xff] ^ kStreamShift[2][(crc >> 16) & 0xff] ^
         kStreamShift[3][crc >> 24];
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

// SSE4.2's CRC32 instruction computes CRC-32C, 8 bytes at a time. Compiled for SSE4.2 whatever the build
// targets (the x86-64 baseline lacks it) and called only when the CPU has it.
__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  // The register is linear in its start and the bytes: CRC(c, A B) = shift(CRC(c, A), |B|) ^ CRC(0, B).
  for (; n >= 3 * kStreamBytes; n -= 3 * kStreamBytes, p += 3 * kStreamBytes) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < kStreamBytes; i += 8) {
      c = _mm_crc32_u64(c, load64(p + i));
      c1 = _mm_crc32_u64(c1, load64(p + kStreamBytes + i));
      c2 = _mm_crc32_u64(c2, load64(p + 2 * kStreamBytes + i));
    }
    c = shift_over_stream(shift_over_stream(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1)) ^ c2;
  }
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, load64(p));
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}
#endif

using ExtendFunction = uint32_t (*)(uint32_t crc, const void* data, size_t n);

ExtendFunction fastest_extend() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // needed when this runs before the constructors, from another static initializer
  if (__builtin_cpu_supports("sse4.2")) return extend_sse42;
#endif
  return extend_portable;
}

}  // namespace

uint32_t extend(uint32_t crc, const void* data, size_t n) {
  // Chosen on first use rather than at static initialization, which may come after another file's use.
  static const ExtendFunction chosen = fastest_extend();
  return chosen(crc, data, n);
}

bool uses_crc32_instruction() { return fastest_extend() != extend_portable; }

}  // namespace cairn::crc32c
