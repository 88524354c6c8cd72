#pragma once
/// Logging: spdlog, one pattern for all areas, the rank in every line, level
/// from ITWIN_LOG_LEVEL (trace, debug, info, warn, error, off).

#include <spdlog/spdlog.h>

#include <string>

namespace itwin {

/// Sets the pattern and level; call again once the rank is known.
void init_logging(int rank = 0, int world = 1);

/// Sends log lines to `path` as well as stderr (per-rank files).
void add_log_file(const std::string& path);

}  // namespace itwin
