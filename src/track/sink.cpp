#include "itwin/track/sink.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace itwin::track {

JsonlSink::JsonlSink(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  out_ = std::make_unique<std::ofstream>(path_, std::ios::app);
  if (!*out_) throw RuntimeError("cannot write " + path_);
}

void JsonlSink::log(const MetricPoint& p) {
  nlohmann::json j = {{"step", p.step}, {"epoch", p.epoch}, {"time", p.time}};
  if (p.per_step) j["per_step"] = true;
  for (const auto& [k, v] : p.values) j[k] = v;
  *out_ << j.dump() << '\n';
  if (!p.per_step) out_->flush();
}

void JsonlSink::close(const std::string&) { out_->flush(); }

void JsonlSink::rewind(int64_t step) {
  out_->close();
  std::string kept, line;
  {
    std::ifstream in(path_);
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("step", int64_t{0}) > step) continue;
      kept += line + "\n";
    }
  }
  write_file_atomic(path_, kept);
  out_ = std::make_unique<std::ofstream>(path_, std::ios::app);
  if (!*out_) throw RuntimeError("cannot write " + path_);
}

void MultiSink::params(const std::map<std::string, std::string>& p) {
  for (auto& s : sinks_) s->params(p);
}
void MultiSink::log(const MetricPoint& p) {
  for (auto& s : sinks_) s->log(p);
}
void MultiSink::close(const std::string& status) {
  for (auto& s : sinks_) s->close(status);
}
void MultiSink::rewind(int64_t step) {
  for (auto& s : sinks_) s->rewind(step);
}

int64_t MultiSink::step_interval() const {
  int64_t every = 0;
  for (const auto& s : sinks_) {
    int64_t e = s->step_interval();
    if (e > 0 && (every == 0 || e < every)) every = e;
  }
  return every;
}

std::vector<MetricPoint> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<MetricPoint> out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw RuntimeError(path + ":" + std::to_string(lineno) + ": not JSON: " + e.what());
    }
    MetricPoint p;
    for (auto& [k, v] : j.items()) {
      if (k == "step")
        p.step = v.get<int64_t>();
      else if (k == "epoch")
        p.epoch = v.get<int64_t>();
      else if (k == "time")
        p.time = v.get<double>();
      else if (v.is_number())
        p.values[k] = v.get<double>();
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace itwin::track
