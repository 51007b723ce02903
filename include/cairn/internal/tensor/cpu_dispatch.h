// Runtime CPU dispatch for cairn's own hot loops. Installed and packaged builds target the x86-64
// baseline (SSE2), where these loops would run 4 floats at a time, without FMA, and some not vectorized
// at all. A function marked CAIRN_DISPATCHED_KERNEL is compiled three times, for x86-64-v4 (AVX-512),
// x86-64-v3 (AVX2, FMA) and the build's own target, and the dynamic loader binds the best clone this
// CPU supports once, at startup (GCC's target_clones, through an ifunc); calls cost one indirect jump, so
// mark a loop over a whole array or row, not a per-element helper (those are inlined into each clone).
//
// Only with GCC on x86-64: clang 14 cannot clone function templates, and other architectures have no
// such levels. Elsewhere the macro is empty and the kernel is compiled once, for the build's target.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CAIRN_DISPATCHED_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CAIRN_DISPATCHED_KERNEL
#endif
