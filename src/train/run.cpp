// Running a pipeline: the run directory and the step executors.
#include "itwin/train/run.hpp"

#include <torch/torch.h>
#include <torch/version.h>

#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "itwin/comm/backend.hpp"
#include "itwin/config/load.hpp"
#include "itwin/launch/world.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/track/loggers.hpp"
#include "itwin/track/provenance.hpp"
#include "itwin/track/registry.hpp"
#include "itwin/track/sink.hpp"
#include "itwin/train/trainer.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/redact.hpp"
#include "itwin/util/signals.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "itwin/util/version.hpp"
#include "predict.hpp"
#include "rank_sync.hpp"

namespace fs = std::filesystem;

namespace itwin::train {
namespace {

bool g_lead = true;     // this process is rank 0
int g_console_fd = -1;  // the job's console, for a rank > 0 whose output goes to its log

// Result lines: plain on rank 0 (what users read), rank-tagged log lines
// in the per-rank files of the other ranks.
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::string line = buf;
  if (g_lead) {
    std::fputs(line.c_str(), stdout);
  } else {
    if (!line.empty() && line.back() == '\n') line.pop_back();
    spdlog::info("{}", line);
  }
}

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Context {
  const config::Config& cfg;
  const config::Pipeline& pipeline;
  std::string run_dir;
  bool resume = false;
  comm::Backend* comm = nullptr;
  bool lead = true;  ///< rank 0: prints and writes run-level files
  std::optional<data::DataSplits> data;
  std::shared_ptr<models::Model> model;
  std::optional<Predictions> predictions;
  std::unique_ptr<track::MultiSink> sink;
  nlohmann::json summary;
};

bool has_content(const fs::path& p) { return fs::is_directory(p) && !fs::is_empty(p); }

// <root>/<name> (non-training pipelines: <name>-<pipeline>); a fresh run
// never writes into a directory that holds an earlier run.
std::string choose_run_dir(const config::Config& cfg, const config::Pipeline& p, const RunOptions& o, bool resume) {
  if (!o.run_dir.empty()) {
    if (!resume && has_content(o.run_dir)) {
      throw UsageError("run directory '" + o.run_dir + "' already holds a run; add --resume to continue it or choose another --run-dir");
    }
    return o.run_dir;
  }
  std::string base = cfg.run.root + "/" + cfg.run.name + (p.name == "training" ? "" : "-" + p.name);
  if (resume || !has_content(base)) return base;
  for (int i = 1;; ++i) {
    std::string cand = base + "." + std::to_string(i);
    if (!has_content(cand)) return cand;
  }
}

const data::DataSplits& need_data(Context& c, const config::Step& s) {
  if (!c.data) throw RuntimeError("step '" + s.name + "' needs a dataset step before it in pipeline '" + c.pipeline.name + "'");
  return *c.data;
}

models::Model& need_model(Context& c, const config::Step& s) {
  if (!c.model) throw RuntimeError("step '" + s.name + "' needs a model step before it in pipeline '" + c.pipeline.name + "'");
  return *c.model;
}

void run_dataset(Context& c, const config::Step& s) {
  const auto& spec = std::get<config::DatasetSpec>(s.spec);
  c.data = data::load_dataset(spec, c.cfg.run.seed, s.name);
  const auto& d = *c.data;
  std::string shape;
  for (auto v : d.sample_shape) shape += (shape.empty() ? "" : "x") + std::to_string(v);
  say("data: %s: train %lld, validation %lld, test %lld samples of %s; %s\n", d.description.c_str(),
              static_cast<long long>(d.train.size()), static_cast<long long>(d.val.size()),
              static_cast<long long>(d.test.size()), shape.c_str(),
              d.classification ? (std::to_string(d.num_classes) + " classes").c_str()
                               : (std::to_string(d.num_targets) + " targets").c_str());
}

void run_model(Context& c, const config::Step& s) {
  auto spec = std::get<config::ModelSpec>(s.spec);
  // models:/NAME/VERSION|ALIAS|latest -> the registered files.
  if (starts_with(spec.weights, "models:/")) {
    auto v = track::resolve_model(spec.weights);
    say("model: registry %s version %d\n", v.name.c_str(), v.version);
    spec.weights = v.dir + "/model.pt";
  }
  if (starts_with(spec.path, "models:/")) spec.path = track::resolve_model(spec.path).dir + "/model.ts.pt";
  models::ModelInput in;
  if (c.data) {
    in.sample_shape = c.data->sample_shape;
    in.outputs = c.data->classification ? c.data->num_classes : c.data->num_targets;
  } else if (spec.arch != "torchscript") {
    throw RuntimeError("step '" + s.name + "': a '" + spec.arch + "' model takes its input and output sizes from a dataset step, which must come before it");
  }
  torch::manual_seed(c.cfg.run.seed);  // the same initial weights for the same seed
  c.model = models::build_model(spec, in, s.name);
  say("model: %s, %lld parameters%s\n", c.model->describe().c_str(),
              static_cast<long long>(c.model->num_parameters()),
              spec.weights.empty() ? "" : (", weights from " + spec.weights).c_str());
}

void run_trainer(Context& c, const config::Step& s) {
  const auto& spec = std::get<config::TrainerSpec>(s.spec);
  const auto& data = need_data(c, s);
  auto& model = need_model(c, s);
  TrainerEnv env{c.cfg.run, c.run_dir, redact(config::to_yaml(c.cfg.resolved)), c.resume, c.lead, *c.sink, c.comm,
                 c.cfg.distributed};
  TrainResult r = train_model(spec, model, data, env);
  // The final test metrics go to the loggers too, not only to summary.json.
  track::MetricPoint test{r.steps, r.epochs_done, now_unix(), false, {}};
  for (const auto& [k, v] : r.final_metrics)
    if (k.rfind("test_", 0) == 0) test.values[k] = v;
  if (!test.values.empty()) c.sink->log(test);
  c.summary["comm_seconds"] = c.comm->comm_seconds();
  if (!c.lead) return;
  models::save_state_dict(model, c.run_dir + "/model.pt");
  bool ts = model.save_torchscript(c.run_dir + "/model.ts.pt");
  say("trained %lld epochs (%lld steps) in %.1fs%s; %.0f samples/s\n", static_cast<long long>(r.epochs_done),
              static_cast<long long>(r.steps), r.train_seconds, r.early_stopped ? ", stopped early" : "",
              r.samples_per_s);
  for (const auto& [k, v] : r.final_metrics) {
    if (k.rfind("test_", 0) == 0) say("  %s %.4f\n", k.c_str(), v);
  }
  say("model saved: %s/model.pt%s\n", c.run_dir.c_str(), ts ? (" and " + c.run_dir + "/model.ts.pt").c_str() : "");
  c.summary["metrics"] = r.final_metrics;
  c.summary["epochs"] = r.epochs_done;
  c.summary["steps"] = r.steps;
  c.summary["early_stopped"] = r.early_stopped;
  c.summary["resumed"] = r.resumed;
  c.summary["train_seconds"] = r.train_seconds;
  c.summary["samples_per_s"] = r.samples_per_s;
  c.summary["first_step_unix"] = r.first_step_unix;
}

void run_predictor(Context& c, const config::Step& s) {
  const auto& spec = std::get<config::PredictorSpec>(s.spec);
  c.predictions = predict(spec, need_model(c, s), need_data(c, s), s.name);
  const auto& p = *c.predictions;
  say("predicted %lld samples of the %s split", static_cast<long long>(p.values.size(0)), spec.split.c_str());
  if (p.accuracy >= 0) {
    say(", accuracy %.4f", p.accuracy);
    c.summary["metrics"]["accuracy"] = p.accuracy;
  }
  say("\n");
}

void run_saver(Context& c, const config::Step& s) {
  const auto& spec = std::get<config::SaverSpec>(s.spec);
  if (!c.predictions) throw RuntimeError("step '" + s.name + "' needs a predictor step before it");
  if (!c.lead) return;
  save_predictions(*c.predictions, spec);
  say("predictions saved: %s\n", spec.path.c_str());
}

// Runs on rank 0 only (a download, a conversion); the others wait for it.
void run_command(Context& c, const config::Step& s) {
  struct Wait {
    comm::Backend* comm;
    ~Wait() noexcept(false) {
      if (!std::uncaught_exceptions()) comm->barrier();
    }
  } wait{c.comm};
  if (!c.lead) return;
  const auto& spec = std::get<config::CommandSpec>(s.spec);
  ProcessSpec p;
  p.argv = spec.argv.empty() ? std::vector<std::string>{"bash", "-c", spec.shell} : spec.argv;
  p.env = spec.env;
  p.cwd = spec.cwd;
  p.timeout_s = spec.timeout;
  std::fflush(stdout);
  int rc = run_process(p);
  if (rc != 0 && spec.check) {
    throw RuntimeError("step '" + s.name + "': command exited with status " + std::to_string(rc) + " (" + s.mark.str() + ")");
  }
}

// The step executors, by the registry name of config/pipeline.cpp.
const std::vector<std::pair<std::string, std::function<void(Context&, const config::Step&)>>>& executors() {
  static const std::vector<std::pair<std::string, std::function<void(Context&, const config::Step&)>>> table = {
      {"dataset", run_dataset}, {"model", run_model},   {"trainer", run_trainer},
      {"predictor", run_predictor}, {"saver", run_saver}, {"command", run_command},
  };
  return table;
}

int64_t thread_count(const config::Config& cfg, const RunOptions& o, int local_world) {
  if (o.threads > 0) return o.threads;
  if (cfg.run.threads > 0) return cfg.run.threads;
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    int v = std::atoi(omp);
    if (v > 0) return v;
  }
  return std::max(1, cores_available() / local_world);  // ranks on one host share its cores
}

