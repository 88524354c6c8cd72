// The sampler with GPU libraries at the dlopen seam (a stand-in .so built by
// the test suite, tests/monitor/gpu_stub.cpp) beside the real CPU monitors.
#include "itwin/monitor/monitor.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "../helpers.hpp"

using namespace itwin::monitor;
using Catch::Matchers::Contains;
using itwin::test::TempDir;

namespace {

std::string stub() {
  const char* p = std::getenv("ITWIN_TEST_GPU_STUB");
  return p ? p : "";
}

MonitorOptions stub_options(const std::string& nvml, const std::string& rocm) {
  MonitorOptions o;
  o.nvml_library = nvml;
  o.rocm_smi_library = rocm;
  o.gpus =
      std::vector<std::string>{"0", "1", "2"};  // not the environment's (a GPU machine sets it)
  o.powercap_root = "/nonexistent/powercap";
  return o;
}

// Burns CPU until the kernel has charged this process CPU time and the
// node's CPU counters have moved, so that consecutive samples have something
// to measure (a condition, not a sleep). The two are kept apart by the kernel:
// a process's time is scaled from its runtime, /proc/stat counts ticks.
void let_ticks_pass() {
  auto p0 = read_process(getpid());
  auto c0 = read_cpu_times();
  volatile double x = 0;
  for (;;) {
    for (int i = 0; i < 100000; ++i) x = x + i;
    auto p = read_process(getpid());
    auto c = read_cpu_times();
    if (!p0 || !c0 || !p || !c) return;
    if (p->cpu_seconds > p0->cpu_seconds && c->total > c0->total && c->busy > c0->busy) return;
  }
}

}  // namespace

TEST_CASE("monitor: NVML at the seam: counters, trapezoid fallback, utilisation, memory",
          "[monitor]") {
  REQUIRE(!stub().empty());
  MonitorOptions o = stub_options(stub(), "/nonexistent/librocm_smi64.so");
  o.ranks = {{0, static_cast<int>(getpid())}, {1, static_cast<int>(getppid())}};
  o.carbon_intensity = 300;
  Monitor m(o);
  for (int i = 0; i < 3; ++i) {
    m.sample_now();
    let_ticks_pass();
  }
  NodeResult r = m.stop();  // the fourth sample
  REQUIRE(r.samples == 4);
  REQUIRE(r.gpus.size() == 2);  // device 2 refused a handle: another job's
  const GpuResult& a = r.gpus[0];
  const GpuResult& b = r.gpus[1];
  CHECK(a.device.vendor == "nvidia");
  CHECK(a.device.name == "Stub GPU A");
  CHECK(a.device.uuid == "GPU-stub-0000");
  // Device 0 has the counter: 4 readings 5,000 mJ apart.
  CHECK(a.energy_method == "counter");
  CHECK(a.energy_wh == Approx(15.0 / 3600.0));
  // Device 1 has none: 200 W constant, integrated over the real sample times.
  CHECK(b.energy_method == "power");
  CHECK(b.energy_wh == Approx(200.0 * r.duration_s / 3600.0));
  CHECK(r.duration_s > 0);
  // Utilisation 10, 20, 30, 40 %; memory 1..4 GiB of 16.
  CHECK(a.util_pct.mean == Approx(25.0));
  CHECK(a.util_pct.peak == Approx(40.0));
  CHECK(a.mem_used_mib.peak == Approx(4096.0));
  CHECK(a.mem_total_mib == Approx(16384.0));
  CHECK(a.power_w.mean == Approx(100.0));
  // The real CPU side.
  CHECK(r.cpu.cores >= 1);
  CHECK(r.cpu.util_pct.n == 3);
  CHECK(r.cpu.util_pct.mean >= 0);
  CHECK(r.cpu.util_pct.peak <= 100);
  CHECK(r.cpu.mem_used_mib.peak > 0);
  CHECK(std::isnan(r.cpu.energy_wh));  // no RAPL under /nonexistent
  REQUIRE(r.ranks.size() == 2);
  CHECK(r.ranks[0].rss_mib.peak > 1);
  CHECK(r.ranks[0].rss_mib.n == 4);
  CHECK(r.ranks[0].cpu_pct.mean > 0);  // this process spun between samples
  CHECK(r.ranks[1].rss_mib.peak > 0);
  CHECK(r.energy_wh() == Approx(a.energy_wh + b.energy_wh));
  CHECK_THAT(r.notes.empty() ? std::string() : r.notes[0], Contains("RAPL"));

  // The JSON summary.json holds, over one node.
  auto node = to_json(r);
  CHECK(node["gpus"][0]["energy_method"] == "counter");
  CHECK(node["cpu"]["energy_wh"].is_null());
  auto s = summary_json({node}, 300);
  CHECK(s["energy_wh"].get<double>() == Approx(r.energy_wh()));
  CHECK(s["co2e_g"].get<double>() == Approx(r.energy_wh() / 1000.0 * 300));
  CHECK(s["gpu_util_mean"].get<double>() == Approx(25.0));
  CHECK(s["gpu_util_peak"].get<double>() == Approx(40.0));
  CHECK(s["cpu_energy_wh"].is_null());
  CHECK(s["gpus"] == 2);
  CHECK(s["samples"] == 4);
  CHECK(s["carbon_intensity_g_per_kwh"] == 300.0);
}

