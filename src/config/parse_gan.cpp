// `type: gan_trainer` and `type: generate` steps.
#include <algorithm>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "parse_steps.hpp"

namespace itwin::config {
namespace {

// What a gan_trainer logs every epoch that best_metric and early stopping may watch.
const std::vector<std::string>& gan_monitored() {
  static const std::vector<std::string> names = {"val_phys_dist",  "val_esum_dist", "val_long_dist",
                                                 "val_trans_dist", "val_hits_dist", "train_d_loss",
                                                 "train_g_loss"};
  return names;
}

void check_gan_monitored(Reader& r, const std::string& key, const std::string& name) {
  const auto& allowed = gan_monitored();
  if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
    r.fail(key, "must be one of " + join(allowed, ", ") + "; got '" + name + "'" +
                    did_you_mean(name, allowed));
  }
}

// `generator:` / `discriminator:`: the model step's name, or a map with the
// name and the network's own optimizer and schedule.
GanNetSpec parse_net(Reader& r, const std::string& key, const std::string& role) {
  if (!r.has(key)) {
    throw ConfigError(r.mark().str() + ": " + r.what() + ": missing required key '" + key +
                      "': the model step of the " + role +
                      " (a gan_trainer trains a generator and a discriminator), e.g. " + key +
                      ": " + key);
  }
  GanNetSpec n;
  Reader s = r.sub_or_name(key);
  n.step = s.require_string("name");
  n.optimizer.betas = {0.5, 0.999};  // the usual GAN momentum (Radford et al.)
  n.optimizer.lr = 2e-4;
  parse_optimizer(s, n.optimizer);
  parse_schedule(s, n.scheduler);
  s.finish();
  return n;
}

std::vector<double> parse_scale(Reader& r) {
  auto v = r.get_double_list("condition_scale", {});
  for (double x : v) {
    if (x == 0)
      r.fail("condition_scale", "values must not be 0 (the networks see conditions / scale)");
  }
  return v;
}

}  // namespace

GanTrainerSpec parse_gan_trainer(Reader& r) {
  GanTrainerSpec t;
  t.generator = parse_net(r, "generator", "generator");
  t.discriminator = parse_net(r, "discriminator", "discriminator");
  if (t.generator.step == t.discriminator.step) {
    r.fail("discriminator", "names the same model step as 'generator' ('" + t.generator.step +
                                "'): they are two networks");
  }
  t.epochs = r.get_int("epochs", t.epochs, 1, 1000000);
  t.batch_size = r.get_int("batch_size", t.batch_size, 1, 1 << 24);
  t.critic_steps = r.get_int("critic_steps", t.critic_steps, 1, 1000);

  Reader l = r.sub_or_name("loss");
  t.loss = l.get_enum("name", gan_loss_catalog(), t.loss);
  t.gradient_penalty =
      l.get_double("gradient_penalty", t.loss == GanLoss::Wasserstein ? 10.0 : 0.0, 0.0, 1e6);
  l.finish();

  t.aux_weight = r.get_double("aux_weight", t.aux_weight, 0.0, 1e6);
  t.energy_weight = r.get_double("energy_weight", t.energy_weight, 0.0, 1e6);
  t.energy_column = r.get_int("energy_column", t.energy_column, 0, 1 << 20);
  t.condition_scale = parse_scale(r);

  Reader p = r.sub("physics");
  t.physics.samples = p.get_int("samples", t.physics.samples, 0, 1 << 30);
  t.physics.bins = p.get_int("bins", t.physics.bins, 2, 100000);
  t.physics.hit_threshold = p.get_double("hit_threshold", t.physics.hit_threshold, 0.0);
  p.finish();

  t.grad_clip = r.get_double("grad_clip", t.grad_clip, 0.0);
  t.drop_last = r.get_bool("drop_last", t.drop_last);

  Reader e = r.sub("early_stopping");
  t.early_stopping.patience = e.get_int("patience", 0, 0);
  t.early_stopping.metric = e.get_string("metric", "val_phys_dist");
  check_gan_monitored(e, "metric", t.early_stopping.metric);
  t.early_stopping.mode = e.get_enum("mode", mode_catalog(), Mode::Min);
  t.early_stopping.min_delta = e.get_double("min_delta", 0.0, 0.0);
  e.finish();

  Reader c = r.sub("checkpoint");
  t.checkpoint.every = c.get_int("every", t.checkpoint.every, 0);
  t.checkpoint.keep = c.get_int("keep", t.checkpoint.keep, 1);
  t.checkpoint.best_metric = c.get_string("best_metric", "val_phys_dist");
  check_gan_monitored(c, "best_metric", t.checkpoint.best_metric);
  t.checkpoint.best_mode = c.get_enum("best_mode", mode_catalog(), Mode::Min);
  c.finish();

  t.test = r.get_bool("test", t.test);
  t.log_every = r.get_int("log_every", t.log_every, 1);
  t.max_steps = r.get_int("max_steps", t.max_steps, 0);
  t.precision = r.get_enum("precision", precision_catalog(), t.precision);
  return t;
}

// `conditions: {energy: [10, 50], theta: 1.57}`: names in order, each a number or a list.
GenerateSpec parse_generate(Reader& r) {
  GenerateSpec g;
  g.model = r.require_string("model");
  if (const Node* n = r.raw("conditions")) {
    if (!n->is_map() || n->map.empty()) {
      throw ConfigError(
          n->mark.str() + ": " + r.what() +
          ": 'conditions' must map each condition to its values, e.g. {energy: [10, 50, 100]}");
    }
    Reader values(*n, r.what() + ".conditions", nullptr);  // raw() recorded the resolved form
    for (const auto& key : n->keys()) {
      auto v = values.get_double_list(key, {});
      if (v.empty()) values.fail(key, "has no values");
      g.conditions.emplace_back(key, v);
    }
  }
  g.count = r.get_int("count", g.count, 1, int64_t{1} << 31);
  g.condition_scale = parse_scale(r);
  g.scale = r.get_double("scale", g.scale);
  g.path = r.require_string("path");
  g.x = r.get_string("x", g.x);
  if (g.x.empty()) r.fail("x", "must name the dataset of the samples");
  for (const auto& [name, values] : g.conditions) {
    if (name == g.x) r.fail("x", "names the same dataset as condition '" + name + "'");
  }
  g.batch_size = r.get_int("batch_size", g.batch_size, 1, 1 << 24);
  g.seed = r.get_int("seed", g.seed, -1);
  return g;
}

}  // namespace itwin::config
