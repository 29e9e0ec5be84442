#include "cli/heap.hpp"

// Why: a `classify` run over a few hundred bounces lasts tens of
// milliseconds, and on a virtual machine a third of that went to the kernel
// and the processor's page tables rather than to reading bounces: each
// first touch of a 4 KB page of heap is a fault (about 1,700 of them), and
// each miss of the translation cache walks two levels of page tables, the
// guest's and the host's. Backed by 2 MB pages, the same heap takes a few
// dozen faults and far fewer misses (bench/README.md has the figures).
//
// glibc can do this itself (the tunables glibc.malloc.hugetlb=1 and
// glibc.malloc.top_pad), but reads them only from the environment when a
// program starts. This does the same from inside:
// - the heap grows 32 MB at a time and keeps what is freed, so that each
//   growth is one range of its own to advise (and no step is given back to
//   the kernel only to be faulted in again);
// - the main heap, and the heap glibc gives each new thread (a 64 MB
//   aligned reservation), are advised MADV_HUGEPAGE, which is all that
//   Debian's default ("madvise") mode asks;
// - the rest of the 2 MB region a heap's first allocation already touched
//   in small pages is set aside, so that what follows starts on a 2 MB page.
// The growth is address space, not memory: only what is touched is backed.
// Sanitizers bring their own allocator: nothing is done then.

#if CLEARBOUNCE_GLIBC_HEAP
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#endif

namespace clearbounce::cli {

#if CLEARBOUNCE_GLIBC_HEAP

namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
constexpr int kGrowth = 32 << 20;
// glibc's HEAP_MAX_SIZE on 64-bit systems: a thread's heap is a reservation
// of this size, aligned to it.
constexpr std::uintptr_t kThreadHeapSize = std::uintptr_t{64} << 20;

std::uintptr_t huge_page_above(std::uintptr_t at) { return (at + kHugePage - 1) & ~(kHugePage - 1); }

void advise_huge_pages(std::uintptr_t begin, std::uintptr_t end) {
  begin = huge_page_above(begin);
  end &= ~(kHugePage - 1);
  // Advice: a kernel without transparent huge pages refuses it, and the
  // heap keeps its small pages.
  if (begin < end) static_cast<void>(madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE));
}

// The blocks that set aside the rest of a first 2 MB region. Never freed
// (freed, their small pages would be handed out again); kept here so that
// they are not leaks. One per heap, and glibc makes a few heaps at most.
std::array<std::atomic<void*>, 16> set_aside{};

void set_aside_rest_of_region(std::uintptr_t touched) {
  const std::uintptr_t rest = huge_page_above(touched + 1) - touched;
  constexpr std::uintptr_t kHeaders = 64;  // glibc's own words before the next block
  if (rest <= 2 * kHeaders) return;
  void* volatile const block = std::malloc(rest - kHeaders);  // never touched: no page is backed
  for (std::atomic<void*>& slot : set_aside) {
    void* empty = nullptr;
    if (slot.compare_exchange_strong(empty, block)) return;
  }
  std::free(block);  // no slot left: the small pages are used after all
}

std::uintptr_t main_heap_end = 0;  // written before any thread starts

}  // namespace

void prepare_heap_for_short_run() {
  mallopt(M_TOP_PAD, kGrowth);
  mallopt(M_TRIM_THRESHOLD, 2 * kGrowth);
  mallopt(M_MMAP_THRESHOLD, kGrowth);  // larger blocks from the heap too (this is glibc's maximum)
  // A block larger than what the heap has left makes it grow now, by the
  // block and kGrowth: that is the range advised.
  // volatile: a block freed unused is one the compiler may leave out.
  void* volatile const probe = std::malloc(std::size_t{1} << 20);
  if (probe == nullptr) return;
  const auto start = reinterpret_cast<std::uintptr_t>(probe);
  main_heap_end = reinterpret_cast<std::uintptr_t>(sbrk(0));
  advise_huge_pages(start, main_heap_end);
  std::free(probe);
  set_aside_rest_of_region(start);
}

void prepare_thread_heap() {
  void* volatile const probe = std::malloc(64);
  if (probe == nullptr) return;
  const auto at = reinterpret_cast<std::uintptr_t>(probe);
  std::free(probe);
  if (at < main_heap_end) return;  // this thread shares the main heap
  const std::uintptr_t heap = at & ~(kThreadHeapSize - 1);
  advise_huge_pages(heap, heap + kThreadHeapSize);
  // Only a heap just made has its first allocation in its first region;
  // one a finished thread left behind has its set-aside block already.
  if (at - heap < kHugePage) set_aside_rest_of_region(at);
}

#else

void prepare_heap_for_short_run() {}
void prepare_thread_heap() {}

#endif

}  // namespace clearbounce::cli
