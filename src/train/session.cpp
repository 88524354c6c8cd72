// The run session: run directory, consoles, provenance, loggers, summary.
#include "itwin/train/session.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "itwin/config/load.hpp"
#include "itwin/track/loggers.hpp"
#include "itwin/track/runs.hpp"
#include "itwin/train/runtime_info.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/redact.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "itwin/util/version.hpp"
#include "rank_sync.hpp"

namespace fs = std::filesystem;

namespace itwin::train {
namespace {

// Every rank's `text`, cut to width - 1 bytes (a fixed-size allgather).
std::vector<std::string> allgather_text(comm::Backend& comm, const std::string& text,
                                        size_t width) {
  std::vector<char> mine(width, 0), all(width * static_cast<size_t>(comm.world()));
  std::snprintf(mine.data(), width, "%s", text.c_str());
  comm.allgather(mine.data(), all.data(), width, comm::DType::U8);
  std::vector<std::string> out;
  for (int r = 0; r < comm.world(); ++r)
    out.emplace_back(all.data() + static_cast<size_t>(r) * width);
  return out;
}

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A run directory holds a run when anything but its lock file is in it.
bool holds_run(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return false;
  for (const auto& e : fs::directory_iterator(p, ec)) {
    if (e.path().filename() != ".lock") return true;
  }
  return false;
}

// The lock of a run directory: held by the process that runs in it, released
// by the kernel when that process ends (however it ends). Returns the fd, or
// -1 when another process holds it.
int lock_run_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw RuntimeError("cannot create run directory '" + dir.string() + "': " + ec.message());
  std::string lock = (dir / ".lock").string();
  int fd = ::open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot create " + lock);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int g_lock_fd = -1;  // the run directory lock of this process (rank 0), held until exit

}  // namespace

RunSession::RunSession(comm::Backend& comm, const launch::World& world, config::BackendKind backend,
                       const config::Config& cfg, const config::Pipeline& pipeline,
                       const RunOptions& opts, int64_t threads)
    : comm_(comm),
      world_(world),
      backend_(backend),
      cfg_(cfg),
      pipeline_(pipeline),
      opts_(opts),
      threads_(threads),
      resume_(opts.resume || cfg.run.resume == config::ResumeMode::Auto),
      config_yaml_(config::to_yaml(cfg.resolved)) {}

RunSession::~RunSession() = default;

void RunSession::say(const char* fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::string line = buf;
  if (lead()) {
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  } else {
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (open_) {
      spdlog::info("{}", line);
    } else {
      early_lines_.push_back(line);  // into the rank's log once it exists
    }
  }
}

track::MetricSink& RunSession::sink() {
  if (!sink_) throw RuntimeError("internal: the run session's loggers are used before open()");
  return *sink_;
}

namespace {

// The newest of <base>, <base>.1, <base>.2, ...: the highest number that
// exists ("" when none does).
std::string newest_run_dir(const std::string& base) {
  std::error_code ec;
  const fs::path b(base);
  const std::string prefix = b.filename().string() + ".";
  std::string newest = fs::is_directory(b, ec) ? base : "";
  long best = 0;
  const fs::path parent = b.has_parent_path() ? b.parent_path() : fs::path(".");
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !e.is_directory(ec)) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const long n = std::stol(digits);
    if (n > best) best = n, newest = (parent / name).string();
  }
  return newest;
}

}  // namespace

// <root>/<name> (non-training pipelines: <name>-<pipeline>), or --run-dir. A
// fresh run never writes into a directory that holds an earlier run: the
// default name moves on to .1, .2, ...; an explicit --run-dir is an error.
// --resume without --run-dir continues the newest of them. The claim is
// atomic: the directory's lock decides between two itwin processes started
// at the same instant.
std::string RunSession::claim_run_dir() {
  const bool explicit_dir = !opts_.run_dir.empty();
  std::string base = explicit_dir ? opts_.run_dir
                                  : cfg_.run.root + "/" + cfg_.run.name +
                                        (pipeline_.name == "training" ? "" : "-" + pipeline_.name);
  if (!explicit_dir) latest_link_ = base + ".latest";
  if (resume_ && !explicit_dir) {
    if (std::string newest = newest_run_dir(base); !newest.empty()) base = newest;
  }
  if (opts_.resume && !fs::is_directory(base)) {
    throw UsageError("--resume: there is no run directory '" + base +
                     "' (no checkpoints to continue from)");
  }
  for (int i = 0;; ++i) {
    std::string cand = i == 0 ? base : base + "." + std::to_string(i);
    bool taken = !resume_ && holds_run(cand);
    int fd = taken ? -1 : lock_run_dir(cand);
    if (fd >= 0 && !resume_ && holds_run(cand)) {  // another run finished in it meanwhile
      ::close(fd);
      fd = -1;
      taken = true;
    }
    if (fd >= 0) {
      g_lock_fd = fd;
      return cand;
    }
    if (explicit_dir || resume_) {
      throw UsageError(
          taken
              ? "run directory '" + cand +
                    "' already holds a run; add --resume to continue it or choose another --run-dir"
              : "run directory '" + cand + "' is in use by another itwin process");
    }
  }
}

