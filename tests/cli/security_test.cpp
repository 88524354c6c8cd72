// End to end with the built binary: hostile pipeline files, job scripts from
// `itwin submit` run under bash with stub programs, and `${secret:NAME}`
// values that must not reach any file or output.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "../helpers.hpp"
#include "../slurm/stub_sandbox.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

std::string cmd(const std::string& args) { return itwin_bin() + " " + args; }

// One word for bash.
std::string sq(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// A YAML double-quoted scalar.
std::string yq(const std::string& s) {
  std::string o = "\"";
  for (char c : s)
    o += c == '\n'               ? std::string("\\n")
         : c == '"' || c == '\\' ? std::string("\\") + c
                                 : std::string(1, c);
  return o + "\"";
}

// Bounded: a regression to the old behaviour (minutes, gigabytes) fails here
// instead of taking the machine with it.
ProcResult bounded(const std::string& args) {
  return run_shell("ulimit -v 3000000; " + cmd(args), 60);
}

const char* kSteps =
    "pipelines:\n  training:\n    steps:\n"
    "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 256}}\n"
    "      - {name: model, type: model, arch: mlp, hidden: [8]}\n"
    "      - {name: train, type: trainer, epochs: 1, batch_size: 64}\n";

}  // namespace

TEST_CASE("security: hostile pipeline files are located errors, exit 2, no crash",
          "[cli][hostile]") {
  TempDir d;
  struct Case {
    std::string name, text, sets, want;
  };
  const std::vector<Case> cases = {
      {"alias.yaml", "a: &a [*a]\n", "", "alias.yaml:1:8: alias '*a' refers to the node it is in"},
      {"list.yaml", "vars:\n  a: [1, '${a}']\n", "",
       "list.yaml:2:10: interpolation cycle: vars.a -> vars.a.1 -> vars.a"},
      {"map.yaml", "vars:\n  m: {k: '${m}'}\n", "",
       "map.yaml:2:10: interpolation cycle: vars.m -> vars.m.k -> vars.m"},
      {"own.yaml",
       "pipelines:\n  training:\n    steps:\n      - {name: c, type: command, argv: "
       "['${pipelines.training}']}\n",
       "", "own.yaml:4:41: interpolation cycle: pipelines.training -> "},
      {"set.yaml", std::string("vars: {a: {x: 1}}\n") + kSteps, "--set 'vars.a.b=${vars.a}'",
       "--set #1 'vars.a.b=${vars.a}': interpolation cycle"},
      {"docs.yaml", std::string(kSteps) + "---\nrun: {name: other}\n", "",
       "docs.yaml:7:1: a second YAML document"},
      {"ctrl.yaml", std::string("run: {name: \"a\\eb\"}\n") + kSteps, "",
       "ctrl.yaml:1:13: value contains the control character U+001B"},
      {"utf8.yaml", std::string("run: {name: a\xff}\n") + kSteps, "",
       "utf8.yaml:1:14: invalid UTF-8"},
      {"dotdot.yaml", std::string("run: {name: '..'}\n") + kSteps, "", "dotdot.yaml:1:13: "},
      {"dot.yaml", std::string("run: {name: '.'}\n") + kSteps, "", "must be one path component"},
      {"nl.yaml", std::string("run: {name: \"a\\nb\"}\n") + kSteps, "",
       "must be one path component"},
      {"envkey.yaml",
       "pipelines:\n  training:\n    steps:\n      - {name: c, type: command, argv: [env], env: "
       "{'A=B': x}}\n",
       "",
       "envkey.yaml:4:53: step 'c' (type command): 'env' key 'A=B' is not a valid environment "
       "variable name"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = bounded("validate " + d.write(c.name, c.text) + " " + c.sets);
    INFO(r.out);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains("itwin: error: "));
    CHECK_THAT(r.out, Contains(c.want));
    CHECK_THAT(r.out, !Contains("internal error"));
  }
}

