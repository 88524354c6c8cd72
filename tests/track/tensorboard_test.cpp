// TensorBoard event files read by the real TensorBoard 2.20 (check_tb.py:
// record reader, both accumulators, the WSGI app; tb_groups.py: the HParams
// dashboard's session groups): the scalars (test_* too), one group per set of
// hyper-parameters, a resumed run as one session with its final status, and
// the logdir docs/tracking.md tells users to open.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "../helpers.hpp"
#include "oracles.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string with_test_split(const std::string& yaml) {
  std::string out = yaml;
  const std::string from = "synthetic: {samples: 640}}";
  out.replace(out.find(from), from.size(),
              "synthetic: {samples: 640}, split: {validation: 0.1, test: 0.1}}");
  return out;
}

// The session groups tb_groups.py prints: group name -> its session lines.
std::map<std::string, std::vector<std::string>> groups(const std::string& out) {
  std::map<std::string, std::vector<std::string>> g;
  std::string current;
  for (const auto& line : split_lines(out)) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex("^group '([^']*)'")))
      current = m[1];
    else if (line.find("    session ") == 0 && !current.empty())
      g[current].push_back(line);
  }
  return g;
}

}  // namespace

TEST_CASE(
    "tensorboard: TensorBoard reads every record, the scalars with test_*, and hparams with "
    "metrics",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  std::string cfg =
      d.write("p.yaml", with_test_split(pipeline("  - {type: tensorboard, log_every: 5}\n")));
  const std::string root = d.path() + "/runs";
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + root + "/tracked");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto check = check_tb(root);
  INFO(check.out);
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.out, Contains("scalar test_accuracy: 1 points"));
  CHECK_THAT(check.out, Contains("scalar test_loss: 1 points"));
  CHECK_THAT(check.out, Contains("session_end_info: status=STATUS_SUCCESS"));
  CHECK_THAT(check.out, Contains("world_size: number_value=1.0"));

  // The command docs/tracking.md gives, on this run: the HParams dashboard
  // shows the session with its metric values.
  std::smatch m;
  std::string docs = slurp(source_root() + "/docs/tracking.md");
  REQUIRE(std::regex_search(docs, m, std::regex("tensorboard --logdir (\\S+)")));
  std::string logdir = m[1];
  INFO("docs: tensorboard --logdir " << logdir);
  logdir = std::regex_replace(logdir, std::regex("RUN_DIR"), root + "/tracked");
  logdir = std::regex_replace(logdir, std::regex("^runs"), root);
  auto g = tb_groups(logdir);
  INFO(g.out);
  REQUIRE(g.exit_code == 0);
  CHECK_THAT(g.out, Contains("1 session group(s)"));
  CHECK_THAT(g.out, Contains("status=STATUS_SUCCESS"));
  CHECK(std::regex_search(
      g.out, std::regex("metricValues=[1-9]")));  // the run's scalars are the session's metrics
}

TEST_CASE(
    "tensorboard: runs of one name with other hyper-parameters or rank counts are separate groups",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline("  - {type: tensorboard}\n"));
  const std::string root = d.path() + "/runs";
  const std::string base = itwin_bin() + " train " + cfg + " --threads 1 --run-dir " + root;
  for (const std::string& cmd :
       {base + "/one", base + "/one-again", base + "/two --nproc 2",
        base + "/lr --set pipelines.training.steps.train.optimizer.lr=0.01"}) {
    auto r = run_shell(cmd);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
  }
  auto g = tb_groups(root);
  INFO(g.out);
  REQUIRE(g.exit_code == 0);
  auto found = groups(g.out);
  CHECK(found.size() == 3);  // {one, one-again} (the same trial twice), two, lr
  size_t largest = 0;
  for (const auto& [name, sessions] : found) largest = std::max(largest, sessions.size());
  CHECK(largest == 2);
}

TEST_CASE("tensorboard: a run killed and resumed to completion is one session that ended well",
          "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  // The first attempt is stopped by SIGTERM (as a preemption does) after its
  // loggers began the session; the resumed one runs to the end.
  std::string yaml = pipeline("  - {type: tensorboard}\n  - {type: mlflow}\n");
  const std::string marker = d.path() + "/killed-once";
  yaml.replace(yaml.find("      - {name: train"), 0,
               "      - {name: stop, type: command, shell: 'test -e " + marker + " || { touch " +
                   marker + "; kill -TERM $PPID; }'}\n");
  std::string cfg = d.write("p.yaml", yaml);
  const std::string root = d.path() + "/runs";
  auto first = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + root + "/r");
  INFO(first.out);
  REQUIRE(first.exit_code == 75);  // stopped: requeue me
  auto killed = tb_groups(root);
  CHECK_THAT(killed.out, Contains("status=STATUS_FAILURE"));
  auto again = run_shell(itwin_bin() + " train " + cfg + " --resume --run-dir " + root + "/r");
  INFO(again.out);
  REQUIRE(again.exit_code == 0);

  auto check = check_tb(root);
  INFO(check.out);
  CHECK(check.exit_code == 0);
  auto g = tb_groups(root);
  INFO(g.out);
  auto found = groups(g.out);
  REQUIRE(found.size() == 1);
  REQUIRE(found.begin()->second.size() == 1);  // one session
  CHECK_THAT(found.begin()->second[0], Contains("status=STATUS_SUCCESS"));
  // In the event files of both attempts: one session start (the first
  // attempt's) and one end (the resumed attempt's).
  int hparams_records = 0;
  std::regex kinds("\"summary\\.tensor:hparams\": (\\d+)");
  for (auto it = std::sregex_iterator(check.out.begin(), check.out.end(), kinds);
       it != std::sregex_iterator(); ++it)
    hparams_records += std::stoi((*it)[1]);
  CHECK(hparams_records == 2);
}