void RunSession::redirect_output() {
  std::string log = run_dir_ + "/logs/rank-" + std::to_string(comm_.rank()) + ".log";
  fs::create_directories(run_dir_ + "/logs");
  if (console_fd_ < 0) console_fd_ = ::dup(2);
  if (!std::freopen(log.c_str(), "a", stdout) || !std::freopen(log.c_str(), "a", stderr)) {
    throw_errno("cannot open " + log);
  }
  spdlog::info("rank {} of {} (local {} of {}), pid {}, host {}, backend {}", comm_.rank(),
               comm_.world(), world_.local_rank, world_.local_world, ::getpid(), host_name(),
               config::backend_catalog().name(backend_));
  for (const auto& line : early_lines_) spdlog::info("{}", line);
  early_lines_.clear();
}

// A resumed run continues with the config given now; what differs from the
// one it ran with is said (a longer `epochs` is the usual, wanted change).
void RunSession::warn_config_changes() {
  const auto before = track::run_params(run_dir_, pipeline_.name);
  if (!before) return;  // nothing to compare with
  track::Params now = config::flat_params(cfg_, pipeline_);
  for (auto& [k, v] : now) v = redact(v);  // as run_params gives them
  auto value = [](const track::Params& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::string("(unset)") : it->second;
  };
  std::vector<std::string> changes;
  for (const auto& k : track::differing_params({&*before, &now}))
    changes.push_back(k + " " + value(*before, k) + " -> " + value(now, k));
  if (changes.empty()) return;
  const size_t shown = std::min<size_t>(changes.size(), 8);
  std::string list = join(std::vector<std::string>(changes.begin(), changes.begin() + shown), ", ");
  if (shown < changes.size()) list += " and " + std::to_string(changes.size() - shown) + " more";
  spdlog::warn("resuming {} with a changed config: {}", run_dir_, list);
}

void RunSession::write_start_files() {
  prov_.hosts = allgather_text(comm_, host_name(), 64);
  int32_t pid = ::getpid();
  std::vector<int32_t> pids(static_cast<size_t>(comm_.world()));
  comm_.allgather(&pid, pids.data(), 1, comm::DType::I32);
  prov_.config_yaml = config_yaml_;
  prov_.config_source = cfg_.source;
  prov_.pipeline = pipeline_.name;
  prov_.run_dir = run_dir_;
  prov_.versions = comm::library_versions();
  prov_.versions["itwin"] = version_string();
  prov_.versions["git_commit"] = git_commit();
  prov_.versions["compiler"] = compiler_string();
  prov_.versions["libtorch"] = libtorch_version();
  prov_.world = comm_.world();
  prov_.backend = config::backend_catalog().name(backend_);
  prov_.strategy = config::strategy_catalog().name(cfg_.distributed.strategy);
  prov_.start = start_ = now_unix();
  std::vector<std::string> distinct = prov_.hosts;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  summary_ = {
      {"pipeline", pipeline_.name}, {"config", cfg_.source},      {"run_dir", run_dir_},
      {"seed", cfg_.run.seed},      {"threads", threads_},        {"host", host_name()},
      {"hosts", prov_.hosts},       {"nodes", distinct.size()},   {"itwin", version_string()},
      {"git_commit", git_commit()}, {"started", start_},          {"world_size", comm_.world()},
      {"backend", prov_.backend},   {"strategy", prov_.strategy}, {"status", "RUNNING"}};
  if (!prov_.devices.empty()) summary_["devices"] = prov_.devices;  // chosen before the files
  start_monitor(std::vector<int>(pids.begin(), pids.end()));
  if (!lead()) return;
  if (resume_) warn_config_changes();
  // No tracking_uri password on disk (the hash in provenance.json is the config's as run).
  write_file_atomic(run_dir_ + "/config.yaml", redact(config_yaml_));
  write_file_atomic(run_dir_ + "/summary.json", summary_.dump(2) + "\n");  // RUNNING until finish()
  if (const char* job = std::getenv("ITWIN_JOB_FILE"))
    write_file_atomic(job, run_dir_ + "\n");  // for the launcher
}

