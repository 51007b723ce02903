// Sanitizer settings for the fuzz targets that drive the HDF5 C library; include it in one source file of
// such a target. Only the libFuzzer binaries get them.
#pragma once

#ifdef CAIRN_LIBFUZZER
// A damaged size field makes libhdf5 ask malloc for an impossible size (such as 2^64 - 80 bytes). glibc's
// malloc returns NULL, which libhdf5 checks and reports as an error, and cairn as a FormatError; by
// default ASan aborts instead. Allocations cairn makes with new still throw std::bad_alloc, which escapes
// the harness, and allocations of more than 1 GB that succeed are still reported (-malloc_limit_mb).
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
// libhdf5 leaks small blocks on some of its own error paths (after such a failed allocation, for one).
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }
#endif

#include <cstdlib>

// libhdf5's own infinite loops end in File::open's rehearsal process; 2 s is ample for the fuzzers' small
// inputs and well under libFuzzer's time limit for one input.
inline const bool cairn_hdf5_read_timeout_set = setenv("CAIRN_HDF5_READ_TIMEOUT", "2", 0) == 0;
