#include "itwin/train/schedule.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace itwin;

TEST_CASE("schedule: step, multistep, exponential, cosine, warmup", "[train]") {
  config::SchedulerSpec s;
  CHECK(train::lr_at(s, 0.1, 5, 10) == Approx(0.1));
  s.name = config::ScheduleKind::Step;
  s.step_size = 2;
  s.gamma = 0.5;
  CHECK(train::lr_at(s, 1.0, 1, 10) == Approx(1.0));
  CHECK(train::lr_at(s, 1.0, 2, 10) == Approx(0.5));
  CHECK(train::lr_at(s, 1.0, 5, 10) == Approx(0.25));
  s.name = config::ScheduleKind::MultiStep;
  s.milestones = {3, 6};
  CHECK(train::lr_at(s, 1.0, 2, 10) == Approx(1.0));
  CHECK(train::lr_at(s, 1.0, 3, 10) == Approx(0.5));
  CHECK(train::lr_at(s, 1.0, 7, 10) == Approx(0.25));
  s.name = config::ScheduleKind::Exponential;
  s.gamma = 0.9;
  CHECK(train::lr_at(s, 1.0, 3, 10) == Approx(0.729));
  s.name = config::ScheduleKind::Cosine;
  s.eta_min = 0.0;
  CHECK(train::lr_at(s, 1.0, 0, 10) == Approx(1.0));
  CHECK(train::lr_at(s, 1.0, 5, 10) == Approx(0.5));
  CHECK(train::lr_at(s, 1.0, 10, 10) == Approx(0.0).margin(1e-12));
  s.warmup_epochs = 2;
  s.warmup_start = 0.1;
  CHECK(train::lr_at(s, 1.0, 0, 10) == Approx(0.1));
  CHECK(train::lr_at(s, 1.0, 1, 10) == Approx(0.55));
  CHECK(train::lr_at(s, 1.0, 2, 10) == Approx(1.0));  // cosine starts after warmup
}
