#include "itwin/train/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../models/tensor_check.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"

namespace fs = std::filesystem;

namespace itwin::train {
namespace {

void sync_tree(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    commit_file_atomic(e.path().string(), e.path().string());
}

std::string first_line(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

// Swaps `a` and `b` in one step (both exist): at every instant a complete
// checkpoint is visible under its name. False where the file system cannot.
bool exchange(const fs::path& a, const fs::path& b) {
#ifdef RENAME_EXCHANGE
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
  (void)a;
  (void)b;
  return false;
#endif
}

// state.json, read field by field: a damaged file names itself and the field.
class StateReader {
 public:
  explicit StateReader(const std::string& dir) : path_(dir + "/state.json") {
    j_ = nlohmann::json::parse(read_file(path_), nullptr, false);
    if (j_.is_discarded() || !j_.is_object())
      throw RuntimeError(path_ + ": not a JSON object (damaged checkpoint state)");
  }
  template <class T>
  T get(const char* field, std::optional<T> def = std::nullopt) const {
    if (!j_.contains(field)) {
      if (def) return *def;
      throw RuntimeError(path_ + ": field '" + field + "' is missing (damaged checkpoint state)");
    }
    try {
      return j_.at(field).get<T>();
    } catch (const nlohmann::json::exception& e) {
      std::string got = j_.at(field).type_name();
      throw RuntimeError(path_ + ": field '" + field + "' has the wrong type (" + got +
                         ") (damaged checkpoint state)");
    }
  }

 private:
  std::string path_;
  nlohmann::json j_;
};

TrainState read_state(const std::string& dir) {
  StateReader r(dir);
  TrainState st;
  st.epochs_done = r.get<int64_t>("epochs_done");
  st.epoch_step = r.get<int64_t>("epoch_step", int64_t{0});
  st.epoch_sums = r.get<std::vector<double>>("epoch_sums", std::vector<double>{});
  st.epoch_samples = r.get<int64_t>("epoch_samples", int64_t{0});
  st.epoch_seconds = r.get<double>("epoch_seconds", 0.0);
  st.step = r.get<int64_t>("step");
  st.best = r.get<double>("best");
  st.has_best = r.get<bool>("has_best");
  st.bad_epochs = r.get<int64_t>("bad_epochs");
  st.es_best = r.get<double>("es_best");
  st.es_has_best = r.get<bool>("es_has_best");
  st.train_seconds = r.get<double>("train_seconds");
  st.history = r.get<std::vector<std::map<std::string, double>>>("history");
  st.loss_scale = r.get<double>("loss_scale", 0.0);
  st.scale_growth = r.get<int64_t>("scale_growth", int64_t{0});
  st.counters = r.get<std::map<std::string, int64_t>>("counters", std::map<std::string, int64_t>{});
  if (st.epochs_done < 0 || st.epoch_step < 0 || st.step < 0 ||
      st.history.size() != static_cast<size_t>(st.epochs_done)) {
    throw RuntimeError(
        dir + "/state.json: epochs_done, step and history disagree (damaged checkpoint state)");
  }
  return st;
}

}  // namespace

std::string shard_file(const std::string& root, const std::string& name, int rank) {
  return root + "/.shards-" + name + "/optimizer-rank-" + std::to_string(rank) + ".pt";
}

int64_t optimizer_shards(const std::string& dir) {
  return StateReader(dir).get<int64_t>("optimizer_shards", int64_t{0});
}

void save_optimizer_shard(const std::string& root, const std::string& name,
                          torch::optim::Optimizer& opt, int rank) {
  std::string path = shard_file(root, name, rank);
  fs::create_directories(fs::path(path).parent_path());
  torch::save(opt, path + ".tmp");
  commit_file_atomic(path + ".tmp", path);
}

void load_optimizer_shard(const std::string& dir, torch::optim::Optimizer& opt, int rank,
                          int world) {
  int64_t n = optimizer_shards(dir);
  std::string mine = dir + "/optimizer-rank-" + std::to_string(rank) + ".pt";
  if (n != world || !fs::exists(mine)) {
    spdlog::warn("checkpoint {} holds {}; this run's optimizer shards ({} ranks) start afresh", dir,
                 n ? "the optimizer shards of " + std::to_string(n) + " ranks"
                   : std::string("one full optimizer state"),
                 world);
    return;
  }
  try {
    models::check_archive(mine);
    torch::load(opt, mine);
  } catch (const c10::Error& e) {
    throw RuntimeError("checkpoint " + dir + " cannot be restored: " + mine + ": " + first_line(e));
  }
}

void save_checkpoint(const std::string& root, const std::string& name, models::Model& model,
                     torch::optim::Optimizer& opt, const TrainState& st,
                     const std::string& config_yaml, const std::vector<std::string>& shards,
                     const CheckpointFiles& extra) {
  fs::create_directories(root);
  fs::path final_dir = fs::path(root) / name;
  fs::path tmp = fs::path(root) / (".tmp-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  try {
    fs::create_directories(tmp);
    models::save_state_dict(model, (tmp / "model.pt").string());
    if (shards.empty()) torch::save(opt, (tmp / "optimizer.pt").string());
    for (const auto& f : shards) fs::rename(f, tmp / fs::path(f).filename());
    if (!shards.empty()) fs::remove_all(fs::path(shards.front()).parent_path());
    for (const auto& [file, write] : extra) write((tmp / file).string());
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      torch::save(gen.get_state(), (tmp / "rng.pt").string());
    }
    for (int64_t d = 0; d < static_cast<int64_t>(torch::cuda::device_count());
         ++d) {  // dropout on a GPU draws from its generator
      auto gen = at::globalContext().defaultGenerator(
          at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(d)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      torch::save(gen.get_state(), (tmp / ("rng-cuda-" + std::to_string(d) + ".pt")).string());
    }
    nlohmann::json j = {{"epochs_done", st.epochs_done},
                        {"epoch_step", st.epoch_step},
                        {"epoch_sums", st.epoch_sums},
                        {"epoch_samples", st.epoch_samples},
                        {"epoch_seconds", st.epoch_seconds},
                        {"step", st.step},
                        {"best", st.best},
                        {"has_best", st.has_best},
                        {"bad_epochs", st.bad_epochs},
                        {"es_best", st.es_best},
                        {"es_has_best", st.es_has_best},
                        {"train_seconds", st.train_seconds},
                        {"history", st.history},
                        {"optimizer_shards", shards.size()},
                        {"loss_scale", st.loss_scale},
                        {"scale_growth", st.scale_growth},
                        {"counters", st.counters}};
    write_file_atomic((tmp / "state.json").string(), j.dump(2));
    write_file_atomic((tmp / "config.yaml").string(), config_yaml);
    sync_tree(tmp);
  } catch (const std::exception& e) {  // e.g. the disk is full: nothing half-written stays behind
    std::error_code ec;
    fs::remove_all(tmp, ec);
    std::string why = e.what();
    if (auto* ce = dynamic_cast<const c10::Error*>(&e)) why = first_line(*ce);
    throw RuntimeError("cannot write checkpoint " + final_dir.string() + ": " + why);
  }
  // Into place. With an old checkpoint of the same name, the two are
  // exchanged atomically; where the file system cannot, the old one moves
  // aside first and recover_checkpoints() puts it back after a crash.
  if (fs::exists(final_dir) && exchange(tmp, final_dir)) {
    fs::remove_all(tmp);
  } else {
    fs::path old = fs::path(root) / (".old-" + name + "-" + std::to_string(::getpid()));
    if (fs::exists(final_dir)) fs::rename(final_dir, old);
    fs::rename(tmp, final_dir);
    fs::remove_all(old);
  }
  commit_file_atomic(final_dir.string() + "/state.json", final_dir.string() + "/state.json");
}

void recover_checkpoints(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(".old-", 0) == 0) {  // .old-NAME-PID: moved aside during a swap
      std::string name = n.substr(5, n.rfind('-') - 5);
      fs::path target = fs::path(root) / name;
      if (!fs::exists(target) && fs::exists(e.path() / "state.json")) {
        spdlog::warn("checkpoint {} was hidden by a crash during its replacement; restoring it",
                     target.string());
        fs::rename(e.path(), target);
      } else {
        fs::remove_all(e.path(), ec);
      }
    } else if (n.rfind(".tmp-", 0) == 0 || n.rfind(".shards-", 0) == 0) {  // never completed
      fs::remove_all(e.path(), ec);
    }
  }
}

