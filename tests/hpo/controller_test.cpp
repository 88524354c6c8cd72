// The controller through the TrialRunner seam (FakeRunner plays the
// trials): ASHA pauses and promotes, a diverging trial fails alone, a
// controller that dies or is stopped leaves a study the next one continues
// without running any epoch twice.
#include "itwin/hpo/controller.hpp"

#include <signal.h>

#include <fstream>
#include <set>

#include "../helpers.hpp"
#include "hpo_fixture.hpp"
#include "itwin/hpo/report.hpp"

using namespace itwin;
using namespace itwin::hpo;
using Catch::Contains;
using itwin::test::FakeRunner;

namespace {

const char* kLr =
    "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: uniform, low: 0.01, high: "
    "1}\n";

struct Fixture {
  test::TempDir dir;
  std::FILE* out = std::tmpfile();
  LiveTable table{out, false};
  ~Fixture() { std::fclose(out); }

  ControllerOptions options(int concurrency) {
    ControllerOptions o;
    o.study_dir = dir.path() + "/study";
    o.config = dir.path() + "/study/config.yaml";
    o.run_name = "t";
    o.concurrency = concurrency;
    o.epochs = 9;
    return o;
  }
  std::vector<nlohmann::json> events(const std::string& kind) {
    std::vector<nlohmann::json> out;
    for (auto& e : Journal::read(dir.path() + "/study/journal.jsonl"))
      if (e["event"] == kind) out.push_back(e);
    return out;
  }
  std::string output() {
    std::fflush(out);
    std::rewind(out);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, out)) > 0) s.append(buf, n);
    return s;
  }
};

// val_loss = 10 * lr / epoch: a smaller lr is better at every epoch.
double curve(const TrialLaunch& l, int64_t epoch) {
  return 10 * FakeRunner::param(l, "pipelines.training.steps.train.optimizer.lr") /
         static_cast<double>(epoch);
}

// Every trial's metrics.jsonl holds epochs 1..n once each: no epoch ran twice.
void check_no_epoch_twice(const std::string& study) {
  for (const auto& e : std::filesystem::directory_iterator(study + "/trials")) {
    std::ifstream in(e.path() / "metrics.jsonl");
    std::string line;
    int64_t expect = 1;
    while (std::getline(in, line))
      CHECK(nlohmann::json::parse(line)["epoch"].get<int64_t>() == expect++);
  }
}

}  // namespace

TEST_CASE("controller: ASHA pauses trials at rungs and continues the best from their checkpoints",
          "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(
      std::string("  trials: 9\n  scheduler: {name: asha, reduction_factor: 3}\n") + kLr);
  FakeRunner r;
  r.curve = curve;
  Controller c(spec, f.options(2), r, f.table);
  REQUIRE(c.run() == 0);
  const auto& st = c.study().state();
  REQUIRE(st.trials.size() == 9);
  CHECK(st.finished);
  int completed = 0, stopped = 0;
  for (const auto& t : st.trials) {
    completed += t.status == Status::kCompleted;
    stopped += t.status == Status::kStopped;
    if (t.status == Status::kStopped) CHECK((t.epochs() == 1 || t.epochs() == 3));
  }
  CHECK(completed >= 1);
  CHECK(stopped >= 6);
  auto best = c.study().ranked().front();
  CHECK(best->status == Status::kCompleted);
  CHECK(best->epochs() == 9);
  // A continued segment resumes from the trial's checkpoint up to the next rung.
  int continued = 0;
  for (const auto& l : r.launches) {
    if (!l.resume) continue;
    ++continued;
    CHECK((l.until == 3 || l.until == 0));  // 0: to the end (max_t = epochs)
  }
  CHECK(continued >= 2);
  CHECK(f.events("decision").size() >= 9);
  CHECK_THAT(f.output(), Contains("promote trial"));
  check_no_epoch_twice(f.dir.path() + "/study");
}

TEST_CASE("controller: a diverging trial fails alone, the others finish", "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(std::string("  trials: 4\n") + kLr);
  FakeRunner r;
  r.curve = [](const TrialLaunch& l, int64_t e) {
    return l.trial == 1 && e == 2 ? NAN : curve(l, e);
  };
  Controller c(spec, f.options(2), r, f.table);
  REQUIRE(c.run() == 0);
  for (const auto& t : c.study().state().trials) {
    if (t.id == 1) {
      CHECK(t.status == Status::kFailed);
      CHECK(t.exit_code == 3);
      CHECK_THAT(t.reason, Contains("diverged"));
    } else {
      CHECK(t.status == Status::kCompleted);
      CHECK(t.epochs() == 9);
    }
  }
  CHECK(c.study().ranked().back()->id == 1);  // a NaN never ranks first
}

