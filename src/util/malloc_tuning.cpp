// tune_malloc(): itwin/util/malloc_tuning.hpp says why.
#include "itwin/util/malloc_tuning.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace itwin {

bool tune_malloc() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) return false;
  const char* off = std::getenv("ITWIN_MALLOC_TUNING");
  if (off && std::strcmp(off, "0") == 0) return false;
  const bool mmap_ok = ::mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim_ok = ::mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return mmap_ok && trim_ok;
}

}  // namespace itwin
