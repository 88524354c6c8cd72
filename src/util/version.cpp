#include "itwin/util/version.hpp"

#include "itwin_build.h"
#include "itwin_git.h"

namespace itwin {

const char* version_string() { return ITWIN_VERSION; }
const char* git_commit() { return ITWIN_GIT_COMMIT; }
const char* compiler_string() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace itwin
