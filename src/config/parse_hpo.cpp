// The `hpo:` section: study settings, the search space, sampler, scheduler.
#include "parse_hpo.hpp"

#include <algorithm>
#include <cmath>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::config {
namespace {

bool is_listed(ParamType t) { return t == ParamType::Choice || t == ParamType::Grid; }

bool plain_safe(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  return s.find_first_of(",[]{}:#&*!|>'\"%@`\n") == std::string::npos;
}

// A value as YAML flow text, exactly what `--set KEY=VALUE` parses back.
std::string flow_text(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null:
      return "null";
    case Node::Kind::Scalar:
      return !n.quoted && plain_safe(n.scalar) ? n.scalar : yaml_quote(n.scalar);
    case Node::Kind::Seq: {
      std::vector<std::string> items;
      for (const auto& c : n.seq) items.push_back(flow_text(c));
      return "[" + join(items, ", ") + "]";
    }
    case Node::Kind::Map: {
      std::vector<std::string> items;
      for (const auto& e : n.map) {
        items.push_back((plain_safe(e.key) ? e.key : yaml_quote(e.key)) + ": " +
                        flow_text(*e.value));
      }
      return "{" + join(items, ", ") + "}";
    }
  }
  return "null";
}

bool is_int(double v) { return std::floor(v) == v && std::fabs(v) < 9e15; }

void read_range(Reader& r, HpoParam& p) {
  const std::string type = hpo_param_catalog().name(p.type);
  p.low = r.get_double("low", 0);
  p.high = r.get_double("high", 0);
  if (!r.has("low") || !r.has("high")) {
    throw ConfigError(r.mark().str() + ": " + r.what() + ": type " + type +
                      " needs 'low' and 'high'");
  }
  const bool integer =
      p.type == ParamType::Int || p.type == ParamType::QInt || p.type == ParamType::LogInt;
  if (integer && !is_int(p.low)) r.fail("low", "must be an integer for type " + type);
  if (integer && !is_int(p.high)) r.fail("high", "must be an integer for type " + type);
  if (p.low == p.high) r.fail("high", "equals 'low': the range is empty");
  if (p.low > p.high) r.fail("high", "is below 'low': the range is reversed");
  if ((p.type == ParamType::LogUniform || p.type == ParamType::LogInt) && p.low <= 0) {
    r.fail("low", "must be > 0 for a log scale, got " + format_double(p.low));
  }
  if (p.type == ParamType::QUniform || p.type == ParamType::QInt) {
    p.step = r.get_double("step", p.type == ParamType::QInt ? 1 : 0);
    if (!r.has("step")) {
      throw ConfigError(r.mark().str() + ": " + r.what() + ": type " + type + " needs 'step'");
    }
    if (p.step <= 0) r.fail("step", "must be > 0");
    if (p.type == ParamType::QInt && !is_int(p.step))
      r.fail("step", "must be an integer for type qint");
    if (p.step > p.high - p.low) r.fail("step", "is larger than the range high - low");
  }
}

void read_values(Reader& r, HpoParam& p) {
  const Node* v = r.raw("values");
  if (!v) {
    throw ConfigError(r.mark().str() + ": " + r.what() + ": type " +
                      hpo_param_catalog().name(p.type) + " needs 'values' (a list)");
  }
  if (!v->is_seq() || v->seq.empty()) r.fail("values", "must be a non-empty list");
  for (const auto& c : v->seq) {
    std::string t = flow_text(c);
    if (std::find(p.values.begin(), p.values.end(), t) != p.values.end()) {
      throw ConfigError(c.mark.str() + ": " + r.what() + ": value " + t + " is listed twice");
    }
    p.values.push_back(t);
  }
}

