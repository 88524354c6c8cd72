#include "itwin/hpo/space.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "itwin/config/reader.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::hpo {

uint64_t Rng::next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

Rng Rng::for_trial(uint64_t seed, int64_t trial, uint64_t stream) {
  Rng mix(seed ^ (stream * 0xd1b54a32d192ed03ULL));
  uint64_t base = mix.next();
  Rng t(base ^ (static_cast<uint64_t>(trial) * 0x9e3779b97f4a7c15ULL));
  t.next();
  return t;
}

using config::ParamType;

bool is_numeric(const config::HpoParam& p) {
  return p.type != ParamType::Choice && p.type != ParamType::Grid;
}
bool is_integer(const config::HpoParam& p) {
  return p.type == ParamType::Int || p.type == ParamType::QInt || p.type == ParamType::LogInt;
}
bool is_log(const config::HpoParam& p) {
  return p.type == ParamType::LogUniform || p.type == ParamType::LogInt;
}

bool is_active(const Space& space, size_t i, const Assignment& a) {
  const auto& p = space[i];
  if (p.when_key.empty()) return true;
  for (size_t j = 0; j < i; ++j) {
    if (space[j].key != p.when_key) continue;
    if (!a[j].active) return false;
    return std::find(p.when_values.begin(), p.when_values.end(), a[j].index) != p.when_values.end();
  }
  return false;
}

namespace {
// Points of a stepped range: low, low+step, ..., the last one <= high.
int64_t steps_in(const config::HpoParam& p) {
  return static_cast<int64_t>(std::floor((p.high - p.low) / p.step + 1e-9));
}
double tidy(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}
}  // namespace

double snap(const config::HpoParam& p, double x) {
  if (!std::isfinite(x)) x = p.low;
  if (p.type == ParamType::QUniform || p.type == ParamType::QInt) {
    double k = std::round((x - p.low) / p.step);
    k = std::clamp(k, 0.0, static_cast<double>(steps_in(p)));
    return tidy(p.low + k * p.step);
  }
  if (is_integer(p)) x = std::round(x);
  return std::clamp(x, p.low, p.high);
}

Value draw(const config::HpoParam& p, Rng& rng) {
  Value v;
  const double u = rng.uniform();
  switch (p.type) {
    case ParamType::Choice:
    case ParamType::Grid:
      v.index = std::min(p.values.size() - 1,
                         static_cast<size_t>(u * static_cast<double>(p.values.size())));
      break;
    case ParamType::Uniform:
      v.number = std::min(p.high, p.low + u * (p.high - p.low));
      break;
    case ParamType::LogUniform:
      v.number = snap(p, std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low))));
      break;
    case ParamType::LogInt: {  // as Optuna: log-uniform over [low-0.5, high+0.5], rounded
      const double lo = std::log(p.low - 0.5), hi = std::log(p.high + 0.5);
      v.number = snap(p, std::exp(lo + u * (hi - lo)));
      break;
    }
    case ParamType::Int:
      v.number = std::min(p.high, p.low + std::floor(u * (p.high - p.low + 1)));
      break;
    case ParamType::QUniform:
    case ParamType::QInt: {  // every step point equally likely
      const double n = static_cast<double>(steps_in(p) + 1);
      v.number = snap(p, p.low + std::min(n - 1, std::floor(u * n)) * p.step);
      break;
    }
  }
  return v;
}

std::string value_text(const config::HpoParam& p, const Value& v) {
  if (!is_numeric(p)) return p.values.at(v.index);
  if (is_integer(p)) return std::to_string(static_cast<int64_t>(v.number));
  return config::format_double(v.number);
}

std::string display_text(const config::HpoParam& p, const Value& v) {
  if (!v.active) return "-";
  if (!is_numeric(p) || is_integer(p)) return value_text(p, v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v.number);
  return buf;
}

std::vector<std::string> overrides(const Space& space, const Assignment& a) {
  std::vector<std::string> out;
  for (size_t i = 0; i < space.size(); ++i) {
    if (a[i].active) out.push_back(space[i].key + "=" + value_text(space[i], a[i]));
  }
  return out;
}

std::vector<Assignment> grid_points(const Space& space) {
  std::vector<size_t> grid;
  for (size_t i = 0; i < space.size(); ++i)
    if (space[i].type == ParamType::Grid) grid.push_back(i);
  std::vector<Assignment> out;
  std::set<std::vector<int64_t>> seen;
  std::vector<size_t> idx(grid.size(), 0);
  for (;;) {
    Assignment a(space.size());
    for (size_t g = 0; g < grid.size(); ++g) a[grid[g]].index = idx[g];
    for (size_t i = 0; i < space.size(); ++i) {
      a[i].active = is_active(space, i, a);
      if (!a[i].active) a[i].index = 0;
    }
    std::vector<int64_t> sig;
    for (size_t g : grid) sig.push_back(a[g].active ? static_cast<int64_t>(a[g].index) : -1);
    if (seen.insert(sig).second) out.push_back(a);
    // The last grid parameter varies fastest.
    size_t g = grid.size();
    while (g > 0) {
      --g;
      if (++idx[g] < space[grid[g]].values.size()) break;
      idx[g] = 0;
      if (g == 0) return out;
    }
    if (grid.empty()) return out;
  }
}

nlohmann::json to_json(const Space& space, const Assignment& a) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < space.size(); ++i) {
    if (!a[i].active) {
      j[space[i].key] = nullptr;
    } else if (is_numeric(space[i])) {
      j[space[i].key] = a[i].number;
    } else {
      j[space[i].key] = a[i].index;
    }
  }
  return j;
}

Assignment from_json(const Space& space, const nlohmann::json& j) {
  Assignment a(space.size());
  for (size_t i = 0; i < space.size(); ++i) {
    const auto& p = space[i];
    if (!j.contains(p.key))
      throw RuntimeError("the journal's trial has no value for '" + p.key + "'");
    const auto& v = j.at(p.key);
    if (v.is_null()) {
      a[i].active = false;
    } else if (is_numeric(p) && v.is_number()) {
      a[i].number = v.get<double>();
    } else if (!is_numeric(p) && v.is_number_unsigned() && v.get<size_t>() < p.values.size()) {
      a[i].index = v.get<size_t>();
    } else {
      throw RuntimeError("the journal's value " + v.dump() + " does not fit parameter '" + p.key +
                         "'");
    }
  }
  return a;
}

std::vector<std::string> short_names(const Space& space) {
  std::vector<std::vector<std::string>> segs;
  for (const auto& p : space) segs.push_back(split(p.key, '.'));
  std::vector<size_t> take(space.size(), 1);
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<std::string> names;
    for (size_t i = 0; i < space.size(); ++i) {
      size_t n = std::min(take[i], segs[i].size());
      names.push_back(
          join(std::vector<std::string>(segs[i].end() - static_cast<long>(n), segs[i].end()), "."));
    }
    for (size_t i = 0; i < space.size(); ++i) {
      for (size_t k = 0; k < space.size(); ++k) {
        if (i != k && names[i] == names[k] && take[i] < segs[i].size()) {
          ++take[i];
          changed = true;
        }
      }
    }
    if (!changed) return names;
  }
  return {};
}

}  // namespace itwin::hpo
