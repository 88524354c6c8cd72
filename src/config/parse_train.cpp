// `type: trainer` steps.
#include <algorithm>
#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "parse_steps.hpp"

namespace itwin::config {
namespace {

// `val_accuracy`, `train_loss`, ...: a split prefix and the loss or a metric.
void check_monitored(Reader& r, const std::string& key, const std::string& name,
                     const std::vector<MetricSpec>& metrics) {
  std::vector<std::string> allowed;
  for (const char* split : {"train_", "val_"}) {
    allowed.push_back(std::string(split) + "loss");
    for (const auto& m : metrics) allowed.push_back(split + m.name());
  }
  if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
    r.fail(key, "must be one of " + join(allowed, ", ") + "; got '" + name + "'" +
                    did_you_mean(name, allowed));
  }
}

}  // namespace

void parse_optimizer(Reader& r, OptimizerSpec& op) {
  Reader o = r.sub_or_name("optimizer");
  op.name = o.get_enum("name", optimizer_catalog(), op.name);
  op.lr = o.get_double("lr", op.name == OptimizerKind::Sgd ? 0.01 : op.lr, 0.0, 1e6);
  if (op.lr <= 0) o.fail("lr", "must be > 0");
  op.weight_decay =
      o.get_double("weight_decay", op.name == OptimizerKind::AdamW ? 0.01 : 0.0, 0.0, 1e6);
  switch (op.name) {
    case OptimizerKind::Sgd:
      op.momentum = o.get_double("momentum", 0.0, 0.0, 1.0);
      op.nesterov = o.get_bool("nesterov", false);
      if (op.nesterov && op.momentum <= 0) o.fail("nesterov", "needs momentum > 0");
      break;
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW:
      op.betas = o.get_double_list("betas", op.betas);
      if (op.betas.size() != 2 || op.betas[0] < 0 || op.betas[0] >= 1 || op.betas[1] < 0 ||
          op.betas[1] >= 1) {
        o.fail("betas", "must be two numbers in [0, 1)");
      }
      op.eps = o.get_double("eps", 1e-8, 0.0, 1.0);
      break;
    case OptimizerKind::RmsProp:
      op.momentum = o.get_double("momentum", 0.0, 0.0, 1.0);
      op.eps = o.get_double("eps", 1e-8, 0.0, 1.0);
      op.alpha = o.get_double("alpha", op.alpha, 0.0, 1.0);
      break;
    case OptimizerKind::Adagrad:
      op.eps = o.get_double("eps", 1e-10, 0.0, 1.0);
      break;
  }
  o.finish();
}

void parse_schedule(Reader& r, SchedulerSpec& sc) {
  Reader s = r.sub_or_name("scheduler");
  sc.name = s.get_enum("name", schedule_catalog(), sc.name);
  switch (sc.name) {
    case ScheduleKind::None:
      break;
    case ScheduleKind::Step:
      sc.step_size = s.get_int("step_size", sc.step_size, 1);
      sc.gamma = s.get_double("gamma", sc.gamma, 0.0, 1.0);
      break;
    case ScheduleKind::MultiStep:
      sc.milestones = s.get_int_list("milestones", {}, 1);
      if (sc.milestones.empty() || !std::is_sorted(sc.milestones.begin(), sc.milestones.end())) {
        s.fail("milestones", "must be a non-empty increasing list of epochs");
      }
      sc.gamma = s.get_double("gamma", sc.gamma, 0.0, 1.0);
      break;
    case ScheduleKind::Exponential:
      sc.gamma = s.get_double("gamma", 0.95, 0.0, 1.0);
      break;
    case ScheduleKind::Cosine:
      sc.t_max = s.get_int("t_max", sc.t_max, 0);
      sc.eta_min = s.get_double("eta_min", sc.eta_min, 0.0);
      break;
  }
  sc.warmup_epochs = s.get_int("warmup_epochs", sc.warmup_epochs, 0);
  if (sc.warmup_epochs > 0)
    sc.warmup_start = s.get_double("warmup_start", sc.warmup_start, 0.0, 1.0);
  else if (s.has("warmup_start"))
    s.fail("warmup_start", "has no effect without warmup_epochs > 0");
  s.finish();
}

namespace {

std::vector<MetricSpec> parse_metrics(Reader& r, LossKind loss) {
  std::vector<std::string> known = metric_catalog().names();
  std::vector<std::string> def = {loss_wants_class_labels(loss) ? "accuracy" : "mae"};
  std::vector<MetricSpec> out;
  for (const auto& m : r.get_string_list("metrics", def)) {
    MetricSpec spec;
    if (!parse_metric(m, &spec)) {
      r.fail("metrics", "has unknown metric '" + m + "'; known: " + join(known, ", ") +
                            " (e.g. top5)" +
                            did_you_mean(m, {"accuracy", "top5", "mae", "rmse", "r2"}));
    }
    bool class_metric = spec.kind == MetricKind::Accuracy || spec.kind == MetricKind::TopK;
    if (class_metric && loss_is_regression(loss)) {
      r.fail("metrics", "has '" + m + "', a metric of class labels, but loss '" +
                            std::string(loss_catalog().name(loss)) +
                            "' trains on real-valued targets (use mae, rmse or r2)");
    }
    out.push_back(spec);
  }
  return out;
}

}  // namespace

