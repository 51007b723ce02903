// CRC-32C (Castagnoli), the checksum of TensorFlow checkpoints, LevelDB tables and TFRecord files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::crc32c {

// The CRC of data appended to bytes whose CRC was crc: extend(value(a), b) == value(a + b).
uint32_t extend(uint32_t crc, const void* data, size_t n);
// Table-driven version of extend, always available; extend uses SSE4.2's CRC32 instruction instead when
// the CPU has it (checked at run time: builds target the x86-64 baseline, which lacks it).
uint32_t extend_portable(uint32_t crc, const void* data, size_t n);
// Whether extend uses the CRC32 instruction on this CPU.
bool uses_crc32_instruction();

inline uint32_t value(const void* data, size_t n) { return extend(0, data, n); }
inline uint32_t value(std::string_view data) { return extend(0, data.data(), data.size()); }
inline uint32_t extend(uint32_t crc, std::string_view data) { return extend(crc, data.data(), data.size()); }

// Stored CRCs are masked, because a CRC computed over bytes that contain CRCs is weak.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rotated = masked - kMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

}  // namespace cairn::crc32c