// `when: {KEY: VALUE}` or `when: {KEY: [V1, V2]}`: KEY an earlier choice/grid.
void read_when(Reader& r, HpoParam& p, const std::vector<HpoParam>& earlier) {
  const Node* w = r.raw("when");
  if (!w) return;
  if (!w->is_map() || w->map.size() != 1) {
    r.fail("when", "must be a map of one earlier choice parameter to its value(s), e.g. {" +
                       std::string("pipelines.training.steps.train.optimizer.name: sgd}"));
  }
  const Entry& e = w->map.front();
  auto it = std::find_if(earlier.begin(), earlier.end(),
                         [&](const HpoParam& q) { return q.key == e.key; });
  if (it == earlier.end() || !is_listed(it->type)) {
    std::vector<std::string> names;
    for (const auto& q : earlier)
      if (is_listed(q.type)) names.push_back(q.key);
    throw ConfigError(e.key_mark.str() + ": " + r.what() +
                      ": 'when' must name a choice or grid parameter listed before it" +
                      did_you_mean(e.key, names) +
                      (names.empty() ? "" : "; candidates: " + join(names, ", ")));
  }
  std::vector<const Node*> wanted;
  std::string whole = flow_text(*e.value);
  if (std::find(it->values.begin(), it->values.end(), whole) != it->values.end() ||
      !e.value->is_seq()) {
    wanted.push_back(e.value.get());
  } else {
    for (const auto& c : e.value->seq) wanted.push_back(&c);
  }
  for (const Node* n : wanted) {
    std::string t = flow_text(*n);
    auto v = std::find(it->values.begin(), it->values.end(), t);
    if (v == it->values.end()) {
      throw ConfigError(n->mark.str() + ": " + r.what() + ": 'when' value " + t +
                        " is not one of " + e.key + "'s values (" + join(it->values, ", ") + ")");
    }
    p.when_values.push_back(static_cast<size_t>(v - it->values.begin()));
  }
  p.when_key = e.key;
  if (it->when_key.size()) {
    throw ConfigError(e.key_mark.str() + ": " + r.what() +
                      ": 'when' may only name an unconditional parameter ('" + e.key +
                      "' has its own 'when')");
  }
}

HpoParam read_param(const Entry& e, const std::vector<HpoParam>& earlier) {
  HpoParam p;
  p.key = e.key;
  p.where = e.key_mark.str();
  std::string what = "hpo.space '" + e.key + "'";
  if (!e.value->is_map()) {
    throw ConfigError(e.value->mark.str() + ": " + what +
                      ": expected a map like {type: loguniform, low: 1e-4, high: 0.1}, got " +
                      e.value->describe());
  }
  for (const auto& seg : split(e.key, '.')) {
    if (seg.empty()) throw ConfigError(p.where + ": " + what + ": empty segment in the key path");
  }
  for (const auto& q : earlier) {
    if (starts_with(p.key, q.key + ".") || starts_with(q.key, p.key + ".")) {
      throw ConfigError(p.where + ": " + what + ": overlaps '" + q.key +
                        "' (one path contains the other)");
    }
  }
  Reader r(*e.value, what, nullptr);
  p.type = r.get_enum("type", hpo_param_catalog());
  if (is_listed(p.type)) {
    read_values(r, p);
  } else {
    read_range(r, p);
  }
  read_when(r, p, earlier);
  r.finish();
  return p;
}

void read_sampler(Reader& top, HpoSpec& h) {
  Reader s = top.sub_or_name("sampler");
  auto& sp = h.sampler;
  sp.kind = s.get_enum("name", hpo_sampler_catalog(), sp.kind);
  if (sp.kind == SamplerKind::Tpe) {
    sp.n_startup_trials = s.get_int("n_startup_trials", sp.n_startup_trials, 0, 1000000);
    sp.n_ei_candidates = s.get_int("n_ei_candidates", sp.n_ei_candidates, 1, 100000);
    sp.prior_weight = s.get_double("prior_weight", sp.prior_weight, 1e-9, 1e9);
  }
  s.finish();
  for (const auto& p : h.space) {
    const bool grid = p.type == ParamType::Grid;
    if (sp.kind == SamplerKind::Grid && !grid) {
      throw ConfigError(p.where + ": hpo.space '" + p.key +
                        "': the grid sampler enumerates grid parameters only; this one is " +
                        hpo_param_catalog().name(p.type) +
                        " (use sampler random or tpe, or make it {type: grid, values: [...]})");
    }
    if (sp.kind == SamplerKind::Tpe && grid) {
      throw ConfigError(p.where + ": hpo.space '" + p.key +
                        "': the tpe sampler cannot use a grid parameter " +
                        "(use type choice, or sampler grid or random)");
    }
  }
}