TEST_CASE("security: exponential and huge documents are refused at once", "[cli][hostile]") {
  TempDir d;
  // The classic: nine levels of nine aliases, 387 million strings once expanded.
  std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    std::string prev = std::string("*") + static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [" + prev;
    for (int k = 1; k < 9; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  auto r = bounded("validate " + d.write("bomb.yaml", bomb));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("bomb.yaml:"));
  CHECK_THAT(r.out, Contains("the document expands to more than 200000 nodes"));
  // The same through interpolation, and through text.
  std::string refs = "vars:\n  a: [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  std::string text = "vars:\n  a: lollollollollollollollollollollollollollollollollollollol\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    std::string prev = std::string("${") + static_cast<char>(c - 1) + "}";
    refs += std::string("  ") + c + ": ['" + prev;
    text += std::string("  ") + c + ": " + prev;
    for (int k = 1; k < 9; ++k) {
      refs += "', '" + prev;
      text += prev;
    }
    refs += "']\n";
    text += "\n";
  }
  r = bounded("validate " + d.write("refs.yaml", refs + kSteps));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("interpolation expands to more than 200000 nodes"));
  r = bounded("validate " + d.write("text.yaml", text + kSteps));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("value is longer than 1048576 bytes"));
  // And through includes: each file includes the previous one nine times.
  d.write("inc0.yaml", "x: [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
  for (int i = 1; i <= 8; ++i) {
    std::string prev = "!include inc" + std::to_string(i - 1) + ".yaml";
    std::string body = "x: [" + prev;
    for (int k = 1; k < 9; ++k) body += ", " + prev;
    d.write("inc" + std::to_string(i) + ".yaml", body + "]\n");
  }
  r = bounded("validate " + d.path() + "/inc8.yaml");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("expands to more than 200000 nodes"));
  // A list of two million integers (4 MB of text, under the file limit).
  std::string ints = "vars:\n  big: [0";
  ints.reserve(4 << 20);
  for (int i = 1; i < 2000000 - 200; ++i) ints += ",0";
  r = bounded("validate " + d.write("ints.yaml", ints + "]\n" + kSteps));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("ints.yaml:2:8: list has more than 100000 items"));
  r = bounded("validate " + d.write("huge.yaml", "# " + std::string(5 << 20, 'x') + "\n" + kSteps));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("is larger than 4194304 bytes"));
}

TEST_CASE("security: submit --dry-run scripts with hostile values run nothing under bash",
          "[cli][hostile][slurm]") {
  stubs::Sandbox box;
  const std::string marker =
      box.dir.path() + "/PWNED";  // the values say PWNED; the script runs in box.dir
  const std::vector<std::string> values = {"x\ntouch PWNED #",
                                           "$(touch PWNED)",
                                           "`touch PWNED`",
                                           "a;touch PWNED",
                                           "a' ; touch PWNED ; '",
                                           "a\" && touch PWNED \"",
                                           "@LAUNCH@",
                                           "x\n#SBATCH --comment=INJECTED",
                                           "> PWNED"};
  const std::string step =
      "d;touch${IFS}PWNED";  // a step name may not hold spaces, dots or slashes
  int n = 0;
  for (const auto& h : values) {
    INFO("value: " << h);
    const bool one_line = h.find('\n') == std::string::npos;
    const std::string sub = box.dir.path() + "/case" + std::to_string(n++);
    const std::string cfg_dir = sub + "/cfg " + h;  // the config path, shown in the header comment
    fs::create_directories(cfg_dir);
    const std::string cfg = cfg_dir + "/pipeline.yaml";
    std::ofstream(cfg)
        << "run: {name: job, root: " + yq(h) +
               "}\n"
               "slurm:\n"
               "  env: {HOSTILE: " +
               yq(h) +
               "}\n"
               "  srun_args: [" +
               yq(h) +
               "]\n"
               "  container: {image: " +
               yq(h) + ", binds: [" + yq(h) + "], args: [" + yq(h) +
               "]}\n"
               "pipelines:\n  " +
               yq(one_line ? h : "training") +
               ":\n    steps:\n"
               "      - {name: data, type: dataset, format: synthetic}\n"
               "      - {name: 'd;touch$${IFS}PWNED', type: command, argv: ['true']}\n";
    // A profile whose name holds the value too (it goes into the header comment).
    std::ofstream(sub + "/site.yaml")
        << "name: " + yq(h) + "\ndefaults: {modules: [" + yq(h) + "]}\n";
    auto r = run_shell("cd " + sq(sub) + " && " +
                       cmd("submit " + sq(cfg) + " --dry-run --profile " + sq(sub + "/site.yaml") +
                           " --steps " + sq(step) + " --set " + sq("slurm.env.FROM_SET=" + yq(h))));
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    const std::string& script = r.out;
    stubs::check_header(script);
    auto syntax = run_shell("bash -n " + box.dir.write("n.sbatch", script));
    INFO(syntax.out);
    REQUIRE(syntax.exit_code == 0);
    auto calls = box.run(script);
    CHECK_FALSE(fs::exists(marker));
    const stubs::Call* module = stubs::find_call(calls, "module");
    REQUIRE(module);
    CHECK(module->argv == std::vector<std::string>{"module", "load", h});
    const stubs::Call* srun = stubs::find_call(calls, "srun");
    REQUIRE(srun);
    CHECK(srun->env.at("HOSTILE") == h);
    CHECK(srun->env.at("FROM_SET") == h);
    // srun_args, exec args, bind, image and (when it is one) the pipeline name: each one argument,
    // exactly h.
    CHECK(std::count(srun->argv.begin(), srun->argv.end(), h) == (one_line ? 5 : 4));
    CHECK(stubs::has_arg(*srun, step));
    CHECK(
        stubs::has_arg(*srun, sub + "/" + h + "/job-42"));  // run.root, made absolute, + the job id
  }
}