void RunSession::record_device(const std::string& name) {
  prov_.devices = allgather_text(comm_, name, 96);
  summary_["devices"] = prov_.devices;
}

// One monitor per node: on its local rank 0, watching the node's ranks.
void RunSession::start_monitor(const std::vector<int>& pids) {
  if (!cfg_.monitor.enabled || world_.local_rank != 0) return;
  monitor::MonitorOptions o = monitor::options_for(cfg_.monitor);
  for (int r = 0; r < comm_.world(); ++r) {
    if (prov_.hosts[static_cast<size_t>(r)] == host_name())
      o.ranks.push_back({r, pids[static_cast<size_t>(r)]});
  }
  try {
    monitor_ = std::make_unique<monitor::Monitor>(o);
    monitor_->start();
  } catch (const std::exception& e) {  // measuring is a service, never a reason to fail the run
    spdlog::warn("hardware monitor not started: {}", e.what());
    monitor_.reset();
  }
}

std::vector<nlohmann::json> RunSession::gather_monitors(bool together) {
  std::string mine = monitor_ ? monitor::to_json(monitor_->stop()).dump() : "";
  monitor_.reset();
  std::vector<nlohmann::json> nodes;
  if (!together || comm_.world() == 1) {
    if (!mine.empty()) nodes.push_back(nlohmann::json::parse(mine));
    return nodes;
  }
  int64_t n = static_cast<int64_t>(mine.size()), longest = n;
  comm_.allreduce(&longest, 1, comm::DType::I64, comm::ReduceOp::Max);
  std::vector<int64_t> sizes(static_cast<size_t>(comm_.world()));
  comm_.allgather(&n, sizes.data(), 1, comm::DType::I64);
  mine.resize(static_cast<size_t>(longest));
  std::string all(static_cast<size_t>(longest) * static_cast<size_t>(comm_.world()), '\0');
  comm_.allgather(mine.data(), all.data(), static_cast<size_t>(longest), comm::DType::U8);
  for (int r = 0; r < comm_.world(); ++r) {
    if (sizes[static_cast<size_t>(r)] == 0) continue;
    nodes.push_back(nlohmann::json::parse(all.substr(
        static_cast<size_t>(r * longest), static_cast<size_t>(sizes[static_cast<size_t>(r)]))));
  }
  return nodes;
}

void RunSession::open_loggers() {
  std::map<std::string, std::string> tags = track::provenance_tags(prov_);
  if (lead()) track::write_provenance(prov_);
  const std::string rank_dir =
      lead() ? run_dir_ : run_dir_ + "/ranks/rank-" + std::to_string(comm_.rank());
  track::RunInfo info{
      rank_dir, cfg_.run.name, pipeline_.name, cfg_.source, config::flat_params(cfg_, pipeline_),
      tags,     comm_.rank(),  comm_.world(),  run_dir_,    opts_.parent_runs,
      {}};
  if (resume_)
    info.continue_runs = track::load_tracked_runs(info.run_dir);  // one MLflow run across requeues
  info.resumed = resume_;
  try {
    sink_ = train::open_loggers(comm_, cfg_.loggers, info);
    bool any = false;
    for (const auto& r : sink_->tracked_runs()) any = any || !r.kind.empty();
    if (any) {
      fs::create_directories(info.run_dir);
      track::save_tracked_runs(info.run_dir, sink_->tracked_runs());
    }
  } catch (const Error& e) {  // e.g. an unreachable tracking server: the run never started
    if (lead()) {
      prov_.status = "FAILED";
      prov_.error = e.what();
      prov_.end = now_unix();
      track::write_provenance(prov_);
      summary_["status"] = "FAILED";
      summary_["error"] = e.what();
      write_file_atomic(run_dir_ + "/summary.json", summary_.dump(2) + "\n");
    }
    finished_ = true;
    throw;
  }
  for (const auto& r :
       sink_->tracked_runs()) {  // where the loggers' runs are (for `itwin models register`)
    if (!r.kind.empty()) summary_["tracked_runs"].push_back(track::tracked_run_json(r));
  }
}