TEST_CASE("monitor: device selection by index and UUID", "[monitor]") {
  MonitorOptions o = stub_options(stub(), "/nonexistent/librocm_smi64.so");
  o.gpus = std::vector<std::string>{"GPU-stub-1"};
  Monitor m(o);
  auto r = m.stop();
  REQUIRE(r.gpus.size() == 1);
  CHECK(r.gpus[0].device.index == 1);
  o.gpus = std::vector<std::string>{};  // CUDA_VISIBLE_DEVICES="" : none of this job's
  auto none = Monitor(o).stop();
  CHECK(none.gpus.empty());
  REQUIRE(!none.notes.empty());
  CHECK_THAT(none.notes[0], Contains("no NVIDIA GPU of this job"));
}

TEST_CASE("monitor: ROCm SMI at the seam", "[monitor]") {
  Monitor m(stub_options("/nonexistent/libnvidia-ml.so.1", stub()));
  for (int i = 0; i < 3; ++i) m.sample_now();
  auto r = m.stop();
  REQUIRE(r.gpus.size() == 1);
  CHECK(r.gpus[0].device.vendor == "amd");
  CHECK(r.gpus[0].device.name == "Stub AMD GPU");
  CHECK(r.gpus[0].energy_method == "counter");
  CHECK(r.gpus[0].energy_wh == Approx(3.0 / 3600.0));  // 3,000 ticks of 1,000 uJ
  CHECK(r.gpus[0].util_pct.mean == Approx(70.0));
  CHECK(r.gpus[0].power_w.mean == Approx(150.0));
  CHECK(r.gpus[0].mem_total_mib == Approx(8192.0));
}

TEST_CASE("monitor: without GPU libraries it says why and still measures the CPU", "[monitor]") {
  Monitor m(stub_options("/nonexistent/libnvidia-ml.so.1", "/nonexistent/librocm_smi64.so"));
  auto r = m.stop();
  CHECK(r.gpus.empty());
  REQUIRE(r.notes.size() == 2);
  CHECK_THAT(
      r.notes[0],
      Contains("no GPU monitored on this node: NVML: /nonexistent/libnvidia-ml.so.1 not loaded"));
  CHECK_THAT(r.notes[0], Contains("ROCm SMI: /nonexistent/librocm_smi64.so not loaded"));
  CHECK(r.samples == 1);
  CHECK(r.ranks.size() == 1);  // this process, as rank 0
  CHECK(r.ranks[0].process.pid == getpid());
  auto s = summary_json({to_json(r)}, 475);
  CHECK(s["energy_wh"].is_null());  // nothing measured is not 0 Wh
  CHECK(s["co2e_g"].is_null());
  CHECK(summary_metrics(s).count("energy_wh") == 0);
}

TEST_CASE("monitor: RAPL energy of the CPU packages into the node's total", "[monitor]") {
  TempDir d;
  d.write("powercap/intel-rapl:0/name", "package-0\n");
  d.write("powercap/intel-rapl:0/energy_uj", "0\n");
  d.write("powercap/intel-rapl:0/max_energy_range_uj", "1000000000\n");
  MonitorOptions o = stub_options(stub(), "/nonexistent/librocm_smi64.so");
  o.powercap_root = d.path() + "/powercap";
  Monitor m(o);
  m.sample_now();
  d.write("powercap/intel-rapl:0/energy_uj", "7200000\n");  // +7.2 J
  auto r = m.stop();
  CHECK(r.cpu.energy_wh == Approx(7.2 / 3600.0));
  CHECK(r.cpu.rapl_zones == std::vector<std::string>{"package-0"});
  auto j = to_json(r);
  CHECK(j["cpu"]["energy_method"] == "rapl");
  CHECK(j["energy_wh"].get<double>() == Approx(r.energy_wh()));
}

