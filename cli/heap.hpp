// The heap of a short command-line run: grown in large steps and backed by
// 2 MB pages where the kernel offers them (see heap.cpp for why and how).
// Advice only: where it cannot be given, the run is as it would be without.
#pragma once

#include <cstdlib>  // defines __GLIBC__ where glibc is the C library

#include "cli/sanitizers.hpp"

// A sanitizer's allocator is not glibc's: there is nothing to advise then.
#if defined(__GLIBC__) && !CLEARBOUNCE_ADDRESS_SANITIZER
#define CLEARBOUNCE_GLIBC_HEAP 1
#else
#define CLEARBOUNCE_GLIBC_HEAP 0
#endif

namespace clearbounce::cli {

// First thing in main, before any thread starts.
void prepare_heap_for_short_run();

// First thing on each thread the command starts: a new thread gets a heap
// of its own from glibc.
void prepare_thread_heap();

}  // namespace clearbounce::cli