TEST_CASE("controller: a trial stopped from outside resumes from its checkpoint",
          "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(std::string("  trials: 2\n") + kLr);
  FakeRunner r;
  r.curve = curve;
  r.stop_at = [](const TrialLaunch& l) { return l.trial == 0 && !l.resume ? 4 : 0; };
  Controller c(spec, f.options(1), r, f.table);
  REQUIRE(c.run() == 0);
  CHECK(c.study().trial(0).status == Status::kCompleted);
  REQUIRE(r.launches.size() == 3);
  CHECK(r.launches[1].trial == 0);
  CHECK(r.launches[1].resume);
  check_no_epoch_twice(f.dir.path() + "/study");
}

TEST_CASE(
    "controller: after the controller dies, the next one continues without running anything twice",
    "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(
      std::string("  trials: 8\n  scheduler: {name: asha, reduction_factor: 2}\n") + kLr);
  {
    FakeRunner r;
    r.curve = curve;
    r.die_after_starts = 6;
    Controller c(spec, f.options(2), r, f.table);
    CHECK_THROWS_AS(c.run(), FakeRunner::Died);
  }
  FakeRunner r;
  r.curve = curve;
  Controller c(spec, f.options(2), r, f.table);
  REQUIRE(c.run() == 0);
  CHECK(c.study().state().trials.size() == 8);
  // Each trial started fresh once; a restart only for one that had not run
  // (its process never started when the controller died).
  std::map<int64_t, int> fresh;
  std::set<int64_t> ran;
  for (const auto& e : Journal::read(f.dir.path() + "/study/journal.jsonl")) {
    if (e["event"] == "result") ran.insert(e["trial"].get<int64_t>());
    if (e["event"] != "start") continue;
    if (e["kind"] == "new") ++fresh[e["trial"].get<int64_t>()];
    if (e["kind"] == "restart") CHECK(ran.count(e["trial"].get<int64_t>()) == 0);
  }
  CHECK(fresh.size() == 8);
  for (const auto& [t, n] : fresh) CHECK(n == 1);
  for (const auto& t : c.study().state().trials) {
    CHECK((t.status == Status::kCompleted || t.status == Status::kStopped));
  }
  check_no_epoch_twice(f.dir.path() + "/study");
  // Rebuilt from the journal, the study is the one the controller ended with.
  Study again(spec);
  for (const auto& e : Journal::read(f.dir.path() + "/study/journal.jsonl")) again.apply(e);
  CHECK(again.ranked().front()->id == c.study().ranked().front()->id);
}

TEST_CASE(
    "controller: SIGTERM stops the trials (they checkpoint), exits 75, and the study continues",
    "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(std::string("  trials: 3\n") + kLr);
  {
    FakeRunner r;
    r.curve = curve;
    r.hold = true;
    int calls = 0;
    auto o = f.options(2);
    o.stop_signal = [&] { return ++calls > 3 ? SIGTERM : 0; };
    Controller c(spec, o, r, f.table);
    CHECK(c.run() == 75);
    CHECK(r.signals.size() == 2);
    for (const auto& [h, sig] : r.signals) CHECK(sig == SIGTERM);
    CHECK(f.events("signal").size() == 1);
    CHECK(c.study().trial(0).status == Status::kInterrupted);
    auto o2 = f.options(2);
    o2.stop_signal = [] { return SIGINT; };
    FakeRunner idle;
    Controller d(spec, o2, idle, f.table);
    CHECK(d.run() == 130);
  }
  FakeRunner r;
  r.curve = curve;
  Controller c(spec, f.options(2), r, f.table);
  REQUIRE(c.run() == 0);
  for (const auto& t : c.study().state().trials) CHECK(t.status == Status::kCompleted);
  CHECK(r.launches.at(0).resume);
  CHECK(r.launches.at(1).resume);
  check_no_epoch_twice(f.dir.path() + "/study");
}

TEST_CASE("controller: the time budget stops the running trials and starts no more",
          "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(std::string("  trials: 6\n  time_budget: 0.05\n") + kLr);
  FakeRunner r;
  r.curve = curve;
  r.hold = true;
  Controller c(spec, f.options(2), r, f.table);
  REQUIRE(c.run() == 0);
  CHECK(c.study().state().trials.size() == 2);
  for (const auto& t : c.study().state().trials) {
    CHECK(t.status == Status::kStopped);
    CHECK(t.reason == "the study's time budget is used");
  }
  CHECK_THAT(c.study().state().finish_reason, Contains("time budget"));
}

TEST_CASE("controller: a grid smaller than 'trials' is a config error", "[hpo][controller]") {
  Fixture f;
  auto spec = test::spec_of(
      "  sampler: grid\n  trials: 5\n  space:\n    vars.hidden: {type: grid, values: [[8], "
      "[16]]}\n");
  FakeRunner r;
  CHECK_THROWS_WITH(
      Controller(spec, f.options(1), r, f.table),
      Contains("study.yaml:14:11: hpo: 'trials' is 5 but the grid has 2 distinct points"));
}
