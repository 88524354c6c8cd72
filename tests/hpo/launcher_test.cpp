// Trial command lines (here and as SLURM job steps) and how a segment's
// exit is judged.
#include "itwin/hpo/launcher.hpp"

#include <signal.h>

#include "../helpers.hpp"
#include "hpo_fixture.hpp"
#include "itwin/hpo/outcome.hpp"

using namespace itwin;
using namespace itwin::hpo;
using Catch::Contains;

TEST_CASE("launcher: a trial segment is itwin train with its overrides", "[hpo]") {
  TrialLaunch l;
  l.config = "s/config.yaml";
  l.pipeline = "training";
  l.run_dir = "s/trials/0003";
  l.sets = {"vars.lr=0.1", "run.name='x y'"};
  l.until = 3;
  l.resume = true;
  l.threads = 2;
  LaunchEnv local{"/bin/itwin", false, 0};
  CHECK(trial_argv(l, local) == std::vector<std::string>{"/bin/itwin", "train", "s/config.yaml",
                                                         "--pipeline", "training", "--run-dir",
                                                         "s/trials/0003", "--set", "vars.lr=0.1",
                                                         "--set", "run.name='x y'", "--resume",
                                                         "--until-epoch", "3", "--threads", "2"});
  l.ranks = 4;
  l.resume = false;
  l.until = 0;
  l.threads = 0;
  auto a = trial_argv(l, local);
  CHECK(std::vector<std::string>(a.end() - 2, a.end()) == std::vector<std::string>{"--nproc", "4"});
  LaunchEnv slurm{"/bin/itwin", true, 2};
  a = trial_argv(l, slurm);
  CHECK(std::vector<std::string>(a.begin(), a.begin() + 7) ==
        std::vector<std::string>{"srun", "--exact", "--kill-on-bad-exit=1", "-n", "4", "--nodes=2",
                                 "/bin/itwin"});
  CHECK(std::find(a.begin(), a.end(), "--nproc") == a.end());  // srun makes the ranks
}

TEST_CASE("outcome: exit status and summary give the verdict", "[hpo]") {
  SegmentOutcome paused{"PAUSED", "", 1, true}, finished{"FINISHED", "", 1, true}, none;
  CHECK(classify(0, paused, 3, 9, false, "").status == Status::kPaused);
  CHECK(classify(0, paused, 9, 9, false, "").status == Status::kCompleted);
  auto early = classify(0, finished, 5, 9, false, "");
  CHECK(early.status == Status::kCompleted);
  CHECK(early.reason == "early stopping after epoch 5");
  CHECK(classify(75, none, 4, 9, false, "").status == Status::kInterrupted);
  CHECK(classify(128 + SIGTERM, none, 0, 9, false, "").status ==
        Status::kInterrupted);  // before its handler
  auto stopped = classify(75, none, 4, 9, true, "median rule");
  CHECK(stopped.status == Status::kStopped);
  CHECK(stopped.reason == "median rule");
  SegmentOutcome diverged{"FAILED", "training diverged: the loss is nan", 1, false};
  auto d = classify(3, diverged, 2, 9, false, "");
  CHECK(d.status == Status::kFailed);
  CHECK(d.reason == "diverged (exit 3): training diverged: the loss is nan");
  auto killed = classify(137, none, 2, 9, false, "");
  CHECK(killed.status == Status::kFailed);
  CHECK_THAT(killed.reason, Contains("killed by signal 9"));
  CHECK_THAT(killed.reason, Contains("a rank was lost"));
  CHECK(classify(2, none, 0, 9, false, "").reason == "bad input (exit 2)");
  // The controller was gone (exit unknown): the summary decides.
  CHECK(classify(-1, finished, 9, 9, false, "").status == Status::kCompleted);
  CHECK(classify(-1, SegmentOutcome{"KILLED", "", 1, true}, 4, 9, false, "").status ==
        Status::kInterrupted);
  CHECK(classify(-1, none, 0, 9, false, "").status == Status::kInterrupted);
  CHECK(classify(-1, diverged, 2, 9, false, "").status == Status::kFailed);
}

TEST_CASE("outcome: metrics.jsonl is read as lines complete", "[hpo]") {
  test::TempDir d;
  std::string p = d.write("m.jsonl",
                          "{\"epoch\":1,\"val_loss\":0.5}\n{\"epoch\":1,\"per_step\":true,\"lr\":1}"
                          "\n{\"epoch\":2,\"val_l");
  MetricsTail t(p);
  auto a = t.poll();
  REQUIRE(a.size() == 1);
  CHECK(a[0].first == 1);
  CHECK(a[0].second.at("val_loss") == 0.5);
  {
    std::ofstream out(p, std::ios::app);
    out << "oss\":null}\n";
  }
  auto b = t.poll();
  REQUIRE(b.size() == 1);
  CHECK(b[0].first == 2);
  CHECK(std::isnan(b[0].second.at("val_loss")));
  CHECK(t.poll().empty());
  {  // the final test_* point and the monitor's closing point share the last epoch
    std::ofstream out(p, std::ios::app);
    out << "{\"epoch\":2,\"test_loss\":0.7}\n{\"epoch\":2,\"monitor_cpu_util\":50}\n";
  }
  CHECK(t.poll().empty());
  auto o = read_outcome(d.path());
  CHECK(o.status.empty());
  CHECK_FALSE(o.checkpoint);
}
