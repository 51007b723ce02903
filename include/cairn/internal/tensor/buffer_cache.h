// Memory for tensors and kernels' scratch arrays, recycled within the process. A training step frees
// and allocates the same buffers every time; through glibc each one costs an aligned allocation that
// bypasses malloc's per-thread cache and first consolidates its free small chunks (measured: 10-14% of
// a moons_mlp step), and each large one used to cost fresh pages too. Freed blocks wait in per-size
// lists for the next request of their size class (4 classes per doubling, so at most 25% unused);
// at most kMaxCachedBytes stay cached, beyond that they go back to the heap.
#pragma once

#include <cstddef>

namespace cairn::kernels {

inline constexpr size_t kBufferAlignment = 64;
inline constexpr size_t kMaxCachedBytes = size_t{256} << 20;

// Under AddressSanitizer blocks are not recycled and are only as long as asked (rounded up to
// kBufferAlignment), so that a use after free or a read past a tensor's end is reported.
inline constexpr bool kAddressSanitizer =
#if defined(__SANITIZE_ADDRESS__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

// The capacity a request of `bytes` gets (a multiple of kBufferAlignment, at least kBufferAlignment):
// its size class's, or under AddressSanitizer the least such multiple.
size_t buffer_capacity(size_t bytes);

// kBufferAlignment-aligned, uninitialized, `buffer_capacity(bytes)` bytes long; throws std::bad_alloc.
void* allocate_buffer(size_t bytes);

// Returns a block from allocate_buffer(bytes), with the same `bytes`; null is ignored.
void release_buffer(void* block, size_t bytes);

}  // namespace cairn::kernels
