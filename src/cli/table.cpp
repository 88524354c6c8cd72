// The command table (the only list of itwin's subcommands).
#include <CLI/CLI.hpp>

#include "itwin/util/error.hpp"
#include "setups.hpp"

namespace itwin::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"train",
       "Train: run the 'training' pipeline of CONFIG (dataset, model, trainer steps) in this "
       "process. Without CONFIG, "
       "trains the built-in Fashion-MNIST example.",
       setup_train},
      {"run", "Run any pipeline of CONFIG (choose it with --pipeline when the file has several).",
       setup_run},
      {"infer",
       "Inference: run the 'inference' pipeline of CONFIG (dataset, model, predictor, saver).",
       setup_infer},
      {"validate",
       "Check a pipeline file (syntax, keys, types, ranges, includes, interpolation, step order) "
       "without running "
       "it. Errors name file:line:column; exit code 2 on any error.",
       setup_validate},
      {"components",
       "List the components a pipeline file can name: step types, dataset formats, models, "
       "optimizers, schedules, "
       "losses, metrics, backends, loggers, ...",
       setup_components},
      {"hpo",
       "Run a hyper-parameter search (random, grid, TPE; ASHA, Hyperband, median stopping) inside "
       "one allocation.",
       setup_hpo},
      {"hpo-zygote", "Internal: the trial zygote itwin hpo forks one-rank trials from.",
       setup_hpo_zygote},
      {"report",
       "Scalability report of runs: epoch time, speedup, efficiency, throughput, time per step "
       "(compute / exposed "
       "communication / data / other), utilisation, energy and CO2e, by backend, strategy and "
       "world size; repeated "
       "runs averaged. docs/report.md explains every number.",
       setup_report},
      {"submit",
       "Render a complete sbatch script for the pipeline (cluster profile + the file's slurm: "
       "section + these flags) "
       "and submit it with sbatch. The job starts the ranks itself and runs itwin on each with a "
       "snapshot of the "
       "resolved config; near the time limit it checkpoints and requeues itself.",
       setup_submit},
      {"jobs",
       "Jobs submitted with itwin submit: list, status, logs, cancel, wait. State comes from "
       "squeue/scontrol, or "
       "sacct (sacct -c without accounting).",
       setup_jobs},
      {"runs",
       "Runs on disk: list a run-directory tree, show one run, compare runs (parameters that "
       "differ, final metrics "
       "side by side).",
       setup_runs},
      {"models",
       "The model registry: register a run's model as an immutable version, list, show, and move "
       "aliases (staging, "
       "production). Pipelines load registered models with weights: "
       "models:/NAME/VERSION|ALIAS|latest.",
       setup_models},
      {"bench", "Benchmarks (comm: collective bandwidth per backend, nccl-tests style)",
       setup_bench},
      {"backends",
       "Show what this build and machine offer: communication libraries (mpi, gloo, nccl), "
       "LibTorch and CUDA, the "
       "BLAS library in use (OpenBLAS vs the slow reference BLAS), cores.",
       setup_backends},
      {"version", "Print itwin's version, git commit, compiler and LibTorch version.",
       setup_version},
  };
  return table;
}

Runner dispatch_sub(CLI::App& cmd, std::vector<std::pair<CLI::App*, Runner>> subs) {
  cmd.require_subcommand(1);
  return [subs = std::move(subs)]() -> int {
    for (const auto& [app, run] : subs) {
      if (app->parsed()) return run();
    }
    throw UsageError("no subcommand given");
  };
}

}  // namespace itwin::cli
