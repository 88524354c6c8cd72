// Loggers read back: TensorBoard records decoded (both CRCs checked with an
// independent CRC-32C), the MLflow file store checked field by field, CSV
// and provenance; every value compared with the JSON lines.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

#include "../helpers.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

uint32_t crc32c_bitwise(const std::string& s) {  // the reference definition, bit by bit
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}
uint32_t masked(const std::string& s) {
  uint32_t c = crc32c_bitwise(s);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

// A protobuf field: number, wire type, varint or raw bytes.
struct Field {
  int num = 0, wire = 0;
  uint64_t v = 0;
  std::string bytes;
};
std::vector<Field> fields(const std::string& m) {
  std::vector<Field> out;
  size_t i = 0;
  auto varint = [&] {
    uint64_t r = 0;
    for (int sh = 0; i < m.size(); sh += 7) {
      auto b = static_cast<unsigned char>(m[i++]);
      r |= static_cast<uint64_t>(b & 0x7f) << sh;
      if (!(b & 0x80)) break;
    }
    return r;
  };
  while (i < m.size()) {
    uint64_t k = varint();
    Field f;
    f.num = static_cast<int>(k >> 3);
    f.wire = static_cast<int>(k & 7);
    if (f.wire == 0)
      f.v = varint();
    else if (f.wire == 1)
      f.bytes = m.substr(i, 8), i += 8;
    else if (f.wire == 5)
      f.bytes = m.substr(i, 4), i += 4;
    else if (f.wire == 2) {
      size_t n = varint();
      f.bytes = m.substr(i, n);
      i += n;
    }
    out.push_back(f);
  }
  return out;
}
const Field* get(const std::vector<Field>& fs, int num) {
  for (const auto& f : fs)
    if (f.num == num) return &f;
  return nullptr;
}

struct Records {
  std::vector<std::string> events;
  int bad_crc = 0;
};
Records read_records(const std::string& path) {
  Records r;
  std::string s = slurp(path);
  size_t i = 0;
  while (i + 12 <= s.size()) {
    std::string len = s.substr(i, 8);
    uint64_t n;
    std::memcpy(&n, len.data(), 8);
    uint32_t lc, dc;
    std::memcpy(&lc, s.data() + i + 8, 4);
    std::string data = s.substr(i + 12, n);
    std::memcpy(&dc, s.data() + i + 12 + n, 4);
    if (lc != masked(len) || dc != masked(data)) ++r.bad_crc;
    r.events.push_back(data);
    i += 12 + n + 4;
  }
  return r;
}

}  // namespace

