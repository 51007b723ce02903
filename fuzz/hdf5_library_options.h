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

#include <fcntl.h>
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#include <unistd.h>

// File::open reads a file in a child process first, so that libhdf5's own crashes on damaged files end
// there and become a FormatError in the process that asked. Under the sanitizers the child would report
// such a crash as the fuzzer's: in the child, a sanitizer report just ends it (quietly, with a status that
// File::open turns into the FormatError), and the fuzzer goes on with cairn's own code.
inline void quiet_rehearsal_child() {
  __sanitizer_set_death_callback([] { _exit(77); });
  const int null = open("/dev/null", O_WRONLY);
  if (null >= 0) dup2(null, 2);
}
inline const bool cairn_rehearsal_child_quiet = pthread_atfork(nullptr, nullptr, quiet_rehearsal_child) == 0;
#endif

#include <cstdlib>

// libhdf5's own infinite loops end in File::open's rehearsal process; 2 s is ample for the fuzzers' small
// inputs and well under libFuzzer's time limit for one input.
inline const bool cairn_hdf5_read_timeout_set = setenv("CAIRN_HDF5_READ_TIMEOUT", "2", 0) == 0;
