#pragma once
// The setup function of every command (internal to src/cli; the table in
// table.cpp is the only caller).

#include "itwin/cli/commands.hpp"

namespace itwin::cli {

Runner setup_train(CLI::App& cmd, const Invocation& inv);
Runner setup_run(CLI::App& cmd, const Invocation& inv);
Runner setup_infer(CLI::App& cmd, const Invocation& inv);
Runner setup_validate(CLI::App& cmd, const Invocation& inv);
Runner setup_components(CLI::App& cmd, const Invocation& inv);
Runner setup_hpo(CLI::App& cmd, const Invocation& inv);
Runner setup_hpo_zygote(CLI::App& cmd, const Invocation& inv);
Runner setup_report(CLI::App& cmd, const Invocation& inv);
Runner setup_submit(CLI::App& cmd, const Invocation& inv);
Runner setup_jobs(CLI::App& cmd, const Invocation& inv);
Runner setup_runs(CLI::App& cmd, const Invocation& inv);
Runner setup_models(CLI::App& cmd, const Invocation& inv);
Runner setup_bench(CLI::App& cmd, const Invocation& inv);
Runner setup_backends(CLI::App& cmd, const Invocation& inv);
Runner setup_version(CLI::App& cmd, const Invocation& inv);

/// For commands that have subcommands of their own: the work of the one parsed.
Runner dispatch_sub(CLI::App& cmd, std::vector<std::pair<CLI::App*, Runner>> subs);

}  // namespace itwin::cli
