// TensorBoard event files: TFRecord framing (length, masked CRC-32C of the
// length, data, masked CRC-32C of the data) around Event protobufs.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "itwin/track/loggers.hpp"
#include "itwin/track/provenance.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/sysinfo.hpp"
#include "proto.hpp"
#include "sinks.hpp"

namespace itwin::track {

uint32_t crc32c(const std::string& data) {
  static uint32_t table[256];
  static bool init = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)init;
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const std::string& data) {
  uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string le64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

// Summary.Value with SummaryMetadata.plugin_data {plugin_name, content} and a tensor.
std::string plugin_value(const std::string& tag, const std::string& plugin,
                         const std::string& content, const std::string& tensor) {
  std::string plugin_data, metadata, value;
  pb::bytes_field(plugin_data, 1, plugin);
  if (!content.empty()) pb::bytes_field(plugin_data, 2, content);
  pb::bytes_field(metadata, 1, plugin_data);
  pb::bytes_field(value, 1, tag);
  pb::bytes_field(value, 9, metadata);
  pb::bytes_field(value, 8, tensor);
  return value;
}

std::string string_tensor(const std::string& s) {
  std::string t;
  pb::int_field(t, 1, 7);     // dtype DT_STRING
  pb::bytes_field(t, 2, "");  // tensor_shape: scalar
  pb::bytes_field(t, 8, s);   // string_val
  return t;
}

std::string null_tensor() {  // what TensorBoard's hparams summaries carry
  std::string t;
  pb::int_field(t, 1, 1);  // DT_FLOAT
  pb::bytes_field(t, 2, "");
  pb::float_field(t, 5, 0.0f);
  return t;
}

const char* kSessionStart = "_hparams_/session_start_info";
const char* kSessionEnd = "_hparams_/session_end_info";

// The records of an event file that are complete and intact (a run killed
// mid-write leaves a torn last record, which TensorBoard stops at too).
std::vector<std::string> read_records(const std::string& path) {
  std::vector<std::string> out;
  std::string s = read_file(path);
  size_t i = 0;
  while (i + 12 <= s.size()) {
    uint64_t n;
    std::memcpy(&n, s.data() + i, 8);
    if (n > s.size() - i - 16) break;
    std::string data = s.substr(i + 12, n);
    if (le32(masked_crc32c(s.substr(i, 8))) != s.substr(i + 8, 4) ||
        le32(masked_crc32c(data)) != s.substr(i + 12 + n, 4))
      break;
    out.push_back(std::move(data));
    i += 12 + n + 4;
  }
  return out;
}

std::string framed(const std::string& data) {
  std::string len = le64(data.size());
  return len + le32(masked_crc32c(len)) + data + le32(masked_crc32c(data));
}

// The tag of a summary event's first value ("" for other events).
std::string summary_tag(const std::string& event) {
  size_t i = 0;
  pb::Field f;
  while (pb::next_field(event, i, f)) {
    if (f.number != 5 || f.wire != 2) continue;
    size_t j = 0;
    pb::Field v;
    while (pb::next_field(f.bytes, j, v)) {
      if (v.number != 1 || v.wire != 2) continue;
      size_t k = 0;
      pb::Field t;
      while (pb::next_field(v.bytes, k, t))
        if (t.number == 1 && t.wire == 2) return t.bytes;
    }
  }
  return "";
}

// The event files an earlier attempt of this run left in `dir` (a resumed
// run). TensorBoard keeps the first session start and end it reads per run,
// so for the resumed run to end as one session with its final status, the
// earlier ends are removed (each file rewritten atomically) and the first
// start stays the only one. Returns whether an earlier start exists.
bool continue_session(const std::string& dir) {
  bool started = false;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (e.is_regular_file() && n.rfind("events.out.tfevents.", 0) == 0)
      files.push_back(e.path().string());
  }
  for (const auto& f : files) {
    std::string kept;
    bool ended = false;
    for (const auto& rec : read_records(f)) {
      std::string tag = summary_tag(rec);
      started = started || tag == kSessionStart;
      if (tag == kSessionEnd)
        ended = true;
      else
        kept += framed(rec);
    }
    if (ended) write_file_atomic(f, kept);
  }
  return started;
}