void run_ranks(comm::Backend* comm, const launch::World& w, const std::string& backend, const config::Config& cfg,
               const config::Pipeline& pipeline, const RunOptions& opts);

}  // namespace

void run_pipeline(const config::Config& cfg, const config::Pipeline& pipeline, const RunOptions& opts) {
  install_stop_handlers();
  // 1. Join the world the launcher started (a world of one without one).
  launch::World w = launch::detect_world();
  const std::string backend = comm::resolve_backend(cfg.distributed.backend, w.world, w.launcher);
  comm::BackendOptions bo{w.rank, w.world, w.local_rank, w.local_world,
                          cfg.distributed.rendezvous.empty() ? w.rendezvous : cfg.distributed.rendezvous,
                          cfg.distributed.timeout};
  std::unique_ptr<comm::Backend> comm = comm::make_backend(backend, bo);
  try {
    run_ranks(comm.get(), w, backend, cfg, pipeline, opts);
  } catch (const CollectiveError&) {
    throw;  // every rank stops here together
  } catch (const Error& e) {
    if (comm->world() > 1) end_job_alone(*comm, e, g_console_fd);
    throw;
  } catch (const std::exception& e) {  // outside the steps (e.g. a filesystem_error while setting up)
    RuntimeError error(e.what());
    if (comm->world() > 1) end_job_alone(*comm, error, g_console_fd);
    throw error;
  }
}

