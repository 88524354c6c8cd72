// Top level of a pipeline file: vars, run, distributed, loggers, pipelines and their steps.
#include "itwin/config/pipeline.hpp"

#include <algorithm>
#include <filesystem>

#include "itwin/config/checks.hpp"
#include "itwin/config/load.hpp"
#include "itwin/config/slurm_spec.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "parse_hpo.hpp"
#include "parse_steps.hpp"

namespace itwin::config {
namespace {

RunSpec parse_run(Reader& r, const std::string& default_name) {
  RunSpec s;
  s.name = r.get_string("name", default_name);
  // The run directory is <root>/<name>: a name like '..' would put it elsewhere.
  std::string bad = path_component_problem(s.name);
  if (!bad.empty())
    r.fail("name",
           "must be one path component (" + bad + "), got " + Node::scalar_of(s.name).describe());
  s.root = r.get_string("root", s.root);
  s.seed = static_cast<uint64_t>(r.get_int("seed", 42, 0));
  s.threads = r.get_int("threads", 0, 0, 4096);
  s.resume = r.get_enum("resume", resume_catalog(), s.resume);
  s.deterministic = r.get_bool("deterministic", false);
  s.device = r.get_enum("device", device_catalog(), s.device);
  r.finish();
  return s;
}

DistributedSpec parse_distributed(Reader& r) {
  DistributedSpec d;
  d.backend = r.get_enum("backend", backend_catalog(), d.backend);
  d.strategy = r.get_enum("strategy", strategy_catalog(), d.strategy);
  d.bucket_mb = r.get_double("bucket_mb", d.bucket_mb, 0.001, 65536);
  d.compression = r.get_enum("compression", compression_catalog(), d.compression);
  d.rendezvous = r.get_string("rendezvous", "");
  if (!d.rendezvous.empty() && d.rendezvous.rfind("file:", 0) != 0 &&
      d.rendezvous.rfind("tcp:", 0) != 0) {
    r.fail("rendezvous", "must be file:PATH or tcp:HOST:PORT, got '" + d.rendezvous + "'");
  }
  d.timeout = r.get_double("timeout", d.timeout, 1.0, 86400.0);
  r.finish();
  return d;
}

std::vector<LoggerSpec> parse_loggers(const Node* n) {
  std::vector<LoggerSpec> out;
  if (!n) {
    return {LoggerSpec{}};  // one jsonl logger
  }
  if (!n->is_seq())
    throw ConfigError(
        n->mark.str() +
        ": 'loggers' must be a list of loggers, e.g. [{type: jsonl}, {type: mlflow}]");
  for (size_t i = 0; i < n->seq.size(); ++i) {
    const Node& item = n->seq[i];
    Node as_map = item.is_scalar() ? Node(Node::Kind::Map, item.mark) : item;
    if (item.is_scalar()) as_map.set("type", item, item.mark);
    Reader r(as_map, "loggers item " + std::to_string(i + 1), nullptr);
    LoggerSpec l;
    l.type = r.get_enum("type", logger_catalog());
    const Node* every = as_map.find("log_every");
    if (every && every->is_scalar() && every->scalar == "epoch") {
      r.raw("log_every");
    } else {
      l.log_every = r.get_int("log_every", 0, 0);
    }
    const Node* ranks = as_map.find("ranks");
    if (ranks && ranks->is_scalar() && ranks->scalar == "all") {
      r.raw("ranks");
      l.ranks.clear();
    } else {
      auto v = r.get_int_list("ranks", {0}, 0, 1 << 20);
      l.ranks.assign(v.begin(), v.end());
    }
    l.dir = r.get_string("dir", "");
    if (l.type == LoggerKind::Mlflow) {
      l.experiment = r.get_string("experiment", "");
      // Stores put it in metadata files and tables (MLflow allows '/' in it).
      if (!forbidden_char(l.experiment, true).empty()) {
        r.fail("experiment", "must be a single-line name without control characters");
      }
      l.tracking_uri = r.get_string("tracking_uri", "");
      l.parent_run_id = r.get_string("parent_run_id", "");
    }
    r.finish();
    out.push_back(l);
  }
  return out;
}

void flatten_node(const Node& n, const std::string& prefix,
                  std::map<std::string, std::string>& out) {
  if (n.is_map()) {
    for (const auto& e : n.map)
      flatten_node(*e.value, prefix.empty() ? e.key : prefix + "." + e.key, out);
  } else if (n.is_seq()) {
    std::string joined;
    bool scalars = true;
    for (const auto& c : n.seq) scalars = scalars && c.is_scalar();
    if (scalars) {
      for (const auto& c : n.seq)
        joined += (joined.empty() ? "" : ",") + (c.is_secret() ? "***" : c.scalar);
      out[prefix] = joined;
    } else {
      for (size_t i = 0; i < n.seq.size(); ++i)
        flatten_node(n.seq[i], prefix + "." + std::to_string(i), out);
    }
  } else {
    out[prefix] = n.is_secret() ? "***" : n.scalar;  // a secret is never a parameter
  }
}

Step parse_step(const Node& n, const std::string& pipeline, size_t index, Node* out) {
  std::string where = "pipeline '" + pipeline + "' step " + std::to_string(index + 1);
  if (!n.is_map())
    throw ConfigError(n.mark.str() + ": " + where +
                      ": expected a map with 'name' and 'type', got " + n.describe());
  Reader r(n, where, out);
  Step s;
  s.mark = n.mark;
  const Node* type_node = n.find("type");
  std::string type_hint = type_node && type_node->is_scalar() ? type_node->scalar : "";
  s.name = r.get_string("name", type_hint);
  const auto& types = step_catalog();
  std::string type = r.get_string("type", "");
  if (type.empty()) {
    throw ConfigError(n.mark.str() + ": " + where + ": missing required key 'type' (one of " +
                      join(types.names(), ", ") + ")");
  }
  auto kind = types.find(type);
  if (!kind) {
    r.fail("type", "names an unknown step type '" + type + "'" + did_you_mean(type, types.names()) +
                       "; known types: " + join(types.names(), ", "));
  }
  s.kind = *kind;
  if (s.name.empty() || s.name.find_first_of(" ,./") != std::string::npos ||
      !path_component_problem(s.name).empty()) {
    r.fail("name",
           "must be a non-empty name without spaces, commas, dots, slashes or control characters");
  }
  Reader body(n, "step '" + s.name + "' (type " + s.type() + ")", out);
  body.get_string("name", s.name);
  body.get_string("type", "");
  s.spec = parse_step_spec(s.kind, body);
  body.finish();
  return s;
}

Pipeline parse_pipeline(const std::string& name, const Node& n, Node* out) {
  Reader r(n, "pipeline '" + name + "'", out);
  Pipeline p;
  p.name = name;
  p.mark = n.mark;
  p.description = r.get_string("description", "");
  const Node* steps = r.raw("steps");
  if (!steps || !steps->is_seq() || steps->seq.empty()) {
    throw ConfigError((steps ? steps->mark : n.mark).str() + ": pipeline '" + name +
                      "': 'steps' must be a non-empty list of steps");
  }
  Node* steps_out = out ? out->find("steps") : nullptr;
  if (steps_out) *steps_out = Node(Node::Kind::Seq, steps->mark);
  for (size_t i = 0; i < steps->seq.size(); ++i) {
    Node* step_out = nullptr;
    if (steps_out) {
      steps_out->seq.emplace_back(Node::Kind::Map);
      step_out = &steps_out->seq.back();
    }
    Step s = parse_step(steps->seq[i], name, i, step_out);
    for (const auto& prev : p.steps) {
      if (prev.name == s.name) {
        throw ConfigError(s.mark.str() + ": pipeline '" + name + "': duplicate step name '" +
                          s.name + "' (first used at " + prev.mark.str() + ")");
      }
    }
    p.steps.push_back(std::move(s));
  }
  r.finish();
  check_step_graph(p);
  return p;
}

Config parse_root(Node root, const std::string& source, const LoadOptions& opts) {
  for (size_t i = 0; i < opts.overrides.size(); ++i)
    apply_override(root, opts.overrides[i], static_cast<int>(i + 1));
  interpolate(root);

  Config cfg;
  cfg.source = source;
  cfg.resolved = Node(Node::Kind::Map, root.mark);
  Reader top(root, "the pipeline file", &cfg.resolved);
  top.get_int("version", 1, 1, 1);
  if (const Node* vars = top.raw("vars")) {
    if (!vars->is_map())
      throw ConfigError(vars->mark.str() + ": 'vars' must be a map of names to values");
  }
  cfg.plugins = parse_plugins(top);  // before the pipelines: their steps may name what plugins add
  std::string stem = std::filesystem::path(source).stem().string();
  if (stem.empty() || stem == "pipeline")
    stem = std::filesystem::path(source).parent_path().filename().string();
  if (stem.empty()) stem = "run";
  Reader run = top.sub("run");
  cfg.run = parse_run(run, stem);
  Reader dist = top.sub("distributed");
  cfg.distributed = parse_distributed(dist);
  Reader sl = top.sub("slurm");
  std::string profile = sl.get_string("profile", "generic");
  try {
    cfg.slurm_profile = load_profile(profile);
  } catch (const ConfigError& e) {
    throw ConfigError(sl.mark_of("profile").str() + ": " + e.what());
  }
  cfg.slurm = cfg.slurm_profile.defaults;
  read_settings(sl, cfg.slurm);
  sl.finish();
  Reader mon = top.sub("monitor");
  cfg.monitor = parse_monitor(mon, cfg.slurm_profile.carbon_intensity);
  cfg.loggers = parse_loggers(top.raw("loggers"));
  const Node* pipes = top.raw("pipelines");
  if (!pipes || !pipes->is_map() || pipes->map.empty()) {
    throw ConfigError(
        (pipes ? pipes->mark : root.mark).str() +
        ": 'pipelines' must be a map of named pipelines (e.g. training:, inference:)");
  }
  Node* pipes_out = cfg.resolved.find("pipelines");
  *pipes_out = Node(Node::Kind::Map, pipes->mark);
  for (const auto& e : pipes->map) {
    // The name is part of the run directory (<root>/<run.name>-<pipeline>).
    std::string bad = path_component_problem(e.key);
    if (!bad.empty()) {
      throw ConfigError(e.key_mark.str() + ": pipeline name " + Node::scalar_of(e.key).describe() +
                        " must be one path component (" + bad + ")");
    }
    Node& out = pipes_out->set(e.key, Node(Node::Kind::Map, e.value->mark), e.key_mark);
    cfg.pipelines.push_back(parse_pipeline(e.key, *e.value, &out));
  }
  cfg.hpo = parse_hpo(top, cfg);
  top.finish();
  return cfg;
}

}  // namespace

std::map<std::string, std::string> flat_params(const Config& cfg, const Pipeline& p) {
  std::map<std::string, std::string> out;
  for (const char* section : {"run", "distributed"}) {
    if (const Node* n = cfg.resolved.find(section)) flatten_node(*n, section, out);
  }
  const Node* pipes = cfg.resolved.find("pipelines");
  const Node* steps = pipes && pipes->find(p.name) ? pipes->find(p.name)->find("steps") : nullptr;
  if (steps) {
    for (const auto& s : steps->seq) {
      const Node* name = s.find("name");
      std::string prefix = name ? name->scalar : "step";
      for (const auto& e : s.map) {
        if (e.key != "name") flatten_node(*e.value, prefix + "." + e.key, out);
      }
    }
  }
  return out;
}

const Pipeline* Config::find(const std::string& name) const {
  for (const auto& p : pipelines)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> Config::pipeline_names() const {
  std::vector<std::string> v;
  for (const auto& p : pipelines) v.push_back(p.name);
  return v;
}

Config load_config(const std::string& path, const LoadOptions& opts) {
  return parse_root(load_file(path), path, opts);
}

Config load_config_text(const std::string& text, const std::string& name, const LoadOptions& opts,
                        const std::string& base_dir) {
  return parse_root(load_string(text, name, base_dir), name, opts);
}

Pipeline select_pipeline(const Config& cfg, const std::string& name,
                         const std::vector<std::string>& steps) {
  const Pipeline* p = nullptr;
  auto names = cfg.pipeline_names();
  if (name.empty()) {
    if (cfg.pipelines.size() != 1) {
      throw UsageError(cfg.source + ": has several pipelines (" + join(names, ", ") +
                       "); choose one with --pipeline");
    }
    p = &cfg.pipelines.front();
  } else {
    p = cfg.find(name);
    if (!p) {
      throw UsageError(cfg.source + ": no pipeline named '" + name + "'" +
                       did_you_mean(name, names) + "; it has: " + join(names, ", "));
    }
  }
  if (steps.empty()) return *p;
  std::vector<std::string> have;
  for (const auto& s : p->steps) have.push_back(s.name);
  for (const auto& want : steps) {
    if (std::find(have.begin(), have.end(), want) == have.end()) {
      throw UsageError(cfg.source + ": pipeline '" + p->name + "' has no step '" + want + "'" +
                       did_you_mean(want, have) + "; its steps: " + join(have, ", "));
    }
  }
  Pipeline cut = *p;
  cut.steps.clear();
  for (const auto& s : p->steps) {
    if (std::find(steps.begin(), steps.end(), s.name) != steps.end()) cut.steps.push_back(s);
  }
  check_step_graph(cut, "--steps " + join(steps, ","));
  return cut;
}

}  // namespace itwin::config
