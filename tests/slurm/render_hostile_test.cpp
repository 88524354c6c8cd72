// Hostile values in every field of a job script: the script is run by bash,
// as SLURM would, with stub programs (srun, mpirun, module, ...) that record
// their arguments and environment. Nothing a value holds may run, add an
// #SBATCH line or break the header; every quoted value arrives as one
// argument, byte for byte.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../helpers.hpp"
#include "itwin/config/slurm_spec.hpp"
#include "itwin/slurm/job.hpp"
#include "itwin/util/error.hpp"
#include "stub_sandbox.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using namespace itwin::test::stubs;

slurm::Job base_job() {
  slurm::Job j;
  j.s = config::load_profile("generic").defaults;
  j.s.job_name = "hostile";
  j.s.time = "01:00:00";
  j.s.itwin = "/opt/itwin";
  j.s.log_dir = "/scratch/logs";
  j.profile = "generic";
  j.config = "/scratch/job.yaml";
  j.pipeline = "training";
  j.run_dir = "/scratch/runs/hostile-";
  j.source = "pipeline.yaml";
  return j;
}

}  // namespace

TEST_CASE("render: hostile values in quoted fields run nothing and arrive as one argument",
          "[slurm][hostile]") {
  for (const char* launcher : {"srun", "mpirun"}) {
    Sandbox box;
    for (const auto& h : hostile_values(box.marker)) {
      INFO(launcher << " value: " << h);
      slurm::Job j = base_job();
      j.s.launcher = launcher;
      j.s.modules = {h};
      j.s.env = {{"HOSTILE", h}};
      j.s.env_secrets = {{"TOKEN", "ITWIN_TEST_SECRET_SRC"}};
      j.s.srun_args = {h};
      j.s.container.image = h;
      j.s.container.binds = {h};
      j.s.container.args = {h};
      j.s.itwin = h;
      j.config = h;
      j.pipeline = h;
      j.steps = {h};
      j.run_dir = h;
      j.source = h;
      j.profile = h;
      std::string script = slurm::render(j);
      check_header(script);
      auto syntax = test::run_shell("bash -n " + box.dir.write("n.sbatch", script));
      INFO(syntax.out);
      REQUIRE(syntax.exit_code == 0);
      auto calls = box.run(script, "ITWIN_TEST_SECRET_SRC=s3cr3t");
      CHECK_FALSE(fs::exists(box.marker));
      const Call* module = find_call(calls, "module");
      REQUIRE(module);
      CHECK(module->argv == std::vector<std::string>{"module", "load", h});
      const Call* ranks = find_call(calls, launcher);
      REQUIRE(ranks);
      for (const auto& want :
           {std::string("apptainer"), std::string("--bind"), std::string("train"),
            std::string("--pipeline"), std::string("--steps"), h + "42"}) {
        INFO(want);
        CHECK(has_arg(*ranks, want));
      }
      // image, bind, exec args, itwin, config, pipeline and steps: each exactly h.
      CHECK(std::count(ranks->argv.begin(), ranks->argv.end(), h) ==
            (launcher == std::string("srun") ? 8 : 7));
      CHECK(ranks->env.at("HOSTILE") == h);
      CHECK(ranks->env.at("TOKEN") == "s3cr3t");
    }
  }
}

