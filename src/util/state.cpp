#include "itwin/util/state.hpp"

#include <cstdlib>

namespace itwin {

std::string state_dir() {
  if (const char* d = std::getenv("ITWIN_STATE_DIR")) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME")) return std::string(x) + "/itwin";
  const char* h = std::getenv("HOME");
  return std::string(h ? h : ".") + "/.local/state/itwin";
}

}  // namespace itwin
