// itwin: one program from a pipeline YAML to a trained, tracked model.
#include <string>
#include <vector>

#include "itwin/cli/commands.hpp"
#include "itwin/util/malloc_tuning.hpp"
#include "itwin/util/signals.hpp"
#include "itwin/util/startup_trace.hpp"

int main(int argc, char** argv) {
  itwin::startup_mark("main");  // with ITWIN_STARTUP_TRACE only: exec -> main is loading
  itwin::install_crash_reporter();
  itwin::tune_malloc();  // before training allocates: util/malloc_tuning.hpp
  return itwin::cli::run_main(std::vector<std::string>(argv, argv + argc));
}
