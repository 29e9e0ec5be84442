// The heap of a short command-line run: grown in large steps and backed by
// 2 MB pages where the kernel offers them (see heap.cpp for why and how).
// Advice only: where it cannot be given, the run is as it would be without.
#pragma once

#include <cstdlib>  // defines __GLIBC__ where glibc is the C library

// Sanitizers bring their own allocator: there is nothing to advise then.
#if defined(__SANITIZE_ADDRESS__)
#define CLEARBOUNCE_GLIBC_HEAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLEARBOUNCE_GLIBC_HEAP 0
#endif
#endif
#if !defined(CLEARBOUNCE_GLIBC_HEAP) && defined(__GLIBC__)
#define CLEARBOUNCE_GLIBC_HEAP 1
#endif
#if !defined(CLEARBOUNCE_GLIBC_HEAP)
#define CLEARBOUNCE_GLIBC_HEAP 0
#endif

namespace clearbounce::cli {

// First thing in main, before any thread starts.
void prepare_heap_for_short_run();

// First thing on each thread the command starts: a new thread gets a heap
// of its own from glibc.
void prepare_thread_heap();

}  // namespace clearbounce::cli