TrainerSpec parse_trainer(Reader& r) {
  TrainerSpec t;
  t.epochs = r.get_int("epochs", t.epochs, 1, 1000000);
  t.batch_size = r.get_int("batch_size", t.batch_size, 1, 1 << 24);
  t.eval_batch_size = r.get_int("eval_batch_size", t.eval_batch_size, 1, 1 << 24);
  parse_optimizer(r, t.optimizer);
  parse_schedule(r, t.scheduler);

  Reader l = r.sub_or_name("loss");
  t.loss = l.get_enum("name", loss_catalog(), t.loss);
  if (t.loss == LossKind::Huber) t.huber_delta = l.get_double("delta", t.huber_delta, 0.0);
  l.finish();

  t.metrics = parse_metrics(r, t.loss);
  t.grad_clip = r.get_double("grad_clip", t.grad_clip, 0.0);
  t.grad_accum = r.get_int("grad_accum", t.grad_accum, 1, 1 << 20);
  t.drop_last = r.get_bool("drop_last", t.drop_last);

  Reader e = r.sub("early_stopping");
  t.early_stopping.patience = e.get_int("patience", 0, 0);
  t.early_stopping.metric = e.get_string("metric", t.early_stopping.metric);
  check_monitored(e, "metric", t.early_stopping.metric, t.metrics);
  bool es_loss = t.early_stopping.metric.find("loss") != std::string::npos;
  t.early_stopping.mode = e.get_enum("mode", mode_catalog(), es_loss ? Mode::Min : Mode::Max);
  t.early_stopping.min_delta = e.get_double("min_delta", 0.0, 0.0);
  e.finish();

  Reader c = r.sub("checkpoint");
  t.checkpoint.every = c.get_int("every", t.checkpoint.every, 0);
  t.checkpoint.keep = c.get_int("keep", t.checkpoint.keep, 1);
  t.checkpoint.best_metric = c.get_string("best_metric", t.checkpoint.best_metric);
  check_monitored(c, "best_metric", t.checkpoint.best_metric, t.metrics);
  bool best_loss = t.checkpoint.best_metric.find("loss") != std::string::npos;
  t.checkpoint.best_mode =
      c.get_enum("best_mode", mode_catalog(), best_loss ? Mode::Min : Mode::Max);
  c.finish();

  t.test = r.get_bool("test", t.test);
  t.test_every = r.get_int("test_every", t.test_every, 0);
  t.log_every = r.get_int("log_every", t.log_every, 1);
  t.max_steps = r.get_int("max_steps", t.max_steps, 0);
  t.precision = r.get_enum("precision", precision_catalog(), t.precision);
  return t;
}

PredictorSpec parse_predictor(Reader& r) {
  PredictorSpec p;
  p.split = r.get_enum("split", split_catalog(), p.split);
  p.batch_size = r.get_int("batch_size", p.batch_size, 1, 1 << 24);
  p.output = r.get_enum("output", predict_output_catalog(), p.output);
  return p;
}

SaverSpec parse_saver(Reader& r) {
  SaverSpec s;
  s.path = r.require_string("path");
  s.format = r.get_enum("format", save_format_catalog(), s.format);
  return s;
}

CommandSpec parse_command(Reader& r) {
  CommandSpec c;
  // The resolved config (config.yaml, job snapshots) records both keys, the
  // unused one empty: an empty one counts as not given.
  auto given = [&](const std::string& key) {
    const Node* n = r.node().find(key);
    return n && !n->is_null() && !(n->is_scalar() && n->scalar.empty()) &&
           !(n->is_seq() && n->seq.empty());
  };
  if (given("argv") == given("shell")) {
    throw ConfigError(r.mark().str() + ": " + r.what() +
                      ": give exactly one of 'argv' (a list, run without a shell) or 'shell' (one "
                      "line for bash -c)");
  }
  c.argv = r.get_string_list("argv", {});
  c.shell = r.get_string("shell", "");
  c.env = r.get_string_map("env");
  static const std::regex kEnvName("[A-Za-z_][A-Za-z0-9_]*");
  for (const auto& [k, v] : c.env) {
    if (!std::regex_match(k, kEnvName)) {  // setenv() would fail or set something else
      const Entry* e = r.node().find("env")->find_entry(k);
      throw ConfigError(e->key_mark.str() + ": " + r.what() + ": 'env' key " +
                        Node::scalar_of(k).describe() +
                        " is not a valid environment variable name (letters, digits and '_', not "
                        "starting with a digit)");
    }
  }
  c.cwd = r.get_string("cwd", "");
  c.timeout = r.get_double("timeout", 0.0, 0.0);
  c.check = r.get_bool("check", true);
  return c;
}

}  // namespace itwin::config
