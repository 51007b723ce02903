#include "cairn/internal/tensor/buffer_cache.h"

#include <pthread.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace cairn::kernels {

namespace {

// Size classes in units of kBufferAlignment: 1..8 units one by one, then 4 classes per doubling.
struct SizeClass {
  size_t index, capacity;
};

SizeClass size_class(size_t bytes) {
  const size_t units = bytes == 0 ? 1 : (bytes - 1) / kBufferAlignment + 1;
  if (units <= 8) return {units - 1, units * kBufferAlignment};
  const int shift = std::bit_width(units - 1) - 3;  // >= 1
  const size_t quarter = ((units - 1) >> shift) + 1;  // 5..8
  return {8 + static_cast<size_t>(shift - 1) * 4 + (quarter - 5), (quarter << shift) * kBufferAlignment};
}

constexpr size_t kClasses = 8 + 4 * 64;

struct Cache {
  std::mutex mutex;
  std::vector<void*> free[kClasses];
  size_t bytes = 0;
};

Cache& cache() {
  // Never destroyed: tensors may die during static destruction.
  static Cache* instance = [] {
    auto* created = new Cache;
    // A child forked while another thread holds the lock (hdf5.cc forks to rehearse a read) would wait
    // for it forever: the lock is held across fork, as malloc holds its own.
    pthread_atfork([] { cache().mutex.lock(); }, [] { cache().mutex.unlock(); }, [] { cache().mutex.unlock(); });
    return created;
  }();
  return *instance;
}

void* fresh_block(size_t capacity) {
  void* block = std::aligned_alloc(kBufferAlignment, capacity);
  if (!block) throw std::bad_alloc();
  return block;
}

}  // namespace

size_t buffer_capacity(size_t bytes) {
  if (bytes > SIZE_MAX / 2) throw std::bad_alloc();
  if constexpr (kAddressSanitizer) return (bytes == 0 ? 0 : (bytes - 1) / kBufferAlignment) * kBufferAlignment + kBufferAlignment;
  return size_class(bytes).capacity;
}

void* allocate_buffer(size_t bytes) {
  // Under AddressSanitizer every block comes from and goes back to the heap, so that a use after free
  // or a read past the end is reported.
  if constexpr (kAddressSanitizer) return fresh_block(buffer_capacity(bytes));
  if (bytes > SIZE_MAX / 2) throw std::bad_alloc();
  const SizeClass c = size_class(bytes);
  if (c.capacity <= kMaxCachedBytes) {
    Cache& k = cache();
    std::lock_guard lock(k.mutex);
    std::vector<void*>& list = k.free[c.index];
    if (!list.empty()) {
      void* block = list.back();
      list.pop_back();
      k.bytes -= c.capacity;
      return block;
    }
  }
  return fresh_block(c.capacity);
}

void release_buffer(void* block, size_t bytes) {
  if (!block) return;
  if constexpr (kAddressSanitizer) {
    std::free(block);
    return;
  }
  const SizeClass c = size_class(bytes);
  if (c.capacity <= kMaxCachedBytes) {
    Cache& k = cache();
    std::lock_guard lock(k.mutex);
    if (k.bytes + c.capacity <= kMaxCachedBytes) {
      try {
        k.free[c.index].push_back(block);
        k.bytes += c.capacity;
        return;
      } catch (const std::bad_alloc&) {  // no room to list it: the heap takes it back
      }
    }
  }
  std::free(block);
}

}  // namespace cairn::kernels