TEST_CASE("monitor: the sampler thread samples until stopped", "[monitor]") {
  MonitorOptions o =
      stub_options("/nonexistent/libnvidia-ml.so.1", "/nonexistent/librocm_smi64.so");
  o.interval_s = 0.05;
  Monitor m(o);
  m.start();
  // Wait for the thread's samples (a condition; bounded so a broken thread fails, not hangs).
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (m.samples() < 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto r = m.stop();
  CHECK(r.samples >= 4);
  CHECK(r.interval_s == 0.05);
  CHECK(r.duration_s > 0);
  auto again = m.stop();  // stopping twice is harmless
  CHECK(again.samples == r.samples + 1);
}

TEST_CASE("monitor: GPU selection from the job's environment", "[monitor]") {
  static std::map<std::string, std::string> env;
  auto get = [](const char* k) -> const char* {
    auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  env = {};
  CHECK_FALSE(selection_from_env("nvidia", get));
  env = {{"CUDA_VISIBLE_DEVICES", "2,3"}};
  CHECK(*selection_from_env("nvidia", get) == std::vector<std::string>{"2", "3"});
  CHECK_FALSE(selection_from_env("amd", get));  // CUDA's variable does not bind AMD devices
  env = {{"CUDA_VISIBLE_DEVICES", "0"}, {"SLURM_JOB_GPUS", "4,5,6,7"}};
  CHECK(selection_from_env("nvidia", get)->size() == 4);  // the node's share, not one rank's
  env = {{"ROCR_VISIBLE_DEVICES", "1"}, {"HIP_VISIBLE_DEVICES", "0"}};
  CHECK(*selection_from_env("amd", get) == std::vector<std::string>{"1"});
  env = {{"CUDA_VISIBLE_DEVICES", ""}};
  CHECK(selection_from_env("nvidia", get)->empty());
  env = {{"CUDA_VISIBLE_DEVICES", "MIG-1234"}};
  CHECK_FALSE(selection_from_env("nvidia", get));  // MIG names no whole device: watch all
  GpuDevice d{"nvidia", 3, "x", "GPU-abcdef"};
  CHECK(selected(std::nullopt, d));
  CHECK(selected(std::vector<std::string>{"3"}, d));
  CHECK(selected(std::vector<std::string>{"GPU-abc"}, d));
  CHECK_FALSE(selected(std::vector<std::string>{"1", "GPU-ff"}, d));
}

TEST_CASE("monitor: flat metrics for the loggers across nodes", "[monitor]") {
  nlohmann::json n1 = {
      {"samples", 10},
      {"interval_s", 1.0},
      {"gpus",
       {{{"energy_wh", 2.0}, {"util_mean", 80.0}, {"util_peak", 100.0}, {"mem_peak_mib", 1000.0}},
        {{"energy_wh", 4.0}, {"util_mean", 60.0}, {"util_peak", 90.0}, {"mem_peak_mib", 3000.0}}}},
      {"cpu", {{"energy_wh", 1.0}, {"util_mean", 50.0}, {"util_peak", 70.0}}},
      {"ranks", {{{"rss_peak_mib", 500.0}}}}};
  nlohmann::json n2 = {{"samples", 12},
                       {"interval_s", 1.0},
                       {"gpus", {{{"energy_wh", 3.0}, {"util_mean", 70.0}, {"util_peak", 95.0}}}},
                       {"cpu", {{"energy_wh", nullptr}, {"util_mean", 30.0}}},
                       {"ranks", {{{"rss_peak_mib", 800.0}}}}};
  auto s = summary_json({n1, n2}, 500);
  CHECK(s["gpu_energy_wh"].get<double>() == Approx(9.0));
  CHECK(s["cpu_energy_wh"].get<double>() == Approx(1.0));  // node 2 had no RAPL
  CHECK(s["energy_wh"].get<double>() == Approx(10.0));
  CHECK(s["co2e_g"].get<double>() == Approx(5.0));
  CHECK(s["gpu_util_mean"].get<double>() == Approx(70.0));
  CHECK(s["gpu_util_peak"].get<double>() == Approx(100.0));
  CHECK(s["cpu_util_mean"].get<double>() == Approx(40.0));
  CHECK(s["gpu_mem_peak_mib"].get<double>() == Approx(3000.0));
  CHECK(s["rss_peak_mib"].get<double>() == Approx(800.0));
  CHECK(s["samples"] == 22);
  CHECK(s["gpus"] == 3);
  auto m = summary_metrics(s);
  CHECK(m.at("energy_wh") == Approx(10.0));
  CHECK(m.at("gpu2_energy_wh") == Approx(3.0));
  CHECK(m.at("gpu1_util_mean") == Approx(60.0));
  CHECK(m.count("gpu3_energy_wh") == 0);
}
