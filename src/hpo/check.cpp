#include "itwin/hpo/check.hpp"

#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/reader.hpp"
#include "itwin/hpo/sampler.hpp"
#include "itwin/hpo/space.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace itwin::hpo {
namespace {

// The values worth trying for p: both ends of a range, every listed value.
std::vector<Value> probes(const config::HpoParam& p) {
  std::vector<Value> out;
  if (is_numeric(p)) {
    for (double x : {p.low, p.high}) {
      Value v;
      v.number = snap(p, x);
      out.push_back(v);
    }
  } else {
    for (size_t i = 0; i < p.values.size(); ++i) {
      Value v;
      v.index = i;
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace

void check_space(const config::Config& cfg, const std::string& path,
                 const std::vector<std::string>& sets) {
  const auto& space = cfg.hpo.space;
  const std::string text = config::snapshot_config(path);
  for (size_t i = 0; i < space.size(); ++i) {
    const auto& p = space[i];
    if (!config::vars_path_exists(text, path, p.key)) {
      throw ConfigError(p.where + ": hpo.space '" + p.key +
                        "': the file defines no such variable under vars: " +
                        "(a tuned variable must exist and be used)");
    }
    // Its condition holds while it is tried (momentum is only read for sgd).
    std::vector<std::string> base = sets;
    for (size_t j = 0; j < i; ++j) {
      if (space[j].key != p.when_key) continue;
      Value c;
      c.index = p.when_values.front();
      base.push_back(space[j].key + "=" + value_text(space[j], c));
    }
    for (const Value& v : probes(p)) {
      config::LoadOptions o;
      o.overrides = base;
      o.overrides.push_back(p.key + "=" + value_text(p, v));
      try {
        config::load_config(path, o);
      } catch (const ConfigError& e) {
        throw ConfigError(p.where + ": hpo.space '" + p.key + "': with the value " +
                          value_text(p, v) + " the pipeline does not load: " + e.what());
      }
    }
  }
}

void check_trials(const config::HpoSpec& spec) {
  const int64_t cap = make_sampler(spec)->capacity();
  if (cap >= 0 && spec.trials > cap) {
    throw ConfigError(spec.trials_where + ": hpo: 'trials' is " + std::to_string(spec.trials) +
                      " but the grid has " + std::to_string(cap) +
                      " distinct points (conditions applied); leave 'trials' out to run them all");
  }
}

int plan_concurrency(const config::HpoSpec& spec, int available) {
  const int64_t k = spec.ranks_per_trial;
  if (available > 0 && k > available) {
    throw ConfigError(spec.ranks_where + ": hpo: ranks_per_trial " + std::to_string(k) +
                      " is more than the " + std::to_string(available) +
                      " ranks available to the study (--nproc, or SLURM_NTASKS)");
  }
  int64_t c = spec.concurrency > 0 ? spec.concurrency : available > 0 ? available / k : 1;
  if (available > 0 && c * k > available) {
    throw ConfigError(spec.where + ": hpo: concurrency " + std::to_string(c) +
                      " x ranks_per_trial " + std::to_string(k) + " needs " +
                      std::to_string(c * k) + " ranks, but " + std::to_string(available) +
                      " are available");
  }
  return static_cast<int>(c);
}

}  // namespace itwin::hpo
