// The sbatch script: golden files per profile, shellcheck, quoting, validation.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "../helpers.hpp"
#include "itwin/config/slurm_spec.hpp"
#include "itwin/slurm/job.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

slurm::Job job_for(const std::string& profile) {
  auto p = config::load_profile(profile);
  slurm::Job j;
  j.s = p.defaults;
  j.s.job_name = "golden";
  j.s.nodes = 2;
  j.s.time = "02:00:00";
  j.s.itwin = "/opt/itwin/bin/itwin";
  j.s.log_dir = "/scratch/logs";
  j.profile = p.name;
  j.config = "/scratch/logs/golden-20261122-120000.yaml";
  j.pipeline = "training";
  j.run_dir = "/scratch/runs/golden-";
  j.source = "use-cases/fashion-mnist/pipeline.yaml";
  return j;
}

std::string golden_path(const std::string& name) {
  return test::source_root() + "/tests/slurm/golden/" + name + ".sbatch";
}

void check_golden(const std::string& name, const std::string& text) {
  if (std::getenv("ITWIN_UPDATE_GOLDEN")) std::ofstream(golden_path(name)) << text;
  std::ifstream in(golden_path(name));
  std::string want((std::istreambuf_iterator<char>(in)), {});
  INFO("golden file " << golden_path(name) << " (regenerate with ITWIN_UPDATE_GOLDEN=1)");
  CHECK(text == want);
  test::TempDir d;
  auto sc = test::run_shell("shellcheck -s bash " + d.write("s.sbatch", text));
  INFO(sc.out);
  CHECK(sc.exit_code == 0);
}

}  // namespace

TEST_CASE("render: every built-in profile matches its golden script and passes shellcheck",
          "[slurm]") {
  for (const auto& name : config::builtin_profiles()) {
    INFO(name);
    auto p = config::load_profile(name);
    auto j = job_for(name);
    slurm::validate(j, p);
    check_golden(name, slurm::render(j));
  }
}

TEST_CASE("render: containers, mpirun, steps and hostile values", "[slurm]") {
  auto j = job_for("generic");
  j.s.container.image = "/images/itwin torch.sif";
  j.s.container.binds = {"/scratch", "/data:/data:ro"};
  j.s.gpus_per_node = 2;
  j.s.env = {{"NOTE", "it's $(rm -rf /) `id` \"quoted\""}, {"PLAIN", "a,b"}};
  j.s.launcher = "mpirun";
  j.steps = {"data", "train"};
  j.s.sbatch_args = {"--exclusive", "--mail-type=END"};
  check_golden("generic-container-mpirun", slurm::render(j));
  auto text = slurm::render(j);
  CHECK_THAT(text, Contains("export NOTE='it'\\''s $(rm -rf /) `id` \"quoted\"'"));
  CHECK_THAT(
      text,
      Contains(
          "apptainer exec --nv --bind /scratch --bind /data:/data:ro '/images/itwin torch.sif'"));
  CHECK_THAT(text, Contains("mpirun -np \"${SLURM_NTASKS}\" --map-by ppr:2:node"));
  CHECK_THAT(text, Contains("--steps data,train"));
}

TEST_CASE("render: shell_quote survives bash", "[slurm]") {
  for (std::string v :
       {"plain", "with space", "it's", "$(echo pwned)", "a\"b", "`x`", "", "tab\there"}) {
    auto r = test::run_shell("printf %s " + slurm::shell_quote(v));
    CHECK(r.out == v);
  }
}

TEST_CASE("slurm: time strings", "[slurm]") {
  CHECK(slurm::parse_time_minutes("30") == 30);
  CHECK(slurm::parse_time_minutes("02:00:00") == 120);
  CHECK(slurm::parse_time_minutes("00:10:30") == 11);
  CHECK(slurm::parse_time_minutes("1-12") == 2160);
  CHECK(slurm::parse_time_minutes("2-00:30:00") == 2910);
  for (const char* bad : {"", "1h", "12:61:00", "1-25", "-5", "10:00:00:00"}) {
    INFO(bad);
    CHECK(slurm::parse_time_minutes(bad) == -1);
  }
}

TEST_CASE("slurm: impossible or unsafe requests are rejected before submission", "[slurm]") {
  auto p = config::load_profile("juwels-booster");
  auto j = job_for("juwels-booster");
  j.s.gpus_per_node = 8;
  CHECK_THROWS_WITH(slurm::validate(j, p),
                    Contains("8 GPUs per node asked, but profile 'juwels-booster' nodes have 4"));
  j = job_for("juwels-booster");
  j.s.time = "25:00:00";
  CHECK_THROWS_WITH(slurm::validate(j, p),
                    Contains("longer than profile 'juwels-booster' allows (24:00:00)"));
  j.s.time = "2h";
  CHECK_THROWS_WITH(slurm::validate(j, p), Contains("time '2h' is not a SLURM time"));
  j = job_for("juwels-booster");
  j.s.cpus_per_task = 20;
  CHECK_THROWS_WITH(slurm::validate(j, p), Contains("4 tasks x 20 CPUs per node asked"));
  j = job_for("generic");
  auto g = config::load_profile("generic");
  j.s.job_name = "my job";
  CHECK_THROWS_WITH(slurm::validate(j, g), Contains("job_name 'my job'"));
  j = job_for("generic");
  j.s.partition = "gpu;rm -rf";
  CHECK_THROWS_WITH(slurm::validate(j, g), Contains("partition 'gpu;rm -rf' may only hold"));
  j = job_for("generic");
  j.s.sbatch_args = {"--comment=a b"};
  CHECK_THROWS_WITH(slurm::validate(j, g), Contains("sbatch_args entry '--comment=a b'"));
  j = job_for("generic");
  j.s.env = {{"1BAD", "x"}};
  CHECK_THROWS_WITH(slurm::validate(j, g), Contains("env name '1BAD'"));
}

TEST_CASE("profiles: unknown names suggest one; user profiles load by path", "[slurm]") {
  CHECK_THROWS_WITH(config::load_profile("juwels"), Contains("did you mean 'juwels-booster'?"));
  test::TempDir d;
  std::string f = d.write("mysite.yaml",
                          "name: mysite\nlimits: {gpus_per_node: 2}\ndefaults: {partition: gpu, "
                          "gpus_per_node: 2, modules: [cuda]}\n");
  auto p = config::load_profile(f);
  CHECK(p.name == "mysite");
  CHECK(p.defaults.partition == "gpu");
  CHECK(p.max_gpus_per_node == 2);
  std::string bad = d.write("bad.yaml", "name: bad\ndefaults: {partiton: gpu}\n");
  CHECK_THROWS_WITH(config::load_profile(bad), Contains("unknown key 'partiton'"));
  setenv("ITWIN_PROFILE_PATH", d.path().c_str(), 1);
  CHECK(config::load_profile("mysite").defaults.modules == std::vector<std::string>{"cuda"});
  unsetenv("ITWIN_PROFILE_PATH");
}