TEST_CASE("security: a ${secret:NAME} reaches the command that uses it and no file or output",
          "[cli][secret]") {
  TempDir d;
  const std::string value = "s3cr3t-e2e-5b1d";
  const std::string env = "ITWIN_E2E_SECRET=" + value + " ";
  std::string cfg = d.write(
      "p.yaml",
      "run: {name: sec}\n"
      "vars: {token: '${secret:ITWIN_E2E_SECRET}'}\n"
      "loggers: [{type: jsonl}, {type: mlflow}]\n"
      "slurm: {env: {HF_TOKEN: '${token}'}}\n"
      "pipelines:\n  training:\n    steps:\n"
      "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 256}}\n"
      "      - {name: model, type: model, arch: mlp, hidden: [8]}\n"
      "      - {name: train, type: trainer, epochs: 1, batch_size: 64}\n"
      "      - name: use\n        type: command\n"
      "        shell: 'printf %s \"$TOKEN|$BEARER\" > " +
          d.path() +
          "/used.txt'\n"
          "        env: {TOKEN: '${token}', BEARER: 'Bearer ${secret:ITWIN_E2E_SECRET}'}\n");
  auto no_value = [&](const std::string& what, const std::string& text) {
    INFO(what << ":\n" << text);
    CHECK(text.find(value) == std::string::npos);
  };
  auto resolved = run_shell(env + cmd("validate " + cfg + " --resolved"));
  REQUIRE(resolved.exit_code == 0);
  no_value("validate --resolved", resolved.out);
  CHECK_THAT(resolved.out, Contains("token: \"${secret:ITWIN_E2E_SECRET}\""));
  CHECK_THAT(resolved.out, Contains("Bearer ${secret:ITWIN_E2E_SECRET}"));

  // A run: the command gets the value; no file of the run holds it.
  const std::string run = d.path() + "/run";
  auto train = run_shell(env + cmd("train " + cfg + " --threads 1 --run-dir " + run));
  INFO(train.out);
  REQUIRE(train.exit_code == 0);
  no_value("train output", train.out);
  CHECK(stubs::slurp(d.path() + "/used.txt") == value + "|Bearer " + value);
  auto configs = run_shell("find " + run + " -name config.yaml | wc -l");
  CHECK(std::stoi(configs.out) >= 3);  // the run, a checkpoint, the MLflow artifacts
  CHECK(fs::exists(run + "/provenance.json"));
  CHECK(run_shell("ls -d " + run + "/mlruns/*/*/params").exit_code == 0);
  auto leaks = run_shell("grep -rla -- " + value + " " + run);
  CHECK(
      leaks.out.empty());  // config.yaml, provenance.json, checkpoints, MLflow params and artifacts
  auto show = run_shell(env + cmd("runs show " + run + " --json"));
  CHECK(show.exit_code == 0);
  no_value("runs show", show.out);
  CHECK_THAT(show.out, Contains("\"use.env.TOKEN\": \"***\""));
  auto reg = run_shell(env + "ITWIN_REGISTRY=" + d.path() + "/registry " +
                       cmd("models register " + run + " --name sec"));
  REQUIRE(reg.exit_code == 0);
  CHECK(run_shell("grep -rla -- " + value + " " + d.path() + "/registry").out.empty());

  // The job script refers to the variable; the snapshot keeps the reference.
  auto dry = run_shell("cd " + d.path() + " && " + env + cmd("submit " + cfg + " --dry-run"));
  REQUIRE(dry.exit_code == 0);
  no_value("submit --dry-run", dry.out);
  CHECK_THAT(dry.out, Contains("export HF_TOKEN=\"${ITWIN_E2E_SECRET:?"));
  d.write("bin/sbatch", "#!/bin/sh\necho 4242\n");
  fs::permissions(d.path() + "/bin/sbatch", fs::perms::owner_all);
  auto sub = run_shell("cd " + d.path() + " && " + env + "PATH=" + d.path() +
                       "/bin:$PATH XDG_STATE_HOME=" + d.path() + "/state " + cmd("submit " + cfg));
  INFO(sub.out);
  REQUIRE(sub.exit_code == 0);
  no_value("submit", sub.out);
  auto snapshot = run_shell("ls " + d.path() + "/slurm-logs/sec-*.yaml");
  REQUIRE(snapshot.exit_code == 0);
  std::string snap = snapshot.out.substr(0, snapshot.out.find('\n'));
  CHECK_THAT(stubs::slurp(snap), Contains("${secret:ITWIN_E2E_SECRET}"));
  CHECK(run_shell("grep -rla -- " + value + " " + d.path() + "/slurm-logs " + d.path() + "/state")
            .out.empty());
  // Where the job runs, the snapshot resolves the secret from that environment, or says it is
  // missing.
  CHECK(run_shell(env + cmd("validate " + snap)).exit_code == 0);
  auto missing = run_shell("env -u ITWIN_E2E_SECRET " + cmd("validate " + snap));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.out, Contains("secret 'ITWIN_E2E_SECRET' is not set"));
}
