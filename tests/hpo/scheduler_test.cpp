// Trial schedulers on scripted metric sequences: ASHA's promotions against
// the algorithm's definition (Li et al. 2018, Algorithm 2), Hyperband's
// brackets and its synchronous cohorts, the median stopping rule.
#include "itwin/hpo/scheduler.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "hpo_fixture.hpp"
#include "itwin/hpo/space.hpp"

using namespace itwin;
using namespace itwin::hpo;
using Catch::Contains;
using itwin::test::spec_of;

namespace {

config::HpoSpec with_scheduler(const std::string& s, int epochs = 9) {
  return spec_of(
      "  scheduler: " + s + "\n  space:\n    vars.hidden: {type: choice, values: [[8], [16]]}\n",
      epochs);
}

// Runs a trial segment through a scheduler: one result per epoch, then a pause.
std::string segment(TrialScheduler& s, int64_t trial, int64_t from, int64_t to, double score) {
  for (int64_t e = from + 1; e <= to; ++e) s.on_result(trial, e, score);
  return s.on_paused(trial, to);
}

// ASHA's definition, written plainly: for each rung from the top, the best
// trial among the top floor(n/eta) not yet promoted continues; else a new trial.
struct AshaReference {
  int64_t eta;
  std::vector<int64_t> rungs;
  std::map<size_t, std::vector<std::pair<double, int64_t>>> at;  // rung -> (score, trial)
  std::set<std::pair<int64_t, size_t>> promoted;
  Job next() const {
    for (size_t k = rungs.size(); k-- > 0;) {
      auto r = at.count(k) ? at.at(k) : std::vector<std::pair<double, int64_t>>{};
      std::sort(r.begin(), r.end());
      for (size_t i = 0; i < r.size() / static_cast<size_t>(eta); ++i) {
        if (!promoted.count({r[i].second, k}))
          return Job{Job::Kind::kContinue, r[i].second, 0, 0, ""};
      }
    }
    return Job{Job::Kind::kNew, -1, 0, 0, ""};
  }
};

}  // namespace

TEST_CASE("asha: rungs at grace_period * reduction_factor^k below max_t, per bracket",
          "[hpo][asha]") {
  config::HpoSchedulerSpec s;
  s.grace_period = 1;
  s.reduction_factor = 3;
  s.max_t = 27;
  CHECK(asha_rungs(s, 0) == std::vector<int64_t>{1, 3, 9});
  CHECK(asha_rungs(s, 1) == std::vector<int64_t>{3, 9});
  CHECK(asha_rungs(s, 2) == std::vector<int64_t>{9});
  CHECK(asha_rungs(s, 3).empty());
  s.grace_period = 2;
  s.reduction_factor = 2;
  s.max_t = 10;
  CHECK(asha_rungs(s, 0) == std::vector<int64_t>{2, 4, 8});
}

TEST_CASE("asha: promotes the top 1/rf of a rung and never waits for a cohort", "[hpo][asha]") {
  auto spec = with_scheduler("{name: asha, reduction_factor: 3}");  // max_t 9: rungs 1, 3
  auto s = make_scheduler(spec);
  Job j = s->next_job(true);
  CHECK(j.kind == Job::Kind::kNew);
  CHECK(j.until == 1);
  s->on_new(0, 0, 1);
  CHECK_THAT(segment(*s, 0, 0, 1, 5.0), Contains("1 of 1, not in the top 0: waits"));
  CHECK(s->next_job(true).kind == Job::Kind::kNew);  // no waiting: a new trial
  s->on_new(1, 0, 1);
  segment(*s, 1, 0, 1, 3.0);
  s->on_new(2, 0, 1);
  CHECK_THAT(segment(*s, 2, 0, 1, 4.0), Contains("2 of 3"));
  j = s->next_job(true);  // floor(3/3) = 1: the best, trial 1, continues to the next rung
  REQUIRE(j.kind == Job::Kind::kContinue);
  CHECK(j.trial == 1);
  CHECK(j.until == 3);
  CHECK_THAT(j.reason, Contains("promote trial 1 from rung 0"));
  s->on_continue(1, 3);
  CHECK(s->next_job(true).kind == Job::Kind::kNew);  // trial 1 was promoted already
  s->on_new(3, 0, 1);
  segment(*s, 3, 0, 1, 1.0);  // the new best at rung 0: 4 trials, top 1 is trial 3
  j = s->next_job(true);
  REQUIRE(j.kind == Job::Kind::kContinue);
  CHECK(j.trial == 3);
  s->on_continue(3, 3);
  segment(*s, 1, 1, 3, 2.5);  // trial 1 at rung 1 alone: floor(1/3) = 0
  CHECK(s->next_job(true).kind == Job::Kind::kNew);
  // The budget of new trials is used: a rung's best still continues (the end game).
  j = s->next_job(false);
  REQUIRE(j.kind == Job::Kind::kContinue);
  CHECK(j.trial == 1);
  CHECK(j.until == 9);
  CHECK(s->rung_of(1) == "1");
  s->on_continue(1, 9);
  for (int64_t e = 4; e <= 9; ++e) s->on_result(1, e, 2.0);
  s->on_ended(1);
  CHECK(s->rung_of(1) == "max");
}

