// itwin hpo-zygote (not listed in --help): the trial zygote of a study,
// started by itwin hpo (hpo/zygote.hpp). It runs in itwin-worker.
#include <CLI/CLI.hpp>
#include <memory>

#include "pipeline_args.hpp"
#include "setups.hpp"
#include "torch_side.hpp"

namespace itwin::cli {

Runner setup_hpo_zygote(CLI::App& cmd, const Invocation& inv) {
  cmd.group("");  // internal: itwin hpo starts it
  auto fd = std::make_shared<int>(-1);
  auto args = std::make_shared<PipelineArgs>();
  add_pipeline_args(&cmd, *args, true);
  cmd.add_option("--fd", *fd, "the socket to itwin hpo")->required();
  return [fd, args, &inv] {
    config::Config cfg = load_from_args(*args);
    config::Pipeline p = select_for_command(cfg, *args, "training");
    return torch_hpo_zygote(*fd, cfg, p, inv);
  };
}

}  // namespace itwin::cli
