#pragma once
/// Reading cluster profiles and a pipeline file's `slurm:` section into the
/// typed slurm::Settings (the YAML stays in the config layer).

#include <string>
#include <vector>

#include "itwin/slurm/job.hpp"

namespace itwin::config {

class Reader;

/// Loads a profile by name (the built-in ones, then $ITWIN_PROFILE_PATH
/// and ~/.config/itwin/profiles) or by path (contains '/' or ends in .yaml).
slurm::Profile load_profile(const std::string& name_or_path);

/// The built-in profile names (for help and did-you-mean).
std::vector<std::string> builtin_profiles();
/// The built-in profiles with their one-line descriptions (itwin components).
std::vector<std::pair<std::string, std::string>> builtin_profile_summaries();

/// Applies the keys present under `r` on top of `s` (absent keys keep their values).
void read_settings(Reader& r, slurm::Settings& s);

}  // namespace itwin::config