TEST_CASE("asha: every decision on random sequences is the definition's", "[hpo][asha]") {
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    auto spec = with_scheduler("{name: asha, reduction_factor: 2, grace_period: 1}",
                               16);  // rungs 1, 2, 4, 8
    auto s = make_scheduler(spec);
    AshaReference ref{2, asha_rungs(spec.scheduler, 0), {}, {}};
    Rng rng(seed);
    std::map<int64_t, int64_t> at_epoch;  // paused trials: their epoch
    std::map<int64_t, double> quality;
    int64_t next_id = 0;
    for (int step = 0; step < 80; ++step) {
      Job j = s->next_job(true);
      Job want = ref.next();
      REQUIRE(j.kind != Job::Kind::kNone);  // never waits
      REQUIRE(j.kind == want.kind);
      int64_t t = j.kind == Job::Kind::kNew ? next_id++ : j.trial;
      if (j.kind == Job::Kind::kContinue) {
        REQUIRE(j.trial == want.trial);
        size_t k = static_cast<size_t>(std::find(ref.rungs.begin(), ref.rungs.end(), at_epoch[t]) -
                                       ref.rungs.begin());
        ref.promoted.insert({t, k});
        s->on_continue(t, j.until);
      } else {
        quality[t] = rng.uniform();
        s->on_new(t, 0, j.until);
      }
      const int64_t from = j.kind == Job::Kind::kNew ? 0 : at_epoch[t];
      if (j.until >= 16) {  // reached max_t
        for (int64_t e = from + 1; e <= j.until; ++e)
          s->on_result(t, e, quality[t] / static_cast<double>(e));
        s->on_ended(t);
        continue;
      }
      for (int64_t e = from + 1; e <= j.until; ++e)
        s->on_result(t, e, quality[t] / static_cast<double>(e));
      s->on_paused(t, j.until);
      at_epoch[t] = j.until;
      size_t k = static_cast<size_t>(std::find(ref.rungs.begin(), ref.rungs.end(), j.until) -
                                     ref.rungs.begin());
      ref.at[k].push_back({quality[t] / static_cast<double>(j.until), t});
    }
    CHECK(next_id > 20);
  }
}

TEST_CASE("asha: brackets start trials at their own first rung", "[hpo][asha]") {
  auto spec = with_scheduler("{name: asha, reduction_factor: 3, brackets: 2}");
  auto s = make_scheduler(spec);
  Job a = s->next_job(true);
  CHECK(a.bracket == 0);
  CHECK(a.until == 1);
  s->on_new(0, a.bracket, a.until);
  Job b = s->next_job(true);
  CHECK(b.bracket == 1);
  CHECK(b.until == 3);
}

