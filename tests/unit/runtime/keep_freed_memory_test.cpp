// run::keep_freed_memory: a freed 64 MiB block is reused by the next allocation without page faults. glibc's
// default maps blocks this large with mmap and unmaps them on free, so every page of the next one faults.
#include "orchestrator/run/keep_freed_memory.h"

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Allocates, writes every byte and frees `bytes`; returns the page faults that took.
long faults_of_one_use(size_t bytes) {
  const long before = minor_faults();
  char* block = static_cast<char*>(std::malloc(bytes));
  REQUIRE(block != nullptr);
  std::memset(block, 1, bytes);
  asm volatile("" : : "r"(block) : "memory");  // keep the writes: the block escapes
  std::free(block);
  return minor_faults() - before;
}

}  // namespace

TEST_CASE("freed large blocks stay in the process and come back without page faults") {
  spct::run::keep_freed_memory();
  const size_t bytes = size_t{64} << 20;
  const long pages = static_cast<long>(bytes / 4096);
  const long first = faults_of_one_use(bytes);
  const long second = faults_of_one_use(bytes);
  INFO("page faults: first use " << first << ", second use " << second << " (" << pages << " pages)");
  CHECK(second < pages / 10);
}