void RunSession::open() {
  if (open_) return;
  // 1. Rank 0 claims the run directory; every rank learns it (or the error).
  run_dir_ = agree(comm_, [&] { return claim_run_dir(); });
  if (!lead()) redirect_output();
  write_start_files();
  open_loggers();
  open_ = true;
  say("itwin %s: pipeline '%s' of %s -> %s (%lld thread%s, BLAS %s)\n", version_string(),
      pipeline_.name.c_str(), cfg_.source.c_str(), run_dir_.c_str(),
      static_cast<long long>(threads_), threads_ == 1 ? "" : "s",
      blas_kind(blas_library()).c_str());
  if (comm_.world() > 1) {
    const auto& d = cfg_.distributed;
    say("distributed: %d ranks (%s launcher), backend %s, strategy %s%s\n", comm_.world(),
        world_.launcher.c_str(), config::backend_catalog().name(backend_),
        config::strategy_catalog().name(d.strategy),
        d.compression == config::Compression::None
            ? ""
            : (std::string(", ") + config::compression_catalog().name(d.compression) + " gradients")
                  .c_str());
  }
}

// Run files first: the loggers copy them as artifacts when they close.
void RunSession::finish(const std::string& status, const std::string& error, bool together) {
  if (finished_ || !open_) return;
  finished_ = true;
  try {
    write_end(status, error, together);
  } catch (const std::exception& e) {
    if (error.empty()) throw;  // a normal end that cannot be recorded is an error
    spdlog::error("cannot record the end of the run in {}: {}", run_dir_,
                  e.what());  // keep the first error
  }
}

void RunSession::write_end(const std::string& status, const std::string& error, bool together) {
  std::vector<nlohmann::json> nodes = gather_monitors(together);
  if (lead() && !nodes.empty()) {  // energy, utilisation, CO2e: into the summary and the loggers
    summary_["monitor"] = monitor::summary_json(nodes, cfg_.monitor.carbon_intensity);
    track::MetricPoint p;
    p.epoch = summary_.value("epochs", int64_t{0});
    p.step = summary_.value("steps", int64_t{0});
    p.time = now_unix();
    p.values = monitor::summary_metrics(summary_["monitor"]);
    if (!p.values.empty()) sink_->log(p);
  }
  if (!lead()) {
    sink_->close(status);
    if (!error.empty()) spdlog::error("{}", error);
    return;
  }
  prov_.status = status;
  prov_.error = error;
  prov_.end = now_unix();
  track::write_provenance(prov_);
  summary_["status"] = status;
  if (!error.empty()) summary_["error"] = error;
  summary_["comm_seconds"] = comm_.comm_seconds();
  summary_["finished"] = now_unix();
  summary_["wall_seconds"] = now_unix() - start_;
  write_file_atomic(run_dir_ + "/summary.json", summary_.dump(2) + "\n");
  if (status == "FINISHED") point_latest_link();
  sink_->close(status);
}

// <root>/<name>.latest -> the newest finished run of a default-named run
// directory, so that an inference pipeline reads the model of the last
// training that succeeded whatever `.N` it got. Replaced atomically (a new
// link renamed over the old one); a failure costs a warning, not the run.
void RunSession::point_latest_link() {
  if (latest_link_.empty()) return;
  std::error_code ec;
  if (fs::exists(latest_link_, ec) && !fs::is_symlink(latest_link_, ec)) {
    spdlog::warn("{} is not a link itwin made; not pointing it at {}", latest_link_, run_dir_);
    return;
  }
  const std::string tmp = latest_link_ + ".tmp-" + std::to_string(::getpid());
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::path(run_dir_).filename(), tmp, ec);
  if (!ec) fs::rename(tmp, latest_link_, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    spdlog::warn("cannot point {} at {}: {}", latest_link_, run_dir_, ec.message());
  }
}

}  // namespace itwin::train