namespace {

void run_ranks(comm::Backend* comm, const launch::World& w, const std::string& backend, const config::Config& cfg,
               const config::Pipeline& pipeline, const RunOptions& opts) {
  const bool lead = comm->rank() == 0;
  g_lead = lead;
  init_logging(comm->rank(), comm->world());

  // 2. Rank 0 picks the run directory; the others log to files in it.
  bool resume = opts.resume || cfg.run.resume == "auto";
  std::string run_dir = agree(*comm, [&] {
    std::string d = choose_run_dir(cfg, pipeline, opts, resume);
    if (opts.resume && !fs::exists(d + "/checkpoints")) {
      throw UsageError("--resume: no checkpoints in '" + d + "/checkpoints' to continue from");
    }
    fs::create_directories(d);
    return d;
  });
  if (!lead) {
    std::string log = run_dir + "/logs/rank-" + std::to_string(comm->rank()) + ".log";
    fs::create_directories(run_dir + "/logs");
    if (g_console_fd < 0) g_console_fd = ::dup(2);
    if (!std::freopen(log.c_str(), "a", stdout) || !std::freopen(log.c_str(), "a", stderr)) throw_errno("cannot open " + log);
    spdlog::info("rank {} of {} (local {} of {}), pid {}, host {}, backend {}", comm->rank(), comm->world(), w.local_rank,
                 w.local_world, ::getpid(), host_name(), backend);
  }
  Context c{cfg, pipeline, run_dir, resume, comm, lead, {}, {}, {}, {}, {}};
  const std::string config_yaml = config::to_yaml(cfg.resolved);
  if (lead) write_file_atomic(c.run_dir + "/config.yaml", redact(config_yaml));  // no tracking_uri password on disk

  // 3. Provenance (rank 0) and the loggers of each rank.
  char host[64] = {0};
  std::snprintf(host, sizeof host, "%s", host_name().c_str());
  std::vector<char> hosts(sizeof host * static_cast<size_t>(comm->world()));
  comm->allgather(host, hosts.data(), sizeof host, comm::DType::U8);
  track::Provenance prov;
  prov.config_yaml = config_yaml;
  prov.config_source = cfg.source;
  prov.pipeline = pipeline.name;
  prov.run_dir = run_dir;
  prov.versions = comm::library_versions();
  prov.versions["itwin"] = version_string();
  prov.versions["git_commit"] = git_commit();
  prov.versions["compiler"] = compiler_string();
  prov.versions["libtorch"] = TORCH_VERSION;
  for (int r = 0; r < comm->world(); ++r) prov.hosts.emplace_back(hosts.data() + static_cast<size_t>(r) * sizeof host);
  prov.world = comm->world();
  prov.backend = backend;
  prov.strategy = cfg.distributed.strategy;
  prov.start = now_unix();
  std::map<std::string, std::string> tags = track::provenance_tags(prov);  // every rank's loggers get them
  if (lead) track::write_provenance(prov);
  track::RunInfo info{lead ? run_dir : run_dir + "/ranks/rank-" + std::to_string(comm->rank()), cfg.run.name,
                      pipeline.name, cfg.source, config::flat_params(cfg, pipeline), tags, comm->rank(), comm->world(),
                      run_dir, opts.parent_runs, {}};
  if (resume) info.continue_runs = track::load_tracked_runs(info.run_dir);  // one MLflow run across requeues
  info.resumed = resume;
  try {
    c.sink = open_loggers(*comm, cfg.loggers, info);
    bool any = false;
    for (const auto& r : c.sink->tracked_runs()) any = any || !r.kind.empty();
    if (any) {
      fs::create_directories(info.run_dir);
      track::save_tracked_runs(info.run_dir, c.sink->tracked_runs());
    }
  } catch (const Error& e) {  // e.g. an unreachable tracking server: the run never started
    if (lead) {
      prov.status = "FAILED";
      prov.error = e.what();
      prov.end = now_unix();
      track::write_provenance(prov);
    }
    throw;
  }

  int64_t threads = thread_count(cfg, opts, w.local_world);
  torch::set_num_threads(static_cast<int>(threads));
  // LibTorch parallelizes around BLAS calls; a BLAS with its own threads on
  // top oversubscribes the cores. Respect an explicit OPENBLAS_NUM_THREADS.
  if (!std::getenv("OPENBLAS_NUM_THREADS")) set_blas_threads(1);
  if (cfg.run.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  say("itwin %s: pipeline '%s' of %s -> %s (%lld threads, BLAS %s)\n", version_string(), pipeline.name.c_str(),
              cfg.source.c_str(), c.run_dir.c_str(), static_cast<long long>(threads), blas_kind(blas_library()).c_str());
  if (comm->world() > 1) {
    say("distributed: %d ranks (%s launcher), backend %s, strategy %s%s\n", comm->world(), w.launcher.c_str(),
                backend.c_str(), cfg.distributed.strategy.c_str(),
                cfg.distributed.compression == "none" ? "" : (", " + cfg.distributed.compression + " gradients").c_str());
  }

  double start = now_unix();
  c.summary = {{"pipeline", pipeline.name}, {"config", cfg.source}, {"run_dir", c.run_dir}, {"seed", cfg.run.seed},
               {"threads", threads},        {"host", host_name()},  {"itwin", version_string()},
               {"git_commit", git_commit()}, {"started", start},   {"world_size", comm->world()},
               {"backend", backend}, {"strategy", cfg.distributed.strategy}};
  for (const auto& r : c.sink->tracked_runs()) {  // where the loggers' runs are (for `itwin models register`)
    if (!r.kind.empty()) c.summary["tracked_runs"].push_back(track::tracked_run_json(r));
  }
  auto finish = [&](const std::string& status, const std::string& error) {  // run files first: loggers copy them
    if (!lead) {
      c.sink->close(status);
      if (!error.empty()) spdlog::error("{}", error);
      return;
    }
    prov.status = status;
    prov.error = error;
    prov.end = now_unix();
    track::write_provenance(prov);
    c.summary["status"] = status;
    if (!error.empty()) c.summary["error"] = error;
    c.summary["finished"] = now_unix();
    c.summary["wall_seconds"] = now_unix() - start;
    write_file_atomic(c.run_dir + "/summary.json", c.summary.dump(2) + "\n");
    c.sink->close(status);
  };
  try {
    for (const auto& step : pipeline.steps) {
      auto it = std::find_if(executors().begin(), executors().end(), [&](const auto& e) { return e.first == step.type; });
      if (it == executors().end()) throw RuntimeError("step '" + step.name + "': no executor for type '" + step.type + "'");
      it->second(c, step);
    }
  } catch (const Error& e) {
    finish(e.exit_code() == kExitPreempted ? "KILLED" : "FAILED", e.what());
    throw;
  } catch (const c10::Error& e) {
    std::string m = e.what_without_backtrace();
    finish("FAILED", m);
    throw RuntimeError("LibTorch: " + m.substr(0, m.find('\n')));
  } catch (const std::exception& e) {  // e.g. std::filesystem_error from a full disk
    finish("FAILED", e.what());
    throw RuntimeError(e.what());
  }
  finish("FINISHED", "");
}

}  // namespace

}  // namespace itwin::train