TEST_CASE("hyperband: brackets as in Li et al. (max_t 81, eta 3)", "[hpo][hyperband]") {
  config::HpoSchedulerSpec s;
  s.grace_period = 1;
  s.reduction_factor = 3;
  s.max_t = 81;
  auto b = hyperband_brackets(s);
  REQUIRE(b.size() == 5);
  std::vector<int64_t> n, first;
  for (const auto& x : b) {
    n.push_back(x.trials);
    first.push_back(x.rungs.front());
    CHECK(x.rungs.back() == 81);
  }
  CHECK(n == std::vector<int64_t>{81, 34, 15, 8, 5});
  CHECK(first == std::vector<int64_t>{1, 3, 9, 27, 81});
  CHECK(b[0].rungs == std::vector<int64_t>{1, 3, 9, 27, 81});
}

TEST_CASE("hyperband: a bracket's cohort continues only once all of it reported",
          "[hpo][hyperband]") {
  auto spec =
      with_scheduler("{name: hyperband}");  // max_t 9, eta 3: (9 at 1, 3, 9), (5 at 3, 9), (3 at 9)
  auto s = make_scheduler(spec);
  for (int64_t t = 0; t < 9; ++t) {
    Job j = s->next_job(true);
    REQUIRE(j.kind == Job::Kind::kNew);
    CHECK(j.bracket == 0);
    CHECK(j.until == 1);
    s->on_new(t, 0, 1);
  }
  for (int64_t t = 0; t < 8; ++t) segment(*s, t, 0, 1, 10.0 - static_cast<double>(t));
  Job j = s->next_job(true);  // trial 8 is still out: the next bracket starts meanwhile
  CHECK(j.kind == Job::Kind::kNew);
  CHECK(j.bracket == 1);
  CHECK(j.until == 3);
  CHECK(s->next_job(false).kind == Job::Kind::kNone);  // waits for its cohort
  segment(*s, 8, 0, 1, 0.5);                           // the best of all
  std::vector<int64_t> promoted;
  for (int i = 0; i < 4; ++i) {
    j = s->next_job(false);
    if (j.kind != Job::Kind::kContinue) break;
    CHECK(j.until == 3);
    promoted.push_back(j.trial);
    s->on_continue(j.trial, 3);
  }
  CHECK(promoted == std::vector<int64_t>{8, 7, 6});  // the top floor(9/3), best first
}

TEST_CASE("median: stops a trial whose best is worse than the others' running means",
          "[hpo][median]") {
  auto spec = with_scheduler("{name: median, grace_period: 2, min_trials: 2}");
  auto s = make_scheduler(spec);
  CHECK(s->next_job(true).until == 9);
  for (int64_t e = 1; e <= 3; ++e) {
    s->on_result(0, e, 1.0);
    s->on_result(1, e, 2.0);
  }
  s->on_result(2, 1, 9.0);
  CHECK_FALSE(s->should_stop(2));  // within the grace period
  s->on_result(2, 2, 3.0);         // best 3 > median 1.5 of the running means
  auto why = s->should_stop(2);
  REQUIRE(why);
  CHECK_THAT(*why, Contains("median rule at epoch 2: best val_loss 3 is worse than the median 1.5 "
                            "of 2 other trials"));
  s->on_result(3, 1, 1.2);
  s->on_result(3, 2, 1.4);
  CHECK_FALSE(s->should_stop(3));  // best 1.2 < 1.5
  auto few = make_scheduler(with_scheduler("{name: median, grace_period: 1, min_trials: 3}"));
  few->on_result(0, 1, 1.0);
  few->on_result(1, 1, 1.0);
  few->on_result(2, 1, 5.0);
  CHECK_FALSE(few->should_stop(2));  // only 2 others reported epoch 1
}

TEST_CASE("fifo: every trial to max_t, nothing stopped", "[hpo]") {
  auto s = make_scheduler(with_scheduler("fifo"));
  Job j = s->next_job(true);
  CHECK(j.kind == Job::Kind::kNew);
  CHECK(j.until == 9);
  CHECK(s->next_job(false).kind == Job::Kind::kNone);
  s->on_result(0, 1, 100.0);
  CHECK_FALSE(s->should_stop(0));
}
