#include "itwin/util/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace itwin {

void init_logging(int rank, int world) {
  static auto console = [] {
    auto l = spdlog::stderr_color_mt("itwin");
    spdlog::set_default_logger(l);
    return l;
  }();
  (void)console;
  std::string tag =
      world > 1 ? "[rank " + std::to_string(rank) + "/" + std::to_string(world) + "] " : "";
  spdlog::set_pattern("%^[%H:%M:%S %l]%$ " + tag + "%v");
  const char* lvl = std::getenv("ITWIN_LOG_LEVEL");
  spdlog::set_level(lvl ? spdlog::level::from_str(lvl) : spdlog::level::info);
}

void add_log_file(const std::string& path) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  spdlog::default_logger()->sinks().push_back(sink);
}

}  // namespace itwin
