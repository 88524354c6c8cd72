// tune_malloc(): a block of a training step's size comes from the heap, and
// freeing it keeps the pages, so the next step does not fault them in
// again. Checked in a fresh process (this program run again for one hidden
// case), since a process's earlier frees move glibc's adaptive threshold.
#include "itwin/util/malloc_tuning.hpp"

#include <malloc.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "../helpers.hpp"

TEST_CASE("fresh process for tune_malloc: a 20 MiB block from the heap, kept after free",
          "[.malloc-child]") {
  if (std::getenv("ITWIN_TEST_TUNE")) REQUIRE(itwin::tune_malloc());
  constexpr size_t kBytes = 20 << 20;
  const size_t mapped = mallinfo2().hblkhd;
  void* p = std::malloc(kBytes);
  REQUIRE(p != nullptr);
  std::memset(p, 1, kBytes);
  CHECK(mallinfo2().hblkhd == mapped);  // not a mapping of its own
  const size_t arena = mallinfo2().arena;
  std::free(p);
  CHECK(mallinfo2().arena == arena);  // not given back to the kernel
}

TEST_CASE("malloc tuning: training-sized blocks come from the heap, which keeps them", "[util]") {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  auto child = [&](const std::string& env) {
    auto r = itwin::test::run_shell("env -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ " +
                                    env + " " + self + " '[.malloc-child]'");
    INFO(r.out);
    return r.exit_code;
  };
  CHECK(child("ITWIN_TEST_TUNE=1") == 0);
  CHECK(child("ITWIN_TEST_TUNE=1 ITWIN_MALLOC_TUNING=0") != 0);  // switched off: glibc maps it
  CHECK(child("") != 0);                                         // glibc's defaults map it
}

TEST_CASE("malloc tuning: the user's MALLOC_ settings win", "[util]") {
  ::setenv("MALLOC_TRIM_THRESHOLD_", "1000000", 1);
  CHECK_FALSE(itwin::tune_malloc());
  ::unsetenv("MALLOC_TRIM_THRESHOLD_");
}