class TensorBoardSink : public FilteredSink {
 public:
  TensorBoardSink(const config::LoggerSpec& spec, const RunInfo& run)
      : FilteredSink(spec), run_(run) {
    std::string dir = spec.dir.empty() ? run.run_dir + "/tensorboard" : spec.dir;
    std::filesystem::create_directories(dir);
    continued_ = run.resumed && continue_session(dir);
    char name[256];
    std::snprintf(name, sizeof name, "events.out.tfevents.%lld.%s.%d.0",
                  static_cast<long long>(now()), host_name().c_str(), static_cast<int>(::getpid()));
    path_ = dir + "/" + name;
    out_.open(path_, std::ios::binary);
    if (!out_) throw_errno("cannot write " + path_);
    std::string first;
    pb::double_field(first, 1, now());
    pb::bytes_field(first, 3, "brain.Event:2");
    record(first);
  }

  void params(const std::map<std::string, std::string>& p) override {
    // Text: the resolved config, one "key: value" per line (markdown code block).
    std::string text = "```\n";
    for (const auto& [k, v] : p) text += k + ": " + v + "\n";
    text += "```";
    summary_event(0, plugin_value("config", "text", "", string_tensor(text)));
    if (continued_) {  // the session began with the first attempt
      out_.flush();
      return;
    }
    // HParams: HParamsPluginData{version 0, session_start_info{hparams, group_name,
    // start_time_secs}}. The world size is a hyper-parameter too: 1 and 2 ranks are different
    // trials.
    std::map<std::string, std::string> hparams = p;
    hparams["world_size"] = std::to_string(run_.world);
    std::string start, fingerprint;
    for (const auto& [k, v] : hparams) {
      fingerprint += k + "=" + v + "\n";
      std::string value, entry;
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (!v.empty() && *end == '\0')
        pb::double_field(value, 2, d);  // number_value
      else if (v == "true" || v == "false")
        pb::int_field(value, 4, v == "true");  // bool_value
      else
        pb::bytes_field(value, 3, v);  // string_value
      pb::bytes_field(entry, 1, k);
      pb::bytes_field(entry, 2, value);
      pb::bytes_field(start, 1, entry);
    }
    // One group per distinct set of hyper-parameters, as TensorBoard's own
    // writer does (a hash of them): runs that differ never merge.
    pb::bytes_field(start, 4, fnv1a64(fingerprint));
    pb::double_field(start, 5, now());
    std::string plugin;
    pb::int_field(plugin, 1, 0);
    pb::bytes_field(plugin, 3, start);
    summary_event(0,
                  plugin_value("_hparams_/session_start_info", "hparams", plugin, null_tensor()));
    out_.flush();
  }

  void close(const std::string& status) override {
    std::string end, plugin;
    pb::int_field(end, 1, status == "FINISHED" ? 1 : 2);  // STATUS_SUCCESS / STATUS_FAILURE
    pb::double_field(end, 2, now());
    pb::int_field(plugin, 1, 0);
    pb::bytes_field(plugin, 4, end);
    summary_event(0, plugin_value("_hparams_/session_end_info", "hparams", plugin, null_tensor()));
    out_.flush();
  }

 private:
  void write(const MetricPoint& p) override {
    std::string summary;
    for (const auto& [k, v] : p.values) {
      std::string value;
      pb::bytes_field(value, 1, k);
      pb::float_field(value, 2, static_cast<float>(v));  // simple_value
      pb::bytes_field(summary, 1, value);
    }
    std::string event;
    pb::double_field(event, 1, p.time);
    pb::int_field(event, 2, p.step);
    pb::bytes_field(event, 5, summary);
    record(event);
    if (!p.per_step) out_.flush();
  }

  void summary_event(int64_t step, const std::string& value) {
    std::string summary, event;
    pb::bytes_field(summary, 1, value);
    pb::double_field(event, 1, now());
    pb::int_field(event, 2, step);
    pb::bytes_field(event, 5, summary);
    record(event);
  }

  void record(const std::string& data) { out_ << framed(data); }

  RunInfo run_;
  bool continued_ = false;
  std::string path_;
  std::ofstream out_;
};

}  // namespace

std::unique_ptr<MetricSink> make_tensorboard(const config::LoggerSpec& spec, const RunInfo& run) {
  return std::make_unique<TensorBoardSink>(spec, run);
}

}  // namespace itwin::track