TEST_CASE("render: fields written unquoted take only safe values", "[slurm][hostile]") {
  Sandbox box;
  using Field = std::string slurm::Settings::*;
  const std::vector<std::pair<std::string, Field>> fields = {
      {"job_name", &slurm::Settings::job_name},
      {"time", &slurm::Settings::time},
      {"partition", &slurm::Settings::partition},
      {"account", &slurm::Settings::account},
      {"qos", &slurm::Settings::qos},
      {"mem", &slurm::Settings::mem},
      {"constraint", &slurm::Settings::constraint},
      {"reservation", &slurm::Settings::reservation},
      {"mpi", &slurm::Settings::mpi},
      {"cpu_bind", &slurm::Settings::cpu_bind},
      {"gpu_bind", &slurm::Settings::gpu_bind},
      {"log_dir", &slurm::Settings::log_dir}};
  for (const auto& h : hostile_values(box.marker)) {
    for (const auto& [name, field] : fields) {
      INFO(name << " = " << h);
      slurm::Job j = base_job();
      j.s.gpus_per_node = 1;  // so that gpu_bind is used
      j.s.*field = h;
      std::string script;
      try {
        script = slurm::render(j);
      } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), Contains("slurm: " + name));
        continue;
      }
      // Accepted (e.g. "@LAUNCH@" is a valid partition word): then it is that text and nothing
      // more.
      check_header(script);
      CHECK_THAT(script, !Contains("touch"));
      box.run(script);
      CHECK_FALSE(fs::exists(box.marker));
    }
    slurm::Job j = base_job();
    j.s.sbatch_args = {"--comment=" + h};
    try {
      std::string script = slurm::render(j);
      CHECK_THAT(script,
                 Contains("\n#SBATCH --comment=" + h + "\n"));  // a plain word such as @LAUNCH@
      check_header(script, {"comment"});
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Contains("sbatch_args entry"));
    }
    j = base_job();
    j.s.env = {{h, "x"}};
    CHECK_THROWS_WITH(slurm::render(j), Contains("is not a valid variable name"));
    j = base_job();
    j.s.env_secrets = {{"TOKEN", h}};
    CHECK_THROWS_WITH(slurm::render(j), Contains("names a secret"));
  }
}

TEST_CASE("render: a template token in a value is that text, not the template's",
          "[slurm][hostile]") {
  slurm::Job j = base_job();
  j.s.env = {{"A", "@LAUNCH@"}};
  j.s.modules = {"@ENV@"};
  j.pipeline = "@MODULES@";
  std::string script = slurm::render(j);
  CHECK_THAT(script, Contains("export A=@LAUNCH@\n"));
  CHECK_THAT(script, Contains("module load @ENV@\n"));
  CHECK_THAT(script, Contains("--pipeline @MODULES@ "));
  std::string plain = slurm::render(base_job());
  CHECK(std::count(script.begin(), script.end(), '\n') ==
        std::count(plain.begin(), plain.end(), '\n'));
}

TEST_CASE("render: names in the header comment stay on one line", "[slurm][hostile]") {
  slurm::Job j = base_job();
  j.source = "x\ntouch /tmp/PWNED #";
  j.profile = "p\n#SBATCH --comment=INJECTED";
  std::string script = slurm::render(j);
  CHECK_THAT(script,
             Contains("from x\\ntouch /tmp/PWNED # (profile p\\n#SBATCH --comment=INJECTED)"));
  check_header(script);
}

TEST_CASE("render: words where programs read options may not start with '-'", "[slurm][hostile]") {
  slurm::Job j = base_job();
  j.s.modules = {"--force"};
  CHECK_THROWS_WITH(slurm::render(j), Contains("module name '--force' must not"));
  j = base_job();
  j.s.container.image = "--writable";
  CHECK_THROWS_WITH(slurm::render(j), Contains("container.image '--writable'"));
  j = base_job();
  j.config = "-x";
  CHECK_THROWS_WITH(slurm::render(j), Contains("config '-x'"));
  j = base_job();
  j.steps = {"a,b"};
  CHECK_THROWS_WITH(slurm::render(j), Contains("step name 'a,b'"));
}

TEST_CASE("render: a secret in the job's environment is copied by name, never by value",
          "[slurm]") {
  slurm::Job j = base_job();
  j.s.env_secrets = {{"HF_TOKEN", "MY_SECRET"}};
  std::string script = slurm::render(j);
  CHECK_THAT(
      script,
      Contains(
          "export HF_TOKEN=\"${MY_SECRET:?secret MY_SECRET is not set where the job runs}\"\n"));
  test::TempDir d;
  auto sc = test::run_shell("shellcheck -s bash " + d.write("s.sbatch", script));
  INFO(sc.out);
  CHECK(sc.exit_code == 0);
  Sandbox box;
  // Unset where the job runs: the script stops before starting the ranks.
  auto r = test::run_shell("env -i PATH=/usr/bin:/bin SLURM_JOB_ID=1 bash " +
                           box.dir.write("j.sbatch", script));
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Contains("secret MY_SECRET is not set where the job runs"));
}