TEST_CASE("tracking: every logger writes what the JSON lines hold", "[track]") {
  TempDir d;
  std::string cfg = d.write(
      "p.yaml",
      pipeline(
          "  - {type: jsonl, log_every: 5}\n  - {type: csv, log_every: 5}\n"
          "  - {type: mlflow, experiment: fmnist-study}\n  - {type: tensorboard, log_every: 5}\n"));
  std::string run = d.path() + "/run";
  auto r = run_shell(itwin_bin() + " train " + cfg + " --threads 1 --run-dir " + run);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);

  // The reference: JSON lines (epoch points, every 5th step, the monitor's totals).
  std::map<std::pair<std::string, int64_t>, double> want;  // (key, step) -> value
  int epoch_points = 0, step_points = 0;
  std::ifstream jl(run + "/metrics.jsonl");
  for (std::string line; std::getline(jl, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.value("per_step", false)) {
      ++step_points;
    } else if (j.contains("train_loss")) {
      ++epoch_points;  // else the run's closing point (the hardware monitor's totals)
    }
    for (auto& [k, v] : j.items()) {
      if (k != "step" && k != "epoch" && k != "time" && k != "per_step")
        want[{k, j["step"].get<int64_t>()}] = v.get<double>();
    }
  }
  CHECK(epoch_points == 3);
  CHECK(step_points ==
        54 / 5);  // 576 training samples / 32 = 18 steps per epoch, 3 epochs, every 5th step

  SECTION("tensorboard: framing, CRCs, scalars, text, hparams") {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(run + "/tensorboard"))
      files.push_back(e.path().string());
    REQUIRE(files.size() == 1);
    CHECK_THAT(files[0], Contains("events.out.tfevents."));
    auto recs = read_records(files[0]);
    CHECK(recs.bad_crc == 0);
    REQUIRE(recs.events.size() > 3);
    CHECK(get(fields(recs.events[0]), 3)->bytes == "brain.Event:2");
    size_t scalars = 0;
    bool text = false, start = false, end = false;
    for (const auto& ev : recs.events) {
      auto ef = fields(ev);
      const Field* summary = get(ef, 5);
      if (!summary) continue;
      int64_t step = get(ef, 2) ? static_cast<int64_t>(get(ef, 2)->v) : 0;
      for (const auto& vf : fields(summary->bytes)) {
        auto value = fields(vf.bytes);
        std::string tag = get(value, 1)->bytes;
        if (const Field* sv = get(value, 2)) {
          float f;
          std::memcpy(&f, sv->bytes.data(), 4);
          auto it = want.find({tag, step});
          INFO(tag << " at step " << step);
          REQUIRE(it != want.end());
          CHECK(f == Approx(static_cast<float>(it->second)));
          ++scalars;
        }
        text = text || tag == "config";
        start = start || tag == "_hparams_/session_start_info";
        if (tag == "_hparams_/session_end_info") {
          end = true;
          auto plugin = fields(get(fields(get(value, 9)->bytes), 1)->bytes);
          CHECK(get(plugin, 1)->bytes == "hparams");
          auto data = fields(get(plugin, 2)->bytes);
          CHECK(get(fields(get(data, 4)->bytes), 1)->v == 1);  // STATUS_SUCCESS
        }
      }
    }
    CHECK(scalars == want.size());
    CHECK(text);
    CHECK(start);
    CHECK(end);
  }

  SECTION("mlflow: the file store layout, field by field") {
    std::string root = run + "/mlruns";
    std::string def = slurp(root + "/0/meta.yaml");
    CHECK_THAT(def, Contains("name: 'Default'"));
    std::string exp = slurp(root + "/1/meta.yaml");
    for (const char* key :
         {"artifact_location: 'file://", "creation_time: ", "experiment_id: '1'",
          "last_update_time: ", "lifecycle_stage: active", "name: 'fmnist-study'"}) {
      CHECK_THAT(exp, Contains(key));
    }
    auto ids = mlflow_run_ids(root + "/1");
    REQUIRE(ids.size() == 1);
    const std::string id = ids[0];
    const std::string mrun = root + "/1/" + id;
    CHECK(std::regex_match(id, std::regex("[0-9a-f]{32}")));
    std::string meta = slurp(mrun + "/meta.yaml");
    for (const std::string& key :
         {"artifact_uri: 'file://" + mrun + "/artifacts'", std::string("entry_point_name: ''"),
          std::string("experiment_id: '1'"), std::string("lifecycle_stage: active"),
          "run_id: " + id, std::string("run_name: 'tracked'"), "run_uuid: " + id,
          std::string("source_type: 4"), std::string("status: 3"), std::string("tags: []"),
          std::string("user_id: ")}) {
      CHECK_THAT(meta, Contains(key));
    }
    CHECK(std::regex_search(meta, std::regex("end_time: \\d{13}\\n")));
    CHECK(std::regex_search(meta, std::regex("start_time: \\d{13}\\n")));
    CHECK(slurp(mrun + "/params/train.epochs") == "3");
    CHECK(slurp(mrun + "/params/train.optimizer.name") == "adam");
    CHECK(slurp(mrun + "/tags/mlflow.runName") == "tracked");
    for (const char* f : {"model.pt", "config.yaml", "summary.json", "provenance.json"}) {
      INFO(f);
      CHECK(slurp(mrun + "/artifacts/" + f) == slurp(run + "/" + f));  // the final files
    }
    // Metric files: "<timestamp_ms> <value> <step>" per epoch (mlflow logs epochs here).
    std::ifstream vl(mrun + "/metrics/val_loss");
    int lines = 0;
    for (std::string line; std::getline(vl, line); ++lines) {
      std::smatch m;
      REQUIRE(std::regex_match(line, m, std::regex("(\\d{13}) (\\S+) (\\d+)")));
      CHECK(std::stod(m[2]) == Approx(want[{"val_loss", std::stoll(m[3])}]));
    }
    CHECK(lines == 3);
  }

  SECTION("csv and provenance") {
    std::ifstream csv(run + "/metrics.csv");
    std::string header;
    std::getline(csv, header);
    CHECK(header == "time,step,epoch,per_step,key,value");
    size_t rows = 0;
    for (std::string line; std::getline(csv, line); ++rows) {
      auto parts = std::vector<std::string>();
      std::stringstream ss(line);
      for (std::string p; std::getline(ss, p, ',');) parts.push_back(p);
      REQUIRE(parts.size() == 6);
      CHECK(std::stod(parts[5]) == Approx(want[{parts[4], std::stoll(parts[1])}]).epsilon(1e-6));
    }
    CHECK(rows == want.size());
    auto prov = nlohmann::json::parse(slurp(run + "/provenance.json"));
    CHECK(prov["status"] == "FINISHED");
    CHECK(prov["config_hash"]["algorithm"] == "fnv1a64");
    CHECK(prov["config_hash"]["value"].get<std::string>().size() == 16);
    CHECK(prov["config_yaml"] == slurp(run + "/config.yaml"));
    CHECK(prov["versions"].contains("itwin"));
    CHECK(prov["versions"].contains("libtorch"));
    CHECK(prov["hosts"].size() == 1);
    CHECK(prov["end"].get<double>() >= prov["start"].get<double>());
  }
}

