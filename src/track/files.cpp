// JSON lines and CSV sinks, the logger factory, flatten().
#include <filesystem>
#include <fstream>
#include <functional>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/redact.hpp"
#include "itwin/util/strings.hpp"
#include "sinks.hpp"

namespace itwin::track {
namespace {

class JsonlFile : public FilteredSink {
 public:
  JsonlFile(const config::LoggerSpec& spec, std::string path)
      : FilteredSink(spec), inner_(std::move(path)) {}
  void close(const std::string& status) override { inner_.close(status); }
  void rewind(int64_t step) override { inner_.rewind(step); }

 private:
  void write(const MetricPoint& p) override { inner_.log(p); }
  JsonlSink inner_;
};

// Long format: one line per value, so points with different keys share a file.
class CsvFile : public FilteredSink {
 public:
  CsvFile(const config::LoggerSpec& spec, std::string path)
      : FilteredSink(spec), path_(std::move(path)) {
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    if (!std::filesystem::exists(path_))
      write_file_atomic(path_, kHeader);  // a resumed run keeps its lines
    out_.open(path_, std::ios::app);
    if (!out_) throw RuntimeError("cannot write " + path_);
  }
  void close(const std::string&) override { out_.flush(); }
  void rewind(int64_t step) override {
    out_.close();
    std::ifstream in(path_);
    std::string line, kept = kHeader;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      auto f = split(line, ',');
      if (f.size() > 1 && std::atoll(f[1].c_str()) > step) continue;
      kept += line + "\n";
    }
    write_file_atomic(path_, kept);
    out_.open(path_, std::ios::app);
    if (!out_) throw RuntimeError("cannot write " + path_);
  }

 private:
  void write(const MetricPoint& p) override {
    std::string lines;
    char buf[96];
    for (const auto& [k, v] : p.values) {
      std::snprintf(buf, sizeof buf, "%.3f,%lld,%lld,%d,", p.time, static_cast<long long>(p.step),
                    static_cast<long long>(p.epoch), p.per_step ? 1 : 0);
      lines += buf + k;
      std::snprintf(buf, sizeof buf, ",%.9g\n", v);
      lines += buf;
    }
    out_ << lines;
    if (!p.per_step) out_.flush();
  }
  static constexpr const char* kHeader = "time,step,epoch,per_step,key,value\n";
  std::string path_;
  std::ofstream out_;
};

// The logger factory: a switch over the logger catalog.
std::unique_ptr<MetricSink> make_sink(const config::LoggerSpec& spec, const RunInfo& run) {
  switch (spec.type) {
    case config::LoggerKind::Jsonl:
      return make_jsonl(spec, run);
    case config::LoggerKind::Csv:
      return make_csv(spec, run);
    case config::LoggerKind::Mlflow:
      return make_mlflow(spec, run);
    case config::LoggerKind::Tensorboard:
      return make_tensorboard(spec, run);
  }
  throw RuntimeError("unhandled logger");
}

}  // namespace

std::unique_ptr<MetricSink> make_jsonl(const config::LoggerSpec& spec, const RunInfo& run) {
  return std::make_unique<JsonlFile>(
      spec, spec.dir.empty() ? run.run_dir + "/metrics.jsonl" : spec.dir + "/metrics.jsonl");
}

std::unique_ptr<MetricSink> make_csv(const config::LoggerSpec& spec, const RunInfo& run) {
  return std::make_unique<CsvFile>(
      spec, spec.dir.empty() ? run.run_dir + "/metrics.csv" : spec.dir + "/metrics.csv");
}

std::unique_ptr<MultiSink> make_sinks(const std::vector<config::LoggerSpec>& specs,
                                      const RunInfo& run) {
  auto sinks = std::make_unique<MultiSink>();
  std::vector<TrackedRun> runs(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    config::LoggerSpec spec = specs[i];
    bool mine = spec.ranks.empty();
    for (int r : spec.ranks) mine = mine || r == run.rank;
    if (!mine) continue;
    if (i < run.parent_runs.size() && !run.parent_runs[i].empty())
      spec.parent_run_id = run.parent_runs[i];
    if (i < run.continue_runs.size() &&
        run.continue_runs[i].kind == config::logger_catalog().name(spec.type)) {
      spec.continue_run_id = run.continue_runs[i].id;
    }
    auto sink = make_sink(spec, run);
    runs[i] = sink->tracked_run();
    sinks->add(std::move(sink));
  }
  sinks->set_tracked_runs(std::move(runs));
  std::map<std::string, std::string> params = run.params;
  for (auto& [k, v] : params) v = redact(v);  // e.g. a download command with user:pass@
  sinks->params(params);
  return sinks;
}

nlohmann::json tracked_run_json(const TrackedRun& r) {
  return {
      {"kind", r.kind}, {"store", redact(r.store)}, {"experiment", r.experiment}, {"run_id", r.id}};
}

TrackedRun tracked_run_from_json(const nlohmann::json& j) {
  return {j.value("kind", ""), j.value("store", ""), j.value("experiment", ""),
          j.value("run_id", "")};
}

void save_tracked_runs(const std::string& dir, const std::vector<TrackedRun>& runs) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : runs) j.push_back(tracked_run_json(r));
  write_file_atomic(dir + "/tracked_runs.json", j.dump(2) + "\n");
}

std::vector<TrackedRun> load_tracked_runs(const std::string& dir) {
  std::vector<TrackedRun> out;
  std::string p = dir + "/tracked_runs.json";
  if (!std::filesystem::exists(p)) return out;
  auto j = nlohmann::json::parse(read_file(p), nullptr, false);
  if (!j.is_array()) return out;  // damaged: new runs
  for (const auto& r : j) out.push_back(tracked_run_from_json(r));
  return out;
}

std::string run_file_bytes(const std::string& run_dir, const std::string& name) {
  std::string bytes = read_file(run_dir + "/" + name);
  return name == "config.yaml" ? redact(bytes) : bytes;
}

void flatten(const std::string& prefix, const std::map<std::string, std::string>& in,
             std::map<std::string, std::string>& out) {
  for (const auto& [k, v] : in) out[prefix.empty() ? k : prefix + "." + k] = v;
}

}  // namespace itwin::track