void read_scheduler(Reader& top, HpoSpec& h, int64_t epochs) {
  Reader s = top.sub_or_name("scheduler");
  auto& sc = h.scheduler;
  sc.kind = s.get_enum("name", hpo_scheduler_catalog(), sc.kind);
  sc.max_t = s.get_int("max_t", 0, 0, 1000000);
  if (sc.max_t > epochs)
    s.fail("max_t", "is more than the trainer's " + std::to_string(epochs) + " epochs");
  if (sc.max_t == 0) sc.max_t = epochs;
  bool rungs = false, grace = false;  // which keys this scheduler reads
  switch (sc.kind) {
    case TrialSchedulerKind::Fifo:
      break;
    case TrialSchedulerKind::Asha:
    case TrialSchedulerKind::Hyperband:
      rungs = grace = true;
      break;
    case TrialSchedulerKind::Median:
      grace = true;
      break;
  }
  if (grace) {
    sc.grace_period = s.get_int("grace_period", sc.grace_period, 1, 1000000);
    if (sc.grace_period > sc.max_t)
      s.fail("grace_period", "is more than max_t (" + std::to_string(sc.max_t) + " epochs)");
  }
  if (rungs) {
    const bool asha = sc.kind == TrialSchedulerKind::Asha;
    sc.reduction_factor = s.get_int("reduction_factor", asha ? 4 : 3, 2, 1000);
    if (asha) sc.brackets = s.get_int("brackets", sc.brackets, 1, 100);
  }
  if (sc.kind == TrialSchedulerKind::Median)
    sc.min_trials = s.get_int("min_trials", sc.min_trials, 1, 1000000);
  s.finish();
}

// The step a study tunes: a trainer or a gan_trainer (both report per epoch
// and pause at --until-epoch, which ASHA's rungs need).
const Step* trainer_step(const Pipeline& p) {
  for (const auto& s : p.steps)
    if (s.kind == StepKind::Trainer || s.kind == StepKind::GanTrainer) return &s;
  return nullptr;
}

int64_t trainer_epochs(const Step& t) {
  if (const auto* g = std::get_if<GanTrainerSpec>(&t.spec)) return g->epochs;
  return std::get<TrainerSpec>(t.spec).epochs;
}

// What a gan_trainer reports every epoch (src/train/gan_epoch.cpp): its
// losses, and the physics distances on the validation split.
std::vector<std::string> gan_epoch_metrics(const GanTrainerSpec& g, bool validation) {
  std::vector<std::string> out = {"train_d_loss", "train_d_real", "train_d_fake", "train_g_loss"};
  if (g.gradient_penalty > 0) out.push_back("train_gp");
  if (g.aux_weight > 0) {
    out.push_back("train_aux");
    out.push_back("train_g_aux");
  }
  if (g.energy_weight > 0) out.push_back("train_energy");
  if (validation) {
    for (const char* m : {"esum_dist", "hits_dist", "long_dist", "trans_dist", "phys_dist"})
      out.push_back(std::string("val_") + m);
  }
  for (const char* m : {"lr_g", "lr_d", "epoch_time_s", "samples_per_s"}) out.push_back(m);
  return out;
}

}  // namespace

std::vector<std::string> epoch_metrics(const Pipeline& p) {
  const Step* t = trainer_step(p);
  if (!t) return {};
  const DatasetSpec* data = nullptr;
  for (const auto& s : p.steps) {
    if (&s == t) break;
    if (const auto* d = std::get_if<DatasetSpec>(&s.spec)) data = d;
  }
  if (const auto* g = std::get_if<GanTrainerSpec>(&t->spec))
    return gan_epoch_metrics(*g, !data || data->split.validation > 0);
  const auto& spec = std::get<TrainerSpec>(t->spec);
  std::vector<std::string> prefixes = {"train_"};
  if (!data || data->split.validation > 0) prefixes.push_back("val_");
  // idx data's test set is its t10k files, not a split.
  if (spec.test_every > 0 && (!data || data->split.test > 0 || data->format == DataFormat::Idx))
    prefixes.push_back("test_");
  std::vector<std::string> out;
  for (const auto& pre : prefixes) {
    out.push_back(pre + "loss");
    for (const auto& m : spec.metrics) out.push_back(pre + m.name());
  }
  for (const char* m : {"lr", "epoch_time_s", "samples_per_s"}) out.push_back(m);
  return out;
}