CheckpointScan scan_checkpoints(const std::string& root) {
  CheckpointScan scan;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return scan;
  int64_t best = -1;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.path().filename().string().rfind(".", 0) != 0 && e.is_directory())
      dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const std::string name = d.filename().string();
    try {
      for (const char* f : {"model.pt", "rng.pt", "state.json"}) {
        if (!fs::exists(d / f)) throw RuntimeError(f + std::string(" is missing"));
      }
      TrainState st = read_state(d.string());
      // Progress in steps-within-epoch units: a mid-epoch checkpoint of epoch
      // e+1 is newer than the end of epoch e.
      int64_t done = st.epochs_done * (int64_t{1} << 32) + st.epoch_step;
      if (done > best || (done == best && name.rfind("epoch-", 0) == 0)) {
        best = done;
        scan.latest = d.string();
        scan.latest_step = st.step;
      }
    } catch (const Error& e) {
      scan.unreadable.emplace_back(d.string(), e.what());
    }
  }
  return scan;
}

std::optional<std::string> latest_checkpoint(const std::string& root) {
  return scan_checkpoints(root).latest;
}

TrainState load_checkpoint(const std::string& dir, models::Model* model,
                           torch::optim::Optimizer* opt) {
  TrainState st = read_state(dir);
  if (model) models::load_state_dict(*model, dir + "/model.pt");
  std::string file = dir + "/optimizer.pt";
  try {
    if (opt && fs::exists(file)) {
      models::check_archive(file);
      torch::load(*opt, file);
    } else if (opt) {
      spdlog::warn(
          "checkpoint {} holds the optimizer state in {} shards (zero1); the optimizer starts "
          "afresh",
          dir, optimizer_shards(dir));
    }
    file = dir + "/rng.pt";
    models::check_archive(file);
    torch::Tensor rng;
    torch::load(rng, file);
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    if (rng.scalar_type() != torch::kUInt8 || rng.numel() != gen.get_state().numel()) {
      throw RuntimeError(file + ": not a random-number-generator state (damaged checkpoint)");
    }
    gen.set_state(rng);
    for (int64_t d = 0; d < static_cast<int64_t>(torch::cuda::device_count()); ++d) {
      file = dir + "/rng-cuda-" + std::to_string(d) + ".pt";
      if (!fs::exists(file)) continue;
      torch::Tensor state;
      torch::load(state, file);
      auto g = at::globalContext().defaultGenerator(
          at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(d)));
      std::lock_guard<std::mutex> glock(g.mutex());
      g.set_state(state);
    }
  } catch (const c10::Error& e) {
    throw RuntimeError("checkpoint " + dir + " cannot be restored: " + file + ": " + first_line(e));
  }
  return st;
}

void prune_checkpoints(const std::string& root, int64_t keep) {
  std::vector<fs::path> periodic;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.path().filename().string().rfind("epoch-", 0) == 0) periodic.push_back(e.path());
  }
  std::sort(periodic.begin(), periodic.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < periodic.size(); ++i)
    fs::remove_all(periodic[i]);
}

}  // namespace itwin::train
