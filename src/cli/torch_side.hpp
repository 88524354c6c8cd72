#pragma once
// The commands' work that needs LibTorch, behind one seam (internal to
// src/cli). `itwin` (the front: fast to start, no LibTorch) implements each by
// re-running the command line in `itwin-worker` with the OpenMP environment
// set before that process's runtime starts (torch_side_front.cpp);
// `itwin-worker` runs it in process (torch_side_worker.cpp).

#include <string>

#include "itwin/cli/commands.hpp"
#include "itwin/comm/bench.hpp"
#include "itwin/config/pipeline.hpp"
#include "itwin/train/run.hpp"

namespace itwin::cli {

int torch_run_pipeline(const config::Config& cfg, const config::Pipeline& p,
                       const train::RunOptions& o, const Invocation& inv);
int torch_bench_comm(const comm::BenchOptions& bo, const std::string& backend,
                     const std::string& rendezvous, double timeout, const std::string& json,
                     const Invocation& inv);
int torch_backends(bool json, const Invocation& inv);
int torch_version(bool json, const Invocation& inv);
/// The HPO trial zygote (hpo/zygote.hpp) on socket `fd`: decodes the data
/// sets of `p` once, then forks the study's one-rank segments.
int torch_hpo_zygote(int fd, const config::Config& cfg, const config::Pipeline& p,
                     const Invocation& inv);

/// The program that starts ranks (--nproc): itwin-worker, or this one.
std::string rank_program();

}  // namespace itwin::cli
