// itwin version: what this binary is.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "itwin/cli/commands.hpp"
#include "itwin/train/runtime_info.hpp"
#include "itwin/util/version.hpp"

namespace itwin::cli {

int& command_status() {
  static int status = 0;
  return status;
}

std::vector<std::string>& original_args() {
  static std::vector<std::string> args;
  return args;
}

void setup_version(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("version", "Print itwin's version, git commit, compiler and LibTorch version.");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json] {
    if (*json) {
      nlohmann::json j = {{"itwin", version_string()},
                          {"git_commit", git_commit()},
                          {"compiler", compiler_string()},
                          {"libtorch", train::libtorch_version()}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << "itwin " << version_string() << " (git " << git_commit() << ")\n"
                << "compiler " << compiler_string() << "\n"
                << "libtorch " << train::libtorch_version() << "\n";
    }
  });
}

}  // namespace itwin::cli