HpoSpec parse_hpo(Reader& top, const Config& cfg) {
  HpoSpec h;
  if (!top.has("hpo")) return h;
  h.present = true;
  Reader r = top.sub("hpo");
  h.where = r.mark().str();
  auto names = cfg.pipeline_names();
  std::string def = cfg.find("training") || names.size() != 1 ? "training" : names.front();
  h.pipeline = r.get_string("pipeline", def);
  h.pipeline_where = r.mark_of("pipeline").str();
  const Pipeline* p = cfg.find(h.pipeline);
  if (!p)
    r.fail("pipeline", "names no pipeline of this file ('" + h.pipeline + "')" +
                           did_you_mean(h.pipeline, names) + "; it has: " + join(names, ", "));
  const Step* t = trainer_step(*p);
  if (!t)
    r.fail("pipeline",
           "names pipeline '" + h.pipeline + "', which has no trainer or gan_trainer step to tune");
  const int64_t epochs = trainer_epochs(*t);

  h.metric = r.get_string("metric", h.metric);
  h.metric_where = r.mark_of("metric").str();
  auto produced = epoch_metrics(*p);
  if (std::find(produced.begin(), produced.end(), h.metric) == produced.end()) {
    r.fail("metric", "names '" + h.metric + "', which pipeline '" + h.pipeline +
                         "' never reports per epoch" + did_you_mean(h.metric, produced) +
                         "; it reports: " + join(produced, ", "));
  }
  bool jsonl = false;  // the study reads every trial's RUN_DIR/metrics.jsonl
  for (const auto& l : cfg.loggers) {
    bool rank0 = l.ranks.empty() || std::find(l.ranks.begin(), l.ranks.end(), 0) != l.ranks.end();
    jsonl = jsonl || (l.type == LoggerKind::Jsonl && l.dir.empty() && rank0);
  }
  if (!jsonl) {
    throw ConfigError(
        h.where +
        ": hpo: a study reads each trial's metrics.jsonl, but 'loggers' has no jsonl logger " +
        "writing into the run directory on rank 0; add {type: jsonl} to loggers");
  }
  h.mode = r.get_enum("mode", mode_catalog(), h.mode);
  h.score = r.get_enum("score", hpo_score_catalog(), h.score);
  if (h.score == ScoreKind::Mean)
    h.score_window = r.get_int("score_window", h.score_window, 1, 1000000);
  else if (r.has("score_window"))
    r.fail("score_window", "is used only with score: mean");
  h.concurrency = r.get_int("concurrency", 0, 0, 100000);
  h.ranks_per_trial = r.get_int("ranks_per_trial", 1, 1, 100000);
  h.ranks_where = r.mark_of("ranks_per_trial").str();
  const std::string isolation = r.get_string("isolation", "fork");
  if (isolation != "fork" && isolation != "exec")
    r.fail("isolation", "must be fork or exec, not '" + isolation + "'");
  h.fork_trials = isolation == "fork";
  h.time_budget = r.get_double("time_budget", 0, 0, 1e9);
  h.seed = static_cast<uint64_t>(r.get_int("seed", static_cast<int64_t>(cfg.run.seed), 0));
  h.dir = r.get_string("dir", cfg.run.root + "/" + cfg.run.name + "-hpo");
  if (h.dir.empty()) r.fail("dir", "must not be empty");

  const Node* space = r.raw("space");
  if (!space || !space->is_map() || space->map.empty()) {
    throw ConfigError(
        (space ? space->mark.str() : h.where) +
        ": hpo: 'space' must be a map of config key paths to parameters, e.g. "
        "{pipelines.training.steps.train.optimizer.lr: {type: loguniform, low: 1e-4, high: 0.1}}");
  }
  for (const auto& e : space->map) h.space.push_back(read_param(e, h.space));
  read_sampler(r, h);
  read_scheduler(r, h, epochs);

  // grid: 0 = every point of the grid (the study counts them, conditions applied).
  h.trials = r.get_int("trials", h.sampler.kind == SamplerKind::Grid ? 0 : 10,
                       h.sampler.kind == SamplerKind::Grid ? 0 : 1, 1000000);
  h.trials_where = r.mark_of("trials").str();
  r.finish();
  return h;
}

}  // namespace itwin::config
