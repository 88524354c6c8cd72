// TensorBoard event files: TFRecord framing (length, masked CRC-32C of the
// length, data, masked CRC-32C of the data) around Event protobufs.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "itwin/track/loggers.hpp"
#include "itwin/util/error.hpp"
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

double now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string le64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

// Summary.Value with SummaryMetadata.plugin_data {plugin_name, content} and a tensor.
std::string plugin_value(const std::string& tag, const std::string& plugin, const std::string& content,
                         const std::string& tensor) {
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
  pb::int_field(t, 1, 7);       // dtype DT_STRING
  pb::bytes_field(t, 2, "");    // tensor_shape: scalar
  pb::bytes_field(t, 8, s);     // string_val
  return t;
}

std::string null_tensor() {     // what TensorBoard's hparams summaries carry
  std::string t;
  pb::int_field(t, 1, 1);       // DT_FLOAT
  pb::bytes_field(t, 2, "");
  pb::float_field(t, 5, 0.0f);
  return t;
}

class TensorBoardSink : public FilteredSink {
 public:
  TensorBoardSink(const config::LoggerSpec& spec, const RunInfo& run) : FilteredSink(spec), run_(run) {
    std::string dir = spec.dir.empty() ? run.run_dir + "/tensorboard" : spec.dir;
    std::filesystem::create_directories(dir);
    char name[256];
    std::snprintf(name, sizeof name, "events.out.tfevents.%lld.%s.%d.0", static_cast<long long>(now()),
                  host_name().c_str(), static_cast<int>(::getpid()));
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
    // HParams: HParamsPluginData{version 0, session_start_info{hparams, group_name, start_time_secs}}.
    std::string start;
    for (const auto& [k, v] : p) {
      std::string value, entry;
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (!v.empty() && *end == '\0') pb::double_field(value, 2, d);  // number_value
      else if (v == "true" || v == "false") pb::int_field(value, 4, v == "true");  // bool_value
      else pb::bytes_field(value, 3, v);                                          // string_value
      pb::bytes_field(entry, 1, k);
      pb::bytes_field(entry, 2, value);
      pb::bytes_field(start, 1, entry);
    }
    pb::bytes_field(start, 4, run_.run_name);
    pb::double_field(start, 5, now());
    std::string plugin;
    pb::int_field(plugin, 1, 0);
    pb::bytes_field(plugin, 3, start);
    summary_event(0, plugin_value("_hparams_/session_start_info", "hparams", plugin, null_tensor()));
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

  void record(const std::string& data) {
    std::string len = le64(data.size());
    out_ << len << le32(masked_crc32c(len)) << data << le32(masked_crc32c(data));
  }

  RunInfo run_;
  std::string path_;
  std::ofstream out_;
};

}  // namespace

std::unique_ptr<MetricSink> make_tensorboard(const config::LoggerSpec& spec, const RunInfo& run) {
  return std::make_unique<TensorBoardSink>(spec, run);
}

}  // namespace itwin::track
