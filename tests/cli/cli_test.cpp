// End to end: the built `itwin` binary, as a user runs it.
#include <catch2/catch.hpp>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;

namespace {
std::string cmd(const std::string& args) { return itwin_bin() + " " + args; }
std::string example() { return source_root() + "/use-cases/fashion-mnist/pipeline.yaml"; }
}  // namespace

TEST_CASE("cli: help lists every subcommand", "[cli]") {
  auto r = run_shell(cmd("--help"));
  CHECK(r.exit_code == 0);
  for (const char* c : {"train", "run", "hpo", "infer", "submit", "jobs", "report", "bench",
                        "validate", "backends", "version"}) {
    CHECK_THAT(r.out, Contains(std::string("  ") + c));
  }
  auto t = run_shell(cmd("train --help"));
  CHECK(t.exit_code == 0);
  CHECK_THAT(t.out, Contains("--set"));
  CHECK_THAT(t.out, Contains("--resume"));
}

TEST_CASE("cli: validate accepts the Fashion-MNIST example", "[cli]") {
  auto r = run_shell(cmd("validate " + example()));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("pipeline training"));
  CHECK_THAT(r.out, Contains("train[trainer]"));
}

TEST_CASE("cli: validate --resolved shows overrides and defaults", "[cli]") {
  auto r =
      run_shell(cmd("validate " + example() + " --resolved --set vars.epochs=2 --set run.seed=9"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("epochs: 2"));
  CHECK_THAT(r.out, Contains("seed: 9"));
  CHECK_THAT(r.out, Contains("eval_batch_size: 1000"));
}

TEST_CASE("cli: the built-in default validates without a file", "[cli]") {
  auto r = run_shell(cmd("validate --json"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("\"valid\": true"));
  CHECK_THAT(r.out, Contains("fashion-mnist"));
}

TEST_CASE("cli: bad input exits 2 with file:line:col and no stack trace", "[cli]") {
  TempDir d;
  std::string bad =
      d.write("bad.yaml",
              "pipelines:\n  training:\n    steps:\n      - {name: t, type: trainer, epocs: 3}\n");
  auto r = run_shell(cmd("validate " + bad));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("bad.yaml:4:34: unknown key 'epocs'"));
  CHECK_THAT(r.out, Contains("did you mean 'epochs'?"));
  CHECK_THAT(r.out, !Contains("terminate"));
  auto missing = run_shell(cmd("validate " + d.path() + "/nope.yaml"));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.out, Contains("nope.yaml': no such file"));
  auto syntax = run_shell(cmd("train " + d.write("s.yaml", "a: [1, 2\n")));
  CHECK(syntax.exit_code == 2);
  CHECK_THAT(syntax.out, Contains("s.yaml:2:1: YAML syntax error"));
}

TEST_CASE("cli: unknown pipelines and steps are usage errors", "[cli]") {
  auto r = run_shell(cmd("validate " + example() + " --pipeline trainig"));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("did you mean 'training'?"));
  auto s = run_shell(cmd("validate " + example() + " -p training --steps data,trian"));
  CHECK(s.exit_code == 2);
  CHECK_THAT(s.out, Contains("has no step 'trian'"));
}

TEST_CASE("cli: bad options exit 2", "[cli]") {
  CHECK(run_shell(cmd("train --threads 0")).exit_code == 2);
  CHECK(run_shell(cmd("frobnicate")).exit_code == 2);
}

TEST_CASE("cli: backends reports the BLAS and libraries", "[cli]") {
  auto r = run_shell(cmd("backends"));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("local"));
  CHECK_THAT(r.out, Contains("BLAS"));
  CHECK_THAT(r.out, Contains("libtorch 1.13"));
  // Debian's LibTorch is CPU-only: no GPU, and the line says what auto does then.
  CHECK_THAT(r.out, Contains("GPUs     none visible (run.device: auto trains on the CPU)"));
  auto j = run_shell(cmd("backends --json"));
  CHECK(j.exit_code == 0);
  CHECK_THAT(j.out, Contains("\"cores_available\""));
  CHECK_THAT(j.out, Contains("\"gpus\": []"));
}

TEST_CASE("cli: version", "[cli]") {
  auto r = run_shell(cmd("version"));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("itwin 0."));
  CHECK_THAT(r.out, Contains("libtorch"));
}

TEST_CASE("cli: bench comm prints an nccl-tests table and JSON", "[cli][distributed]") {
  TempDir d;
  auto r = run_shell(cmd("bench comm --nproc 2 --backend gloo -b 1K -e 64K -f 4 -n 3 --json " +
                         d.path() + "/b.json"));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("backend gloo, 2 ranks"));
  CHECK_THAT(r.out, Contains("algbw"));
  CHECK_THAT(r.out, Contains("reduce_scatter"));
  CHECK_THAT(r.out, Contains("out of bounds values : 0 OK"));
  auto j = run_shell("cat " + d.path() + "/b.json");
  CHECK_THAT(j.out, Contains("\"busbw_gbs\""));
  auto bad = run_shell(cmd("bench comm -b 10X"));
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Contains("expected a size like 8, 1K, 64M or 1G, got '10X'"));
}

TEST_CASE("cli: validate --resolved prints a config that validates again", "[cli]") {
  TempDir d;
  for (const char* file :
       {"fashion-mnist/pipeline.yaml", "fashion-mnist/hpo.yaml", "virgo/pipeline.yaml",
        "virgo/hpo.yaml", "3dgan/pipeline.yaml", "3dgan/hpo.yaml"}) {
    INFO(file);
    auto r = run_shell(cmd("validate " + source_root() + "/use-cases/" + file + " --resolved") +
                       " 2>/dev/null");
    REQUIRE(r.exit_code == 0);
    const std::string resolved = d.write("resolved.yaml", r.out);
    auto again = run_shell(cmd("validate " + resolved));
    INFO(again.out);
    CHECK(again.exit_code == 0);
  }
}