TEST_CASE("tracking: a failed run is marked FAILED; experiments are reused by name", "[track]") {
  TempDir d;
  std::string root = d.path() + "/mlruns";
  std::string ok = d.write("ok.yaml", pipeline("  - {type: mlflow, dir: " + root + "}\n"));
  REQUIRE(run_shell(itwin_bin() + " train " + ok + " --run-dir " + d.path() + "/a").exit_code == 0);
  std::string bad = d.write(
      "bad.yaml", pipeline("  - {type: mlflow, dir: " + root + "}\n", d.path() + "/missing"));
  CHECK(run_shell(itwin_bin() + " train " + bad + " --run-dir " + d.path() + "/b").exit_code == 1);
  int finished = 0, failed = 0, runs = 0;
  for (const auto& id : mlflow_run_ids(root + "/1")) {
    ++runs;
    std::string meta = slurp(root + "/1/" + id + "/meta.yaml");
    finished += meta.find("status: 3\n") != std::string::npos;
    failed += meta.find("status: 4\n") != std::string::npos;
  }
  CHECK(runs == 2);  // both in experiment 1 ("tracked")
  CHECK(finished == 1);
  CHECK(failed == 1);
  CHECK_FALSE(fs::exists(root + "/2"));
  auto prov = nlohmann::json::parse(slurp(d.path() + "/b/provenance.json"));
  CHECK(prov["status"] == "FAILED");
  CHECK_THAT(prov["error"].get<std::string>(), Contains("train-images-idx3-ubyte"));
}

TEST_CASE("tracking: logger config errors", "[track]") {
  TempDir d;
  auto r =
      run_shell(itwin_bin() + " validate " + d.write("p.yaml", pipeline("  - {type: mlfow}\n")));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("(did you mean 'mlflow'?)"));
  auto e = run_shell(itwin_bin() + " validate " +
                     d.write("q.yaml", pipeline("  - {type: csv, experiment: x}\n")));
  CHECK(e.exit_code == 2);
  CHECK_THAT(e.out, Contains("unknown key 'experiment'"));
}

TEST_CASE("runs: list, show and compare run directories", "[track]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline("  - {type: jsonl}\n"));
  std::string root = d.path() + "/runs-of-a-study-with-a-long-name";  // paths over 40 characters
  for (const char* lr : {"0.01", "0.001"}) {
    auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + root + "/lr-" + lr +
                       " --set pipelines.training.steps.train.optimizer.lr=" + lr);
    REQUIRE(r.exit_code == 0);
  }
  auto list = run_shell(itwin_bin() + " runs list " + root);
  INFO(list.out);
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Contains(root + "/lr-0.01"));
  CHECK_THAT(list.out, Contains("FINISHED"));
  CHECK_THAT(list.out, Contains("val_accuracy"));
  // The columns line up however long the paths are.
  std::istringstream lines(list.out);
  size_t status_col = std::string::npos;
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("RUN ", 0) == 0) status_col = line.find(" STATUS") + 1;
    if (line.rfind(root, 0) != 0) continue;
    ++rows;
    CHECK(line.find(" FINISHED") + 1 == status_col);
  }
  CHECK(rows == 2);
  auto js = nlohmann::json::parse(run_shell(itwin_bin() + " runs list " + root + " --json").out);
  CHECK(js.size() == 2);
  auto show = run_shell(itwin_bin() + " runs show " + root + "/lr-0.001");
  CHECK_THAT(show.out, Contains("train.optimizer.lr"));
  CHECK_THAT(show.out, Contains("0.001"));
  auto cmp = nlohmann::json::parse(
      run_shell(itwin_bin() + " runs compare " + root + "/lr-0.01 " + root + "/lr-0.001 --json")
          .out);
  CHECK(cmp["differing_params"] == nlohmann::json::array({"train.optimizer.lr"}));
  CHECK(cmp["runs"][0]["metrics"]["val_loss"] != cmp["runs"][1]["metrics"]["val_loss"]);
  auto bad = run_shell(itwin_bin() + " runs show " + d.path());
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Contains("is not a run directory"));
}

