// The command's heap advice (cli/heap.cpp), checked in a process of its own
// as the command gives it: first in main, then on each new thread. What is
// checked is what the kernel records (/proc/self/smaps), not a timing.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "cli/heap.hpp"

namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;

struct Mapping {
  bool found = false;
  bool advised_huge = false;  // "hg" among its VmFlags
  std::string name;
};

// The mapping of /proc/self/smaps that holds `address`.
Mapping mapping_of(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  Mapping mapping;
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    const std::size_t dash = line.find('-');
    const std::size_t space = line.find(' ');
    const bool header = dash != std::string::npos && space != std::string::npos && dash < space &&
                        line.find(':') > space;
    if (header) {
      if (inside) return mapping;
      const std::uintptr_t begin = std::stoull(line.substr(0, dash), nullptr, 16);
      const std::uintptr_t end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
      inside = begin <= at && at < end;
      if (inside) {
        mapping.found = true;
        std::istringstream fields(line);
        std::string skipped;
        for (int i = 0; i < 5; ++i) fields >> skipped;
        fields >> mapping.name;
      }
    } else if (inside && line.starts_with("VmFlags:")) {
      mapping.advised_huge = (line + ' ').find(" hg ") != std::string::npos;
    }
  }
  return mapping;
}

struct FreeDeleter {
  void operator()(void* block) const { std::free(block); }
};
using Block = std::unique_ptr<void, FreeDeleter>;

Block allocate(std::size_t size) {
  Block block(std::malloc(size));
  static_cast<char*>(block.get())[0] = 1;  // touched, as any block is
  return block;
}

bool kernel_has_huge_pages() {
  return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good();
}

class HeapAdvice : public testing::Test {
 protected:
  static void SetUpTestSuite() { clearbounce::cli::prepare_heap_for_short_run(); }

  void SetUp() override {
    if (!CLEARBOUNCE_GLIBC_HEAP) GTEST_SKIP() << "built with a sanitizer's allocator: no heap advice";
    if (!kernel_has_huge_pages()) GTEST_SKIP() << "this kernel has no transparent huge pages";
  }
};

// A block of `size` bytes lies in the main heap, advised for huge pages.
void expect_in_advised_main_heap(std::size_t size) {
  const Block block = allocate(size);
  const Mapping mapping = mapping_of(block.get());
  ASSERT_TRUE(mapping.found);
  EXPECT_EQ(mapping.name, "[heap]");
  EXPECT_TRUE(mapping.advised_huge);
}

TEST_F(HeapAdvice, MainHeapIsAdvisedForHugePages) {
  // Larger than any block freed before: it comes from the heap's top.
  expect_in_advised_main_heap(std::size_t{1} << 20);
}

TEST_F(HeapAdvice, LargeBlocksComeFromTheAdvisedHeap) {
  // glibc would map a block of this size on its own (and unmap it when
  // freed, to be faulted in again by the next).
  expect_in_advised_main_heap(std::size_t{4} << 20);
}

TEST_F(HeapAdvice, ThreadHeapIsAdvisedAndStartsOnAHugePage) {
  Mapping mapping;
  std::uintptr_t first = 0;
  std::thread worker([&] {
    clearbounce::cli::prepare_thread_heap();
    const Block block = allocate(256 << 10);
    first = reinterpret_cast<std::uintptr_t>(block.get());
    mapping = mapping_of(block.get());
  });
  worker.join();
  ASSERT_TRUE(mapping.found);
  EXPECT_NE(mapping.name, "[heap]") << "the thread was expected to get a heap of its own";
  EXPECT_TRUE(mapping.advised_huge);
  // The heap's first 2 MB region, touched in small pages when glibc set the
  // heap up, is set aside: the block lies in a later one, but for the few
  // bytes of its header.
  const std::uintptr_t heap = first & ~((std::uintptr_t{64} << 20) - 1);
  EXPECT_GE(first + 64, heap + kHugePage);
}

}  // namespace
