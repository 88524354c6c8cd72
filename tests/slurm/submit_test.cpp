// Submissions through the Scheduler seam: which settings win, what a scaling
// study submits and records. The real SLURM runs the same code in cluster_test.cpp.
#include "itwin/slurm/submit.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"
#include "itwin/config/pipeline.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Records what it is given; job ids count from 100.
class FakeScheduler : public slurm::Scheduler {
 public:
  std::vector<std::string> scripts;  ///< the submitted scripts' text
  std::string submit(const std::string& path) override {
    scripts.push_back(read_file(path));
    return std::to_string(100 + scripts.size() - 1);
  }
  slurm::JobState query(const std::string&) override { return {}; }
  void cancel(const std::string&) override {}
};

struct Fixture {
  test::TempDir dir;
  config::Config cfg;
  explicit Fixture(const std::string& slurm_section) {
    setenv("ITWIN_STATE_DIR", (dir.path() + "/state").c_str(), 1);
    cfg = config::load_config_text("run: {name: exp}\nslurm: " + slurm_section +
                                       "\npipelines:\n  training:\n    steps:\n"
                                       "      - {name: d, type: dataset, format: synthetic}\n",
                                   "p.yaml");
  }
  slurm::SubmitRequest request(const slurm::JobFlags& flags = {}) const {
    slurm::SubmitRequest r;
    r.settings = slurm::apply_flags(cfg.slurm, flags);
    r.settings.log_dir = dir.path() + "/logs";
    r.profile = cfg.slurm_profile;
    r.pipeline = "training";
    r.source = "p.yaml";
    r.config_yaml = "run: {name: exp}\n";
    r.run_name = cfg.run.name;
    r.run_root = dir.path() + "/runs";
    r.itwin = "/opt/itwin";
    r.stamp = "20261129-120000";
    return r;
  }
};

}  // namespace

TEST_CASE("submit: the profile < the file's slurm section < the flags", "[slurm]") {
  Fixture f("{profile: juwels-booster, time: '02:00:00', account: fileacct}");
  auto file_only = slurm::plan_jobs(f.request());
  REQUIRE(file_only.size() == 1);
  const auto& s = file_only[0].job.s;
  CHECK(s.partition == "booster");  // from the profile
  CHECK(s.gpus_per_node == 4);      // from the profile
  CHECK(s.time == "02:00:00");      // the file beats the profile's default
  CHECK(s.account == "fileacct");
  slurm::JobFlags flags;
  flags.time = "00:30:00";
  flags.account = "flagacct";
  flags.nodes = 3;
  auto flagged = slurm::plan_jobs(f.request(flags))[0];
  CHECK(flagged.job.s.time == "00:30:00");  // the flag beats the file
  CHECK(flagged.job.s.account == "flagacct");
  CHECK(flagged.job.s.partition == "booster");  // untouched by the flags
  CHECK_THAT(flagged.script, Contains("#SBATCH --nodes=3"));
  CHECK_THAT(flagged.script, Contains("#SBATCH --time=00:30:00"));
  CHECK_THAT(flagged.script, Contains("#SBATCH --account=flagacct"));
  CHECK(flagged.job.s.job_name == "exp");  // run.name when nobody names the job
}

TEST_CASE("submit: a scaling study is one job per node count, recorded as a study", "[slurm]") {
  Fixture f("{time: '00:10:00'}");
  auto r = f.request();
  r.scaling = {1, 2, 4};
  FakeScheduler fake;
  auto records = slurm::submit_jobs(r, fake);
  REQUIRE(records.size() == 3);
  REQUIRE(fake.scripts.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    int64_t n = r.scaling[i];
    CHECK(records[i].name == "exp-n" + std::to_string(n));
    CHECK(records[i].nodes == n);
    CHECK(records[i].id == std::to_string(100 + i));
    CHECK(records[i].run_dir ==
          f.dir.path() + "/runs/exp-n" + std::to_string(n) + "-" + records[i].id);
    CHECK_THAT(fake.scripts[i], Contains("#SBATCH --nodes=" + std::to_string(n)));
    CHECK(records[i].group == "exp-scaling-20261129-120000");
  }
  // One config snapshot for the whole study, and the study file for itwin report.
  CHECK(records[0].config == records[2].config);
  CHECK(read_file(records[0].config) == r.config_yaml);
  auto study = nlohmann::json::parse(
      read_file(f.dir.path() + "/runs/exp-scaling-20261129-120000/scaling.json"));
  CHECK(study["kind"] == "scaling");
  REQUIRE(study["jobs"].size() == 3);
  CHECK(study["jobs"][1]["nodes"] == 2);
  CHECK(study["jobs"][1]["run_dir"] == records[1].run_dir);
  CHECK(slurm::records().size() == 3);  // the job list
}

TEST_CASE("submit: a refused job leaves the later ones unsubmitted and says why", "[slurm]") {
  Fixture f("{time: '00:10:00'}");
  struct Refusing : FakeScheduler {
    std::string submit(const std::string& path) override {
      if (!scripts.empty()) throw RuntimeError("sbatch failed (exit 1): QOSMaxNodePerJobLimit");
      return FakeScheduler::submit(path);
    }
  } fake;
  auto r = f.request();
  r.scaling = {1, 2};
  CHECK_THROWS_WITH(slurm::submit_jobs(r, fake), Contains("QOSMaxNodePerJobLimit"));
  CHECK(slurm::records().size() == 1);  // the first was submitted and recorded
}

TEST_CASE("submit: settings the profile forbids are rejected before anything is written",
          "[slurm]") {
  Fixture f("{profile: juwels-booster}");
  slurm::JobFlags flags;
  flags.time = "30:00:00";
  FakeScheduler fake;
  CHECK_THROWS_WITH(slurm::submit_jobs(f.request(flags), fake),
                    Contains("longer than profile 'juwels-booster' allows"));
  CHECK(fake.scripts.empty());
  CHECK_FALSE(fs::exists(f.dir.path() + "/logs"));
}