TEST_CASE(
    "mlflow REST: a server that fails (503, dropped connections) and recovers gets every value, in "
    "order, with auth",
    "[track]") {
  FakeMlflow server(4);  // 503, dropped, 503, dropped
  REQUIRE_FALSE(server.port.empty());
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline("  - {type: jsonl, log_every: 5}\n"
                                               "  - {type: mlflow, log_every: 5, experiment: "
                                               "rest-exp, tracking_uri: 'http://127.0.0.1:" +
                                               server.port + "'}\n"));
  auto r = run_shell("MLFLOW_TRACKING_TOKEN=sekret-token-42 " + itwin_bin() + " train " + cfg +
                     " --run-dir " + d.path() + "/run");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, !Contains("sekret-token-42"));  // credentials are never printed

  // What the server accepted, in arrival order, against the JSON lines.
  std::vector<std::tuple<std::string, int64_t, double>> sent;
  int rejected = 0;
  std::string status;
  for (const auto& q : server.requests()) {
    CHECK(q["auth"] == "Bearer sekret-token-42");
    std::string path = q["path"];
    if (path.find("log-batch") != std::string::npos && q["body"].contains("metrics")) {
      if (q["status"] != 200) {
        ++rejected;
        continue;
      }
      for (const auto& m : q["body"]["metrics"])
        sent.emplace_back(m["key"], m["step"].get<int64_t>(), m["value"].get<double>());
    }
    if (path.find("runs/update") != std::string::npos) status = q["body"]["status"];
    if (path.find("experiments/create") != std::string::npos)
      CHECK(q["body"]["name"] == "rest-exp");
  }
  CHECK(rejected == 4);
  CHECK(status == "FINISHED");
  // The run's files went through the artifact proxy, byte for byte.
  auto tracked = nlohmann::json::parse(slurp(d.path() + "/run/summary.json"))["tracked_runs"][0];
  std::string uploaded = server.dir.path() + "/artifacts/" +
                         tracked["experiment"].get<std::string>() + "/" +
                         tracked["run_id"].get<std::string>() + "/artifacts/";
  for (const char* f : {"model.pt", "config.yaml", "summary.json"}) {
    INFO(f);
    CHECK(slurp(uploaded + f) == slurp(d.path() + "/run/" + f));
  }
  std::vector<std::tuple<std::string, int64_t, double>> want;
  std::ifstream jl(d.path() + "/run/metrics.jsonl");
  for (std::string line; std::getline(jl, line);) {
    auto j = nlohmann::json::parse(line);
    for (auto& [k, v] : j.items()) {
      if (k != "step" && k != "epoch" && k != "time" && k != "per_step")
        want.emplace_back(k, j["step"].get<int64_t>(), v.get<double>());
    }
  }
  REQUIRE(sent.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(i);
    CHECK(std::get<0>(sent[i]) == std::get<0>(want[i]));  // nothing lost, order kept
    CHECK(std::get<1>(sent[i]) == std::get<1>(want[i]));
    CHECK(std::get<2>(sent[i]) == Approx(std::get<2>(want[i])));
  }
}

TEST_CASE("mlflow REST: an unreachable server is a clear error at the start", "[track]") {
  TempDir d;
  std::string cfg =
      d.write("p.yaml", pipeline("  - {type: mlflow, tracking_uri: 'http://127.0.0.1:9'}\n"));
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/run");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out,
             Contains("mlflow: POST http://127.0.0.1:9/api/2.0/mlflow/experiments/create failed"));
  CHECK(nlohmann::json::parse(slurp(d.path() + "/run/provenance.json"))["status"] == "FAILED");
}
