#pragma once
// Helpers shared by the tracking tests: a small pipeline with given loggers,
// file reading, and the stand-in MLflow server (tests/track/mlflow_server.py)
// for failures on purpose. The real MLflow and TensorBoard: oracles.hpp.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../helpers.hpp"

namespace itwin::test {

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

inline std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

/// The run ids (sub-directories) of an MLflow file-store experiment directory, sorted.
inline std::vector<std::string> mlflow_run_ids(const std::string& experiment_dir) {
  std::vector<std::string> ids;
  for (const auto& e : std::filesystem::directory_iterator(experiment_dir))
    if (e.is_directory()) ids.push_back(e.path().filename().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

/// A pipeline file: run "tracked", the given `loggers:` lines, a 3-epoch MLP
/// on synthetic blobs (or IDX data at `data_path`).
inline std::string pipeline(const std::string& loggers, const std::string& data_path = "") {
  return "run: {name: tracked, seed: 3}\n"
         "loggers:\n" +
         loggers + "pipelines:\n  training:\n    steps:\n" +
         (data_path.empty()
              ? "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: "
                "640}}\n"
              : "      - {name: data, type: dataset, format: idx, path: " + data_path + "}\n") +
         "      - {name: model, type: model, arch: mlp, hidden: [16]}\n"
         "      - {name: train, type: trainer, epochs: 3, batch_size: 32}\n";
}

// The stand-in tracking server (what the real one cannot do: fail on purpose,
// echo credentials), started for one test and stopped after it.
struct FakeMlflow {
  TempDir dir;
  std::string port, record;
  explicit FakeMlflow(int fail_batches, const std::string& mode = "") {
    record = dir.path() + "/requests.jsonl";
    std::string pf = dir.path() + "/port";
    run_shell("nohup /usr/bin/python3 " + source_root() + "/tests/track/mlflow_server.py " +
              record + " " + pf + " " + std::to_string(fail_batches) + " " + mode +
              " > /dev/null 2>&1 & echo $! > " + dir.path() + "/pid");
    for (int i = 0; i < 500 && !std::filesystem::exists(pf); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling for the port file
    }
    port = slurp(pf);
  }
  ~FakeMlflow() { run_shell("kill $(cat " + dir.path() + "/pid)"); }
  std::string uri() const { return "http://127.0.0.1:" + port; }
  std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(record);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
};

}  // namespace itwin::test
