#pragma once
/// The search space of a study: one value per `hpo.space` parameter, how a
/// value is drawn, snapped onto its domain, written as a `--set` override
/// and kept in the journal.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"

namespace itwin::hpo {

using Space = std::vector<config::HpoParam>;

/// One parameter's value in a trial.
struct Value {
  bool active = true;  ///< false: a conditional parameter whose condition does not hold
  double number = 0;   ///< numeric types (integers are held exactly)
  size_t index = 0;    ///< choice, grid: index into the parameter's values
  bool operator==(const Value& o) const {
    return active == o.active && number == o.number && index == o.index;
  }
};

/// A trial's parameters, one Value per space parameter, in space order.
using Assignment = std::vector<Value>;

/// A small deterministic generator (splitmix64): the same seed gives the same
/// numbers on every platform, unlike the std distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  double uniform();  ///< in [0, 1)
  /// The generator of trial `trial` of a study seeded `seed`: a trial's draws
  /// do not depend on how many draws earlier trials made.
  static Rng for_trial(uint64_t seed, int64_t trial, uint64_t stream = 0);

 private:
  uint64_t s_;
};

bool is_numeric(const config::HpoParam& p);
bool is_integer(const config::HpoParam& p);
bool is_log(const config::HpoParam& p);

/// Whether parameter `i` is active given the values of the earlier ones.
bool is_active(const Space& space, size_t i, const Assignment& a);

/// `x` moved onto p's domain: quantised to its step, rounded for integer
/// types, clipped to [low, high]; steps give short decimals (0.3, not 0.30000000000000004).
double snap(const config::HpoParam& p, double x);

/// An independent uniform draw (log-uniform for log types) from p's domain.
Value draw(const config::HpoParam& p, Rng& rng);

/// The text `--set KEY=TEXT` takes for a value of p.
std::string value_text(const config::HpoParam& p, const Value& v);

/// The same, short, for tables and messages (4 significant digits).
std::string display_text(const config::HpoParam& p, const Value& v);

/// The `--set` overrides of an assignment (active parameters only).
std::vector<std::string> overrides(const Space& space, const Assignment& a);

/// Every point of the grid spanned by the grid parameters (the others left
/// at their defaults), conditions applied and repeats removed, in order.
std::vector<Assignment> grid_points(const Space& space);

/// Journal form: {"key": number | index | null (inactive)}; and back (throws
/// RuntimeError when the journal does not fit the space).
nlohmann::json to_json(const Space& space, const Assignment& a);
Assignment from_json(const Space& space, const nlohmann::json& j);

/// Short column names for tables: the last segment of each key, more
/// segments where two would read the same.
std::vector<std::string> short_names(const Space& space);

}  // namespace itwin::hpo
