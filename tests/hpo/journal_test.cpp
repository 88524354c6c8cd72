// The journal: appended lines survive, a torn last line is cut off, and a
// study rebuilt from it has the same trials and scheduler state.
#include "itwin/hpo/journal.hpp"

#include <filesystem>
#include <fstream>

#include "../helpers.hpp"
#include "hpo_fixture.hpp"
#include "itwin/hpo/study.hpp"
#include "itwin/util/fs.hpp"

using namespace itwin;
using namespace itwin::hpo;
using Catch::Contains;

TEST_CASE("journal: events append in order, with a time", "[hpo]") {
  test::TempDir d;
  const std::string p = d.path() + "/j/journal.jsonl";
  {
    Journal j(p);
    j.append({{"event", "a"}});
    auto e = j.append({{"event", "b"}, {"time", 5.0}});
    CHECK(e["time"] == 5.0);
  }
  Journal again(p);
  again.append({{"event", "c"}});
  auto ev = Journal::read(p);
  REQUIRE(ev.size() == 3);
  CHECK(ev[0]["event"] == "a");
  CHECK(ev[0]["time"].get<double>() > 1e9);
  CHECK(ev[2]["event"] == "c");
}

TEST_CASE("journal: a torn last line is dropped and repaired; other damage is an error", "[hpo]") {
  test::TempDir d;
  const std::string p = d.write("journal.jsonl", "{\"event\":\"a\"}\n{\"event\":\"b\",\"tri");
  CHECK(Journal::read(p).size() == 1);
  {
    Journal j(p);
    j.append({{"event", "c"}});
  }
  CHECK(read_file(p) == "{\"event\":\"a\"}\n{\"event\":\"c\",\"time\":" +
                            Journal::read(p)[1]["time"].dump() + "}\n");
  d.write("bad.jsonl", "{\"event\":\"a\"}\nnot json\n{\"event\":\"b\"}\n");
  CHECK_THROWS_WITH(Journal::read(d.path() + "/bad.jsonl"),
                    Contains("bad.jsonl:2: not a journal event"));
}

TEST_CASE("study: replaying events rebuilds trials, scores and rungs", "[hpo]") {
  auto spec = test::spec_of(
      "  metric: val_accuracy\n  mode: max\n  score: best\n  scheduler: {name: asha, "
      "reduction_factor: 2}\n"
      "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: uniform, low: 0.01, high: "
      "0.1}\n");
  std::vector<nlohmann::json> ev = {
      {{"event", "session"}, {"time", 100.0}},
      {{"event", "trial"},
       {"trial", 0},
       {"params", {{"pipelines.training.steps.train.optimizer.lr", 0.05}}},
       {"until", 1}},
      {{"event", "start"}, {"trial", 0}, {"until", 1}, {"kind", "new"}, {"time", 101.0}},
      {{"event", "result"}, {"trial", 0}, {"epoch", 1}, {"value", 0.7}, {"time", 110.0}},
      {{"event", "end"}, {"trial", 0}, {"status", "PAUSED"}, {"exit", 0}, {"epochs", 1}},
      {{"event", "trial"},
       {"trial", 1},
       {"params", {{"pipelines.training.steps.train.optimizer.lr", 0.02}}},
       {"until", 1}},
      {{"event", "start"}, {"trial", 1}, {"until", 1}, {"kind", "new"}},
      {{"event", "result"}, {"trial", 1}, {"epoch", 1}, {"value", 0.8}, {"time", 120.0}},
      {{"event", "end"}, {"trial", 1}, {"status", "PAUSED"}, {"exit", 0}, {"epochs", 1}},
  };
  Study s(spec);
  std::string note;
  for (const auto& e : ev) note = s.apply(e) + note;
  CHECK_THAT(
      note,
      Contains("trial 1 at rung 0 (epoch 1): val_accuracy 0.8, 1 of 2, in the top 1: promotable"));
  CHECK(s.proposed() == 2);
  CHECK(s.trial(0).status == Status::kPaused);
  CHECK(s.ranked().front()->id == 1);  // max mode
  CHECK(score_of(spec, s.trial(1)) == -0.8);
  Job j = s.scheduler().next_job(true);
  CHECK(j.kind == Job::Kind::kContinue);
  CHECK(j.trial == 1);
  CHECK(s.observations().size() == 2);
  CHECK(s.state().last_time == 120.0);
  s.apply({{"event", "finish"}, {"reason", "done"}});
  CHECK(s.trial(0).status == Status::kStopped);
  CHECK(s.trial(0).reason == "paused at epoch 1 and not promoted");
  CHECK_THROWS_WITH(s.apply({{"event", "start"}, {"trial", 5}, {"until", 1}}),
                    Contains("trial 5, which was never proposed"));
}

TEST_CASE("study: which value of a trial counts", "[hpo]") {
  std::map<int64_t, double> v = {{1, 0.9}, {2, 0.4}, {3, 0.6}, {4, 0.5}};
  auto with = [](const std::string& extra) {
    return test::spec_of(extra + "  space:\n    vars.hidden: {type: choice, values: [[8]]}\n");
  };
  CHECK(score_at(with(""), v, 4) == 0.5);
  CHECK(score_at(with(""), v, 2) == 0.4);
  CHECK(score_at(with("  score: best\n"), v, 4) == 0.4);
  CHECK(score_at(with("  score: mean\n  score_window: 2\n"), v, 4) == Approx(0.55));
  CHECK(score_at(with("  mode: max\n  metric: val_accuracy\n  score: best\n"), v, 4) == -0.9);
  CHECK(std::isnan(score_at(with(""), {}, 4)));
}
