#include "itwin/train/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"

namespace fs = std::filesystem;

namespace itwin::train {
namespace {

void sync_tree(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) commit_file_atomic(e.path().string(), e.path().string());
}

}  // namespace

std::string shard_file(const std::string& root, const std::string& name, int rank) {
  return root + "/.shards-" + name + "/optimizer-rank-" + std::to_string(rank) + ".pt";
}

int64_t optimizer_shards(const std::string& dir) {
  return nlohmann::json::parse(read_file(dir + "/state.json")).value("optimizer_shards", int64_t{0});
}

void save_optimizer_shard(const std::string& root, const std::string& name, torch::optim::Optimizer& opt, int rank) {
  std::string path = shard_file(root, name, rank);
  fs::create_directories(fs::path(path).parent_path());
  torch::save(opt, path + ".tmp");
  commit_file_atomic(path + ".tmp", path);
}

void load_optimizer_shard(const std::string& dir, torch::optim::Optimizer& opt, int rank, int world) {
  int64_t n = optimizer_shards(dir);
  std::string mine = dir + "/optimizer-rank-" + std::to_string(rank) + ".pt";
  if (n != world || !fs::exists(mine)) {
    spdlog::warn("checkpoint {} holds {}; this run's optimizer shards ({} ranks) start afresh", dir,
                 n ? "the optimizer shards of " + std::to_string(n) + " ranks" : std::string("one full optimizer state"), world);
    return;
  }
  try {
    torch::load(opt, mine);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw RuntimeError("checkpoint " + dir + " cannot be restored: " + msg.substr(0, msg.find('\n')));
  }
}

void save_checkpoint(const std::string& root, const std::string& name, models::Model& model,
                     torch::optim::Optimizer& opt, const TrainState& st, const std::string& config_yaml,
                     const std::vector<std::string>& shards) {
  fs::create_directories(root);
  fs::path final_dir = fs::path(root) / name;
  fs::path tmp = fs::path(root) / (".tmp-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  models::save_state_dict(model, (tmp / "model.pt").string());
  if (shards.empty()) torch::save(opt, (tmp / "optimizer.pt").string());
  for (const auto& f : shards) fs::rename(f, tmp / fs::path(f).filename());
  if (!shards.empty()) fs::remove_all(fs::path(shards.front()).parent_path());
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    torch::save(gen.get_state(), (tmp / "rng.pt").string());
  }
  nlohmann::json j = {{"epochs_done", st.epochs_done}, {"epoch_step", st.epoch_step}, {"epoch_sums", st.epoch_sums},
                      {"epoch_samples", st.epoch_samples}, {"epoch_seconds", st.epoch_seconds}, {"step", st.step},         {"best", st.best},
                      {"has_best", st.has_best},       {"bad_epochs", st.bad_epochs}, {"es_best", st.es_best}, {"es_has_best", st.es_has_best}, {"train_seconds", st.train_seconds},
                      {"history", st.history}, {"optimizer_shards", shards.size()}};
  write_file_atomic((tmp / "state.json").string(), j.dump(2));
  write_file_atomic((tmp / "config.yaml").string(), config_yaml);
  sync_tree(tmp);
  // Swap into place: an old checkpoint of the same name goes only after the
  // new one is complete.
  fs::path old = fs::path(root) / (".old-" + name + "-" + std::to_string(::getpid()));
  if (fs::exists(final_dir)) fs::rename(final_dir, old);
  fs::rename(tmp, final_dir);
  commit_file_atomic(final_dir.string() + "/state.json", final_dir.string() + "/state.json");
  fs::remove_all(old);
}

std::optional<std::string> latest_checkpoint(const std::string& root) {
  if (!fs::is_directory(root)) return std::nullopt;
  std::optional<std::string> best;
  int64_t best_epochs = -1;
  for (const auto& e : fs::directory_iterator(root)) {
    std::string name = e.path().filename().string();
    if (name.rfind(".", 0) == 0 || !fs::exists(e.path() / "state.json")) continue;
    try {
      auto j = nlohmann::json::parse(read_file((e.path() / "state.json").string()));
      // Progress in steps-within-epoch units: a mid-epoch checkpoint of epoch
      // e+1 is newer than the end of epoch e.
      int64_t done = j.at("epochs_done").get<int64_t>() * (int64_t{1} << 32) + j.value("epoch_step", int64_t{0});
      if (done > best_epochs || (done == best_epochs && name.rfind("epoch-", 0) == 0)) {
        best_epochs = done;
        best = e.path().string();
      }
    } catch (const std::exception&) {
      continue;  // not a checkpoint we wrote completely: skip it
    }
  }
  return best;
}

TrainState load_checkpoint(const std::string& dir, models::Model* model, torch::optim::Optimizer* opt) {
  if (model) models::load_state_dict(*model, dir + "/model.pt");
  try {
    if (opt && fs::exists(dir + "/optimizer.pt")) {
      torch::load(*opt, dir + "/optimizer.pt");
    } else if (opt) {
      spdlog::warn("checkpoint {} holds the optimizer state in {} shards (zero1); the optimizer starts afresh", dir,
                   optimizer_shards(dir));
    }
    torch::Tensor rng;
    torch::load(rng, dir + "/rng.pt");
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw RuntimeError("checkpoint " + dir + " cannot be restored: " + msg.substr(0, msg.find('\n')));
  }
  auto j = nlohmann::json::parse(read_file(dir + "/state.json"));
  TrainState st;
  st.epochs_done = j.at("epochs_done").get<int64_t>();
  st.epoch_step = j.value("epoch_step", int64_t{0});
  st.epoch_sums = j.value("epoch_sums", std::vector<double>{});
  st.epoch_samples = j.value("epoch_samples", int64_t{0});
  st.epoch_seconds = j.value("epoch_seconds", 0.0);
  st.step = j.at("step").get<int64_t>();
  st.best = j.at("best").get<double>();
  st.has_best = j.at("has_best").get<bool>();
  st.bad_epochs = j.at("bad_epochs").get<int64_t>();
  st.es_best = j.at("es_best").get<double>();
  st.es_has_best = j.at("es_has_best").get<bool>();
  st.train_seconds = j.at("train_seconds").get<double>();
  st.history = j.at("history").get<std::vector<std::map<std::string, double>>>();
  return st;
}

void prune_checkpoints(const std::string& root, int64_t keep) {
  std::vector<fs::path> periodic;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.path().filename().string().rfind("epoch-", 0) == 0) periodic.push_back(e.path());
  }
  std::sort(periodic.begin(), periodic.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < periodic.size(); ++i) fs::remove_all(periodic[i]);
}

}  // namespace itwin::train
