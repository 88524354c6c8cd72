#pragma once
/// Where itwin keeps state between commands (the job list, the local model
/// registry): $ITWIN_STATE_DIR, else $XDG_STATE_HOME/itwin, else
/// ~/.local/state/itwin.

#include <string>

namespace itwin {

std::string state_dir();

}  // namespace itwin
