// `type: dataset` with `format: netcdf`: variables, windows, split, the
// sampler and derived variables (names checked against the runtime
// registries, which hold the built-ins and what `plugins:` loaded).
#include <algorithm>
#include <limits>
#include <set>

#include "itwin/plugin/registry.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "parse_steps.hpp"

namespace itwin::config {
namespace {

const char* kPluginHint =
    " (a plugin's components need its library in the file's top-level `plugins:` list)";

// Every option `c` declares, from `r` (the map that also holds `name`), then
// the component's own check of the values.
std::vector<std::pair<std::string, std::string>> read_options(Reader& r, const plugin::Component& c,
                                                              const char* kind) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : c.options) {
    out.emplace_back(o.name,
                     o.required ? r.require_string(o.name) : r.get_string(o.name, o.default_value));
  }
  if (c.check) {
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : out) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    itwin_options opts{out.size(), keys.data(), values.data()};
    char error[512] = "";
    if (c.check(&opts, error, sizeof error) != 0) {
      throw ConfigError(r.mark().str() + ": " + r.what() + ": " + c.describe(kind) + ": " +
                        (error[0] ? error : "its options were rejected"));
    }
  }
  return out;
}

template <class T>
const T& lookup(Reader& r, const plugin::Registry<T>& reg, const std::string& name,
                const char* kind) {
  const T* e = reg.find(name);
  if (!e) {
    r.fail("name", "names an unknown " + std::string(kind) + " '" + name + "'" +
                       did_you_mean(name, reg.names()) + "; known: " + join(reg.names(), ", ") +
                       kPluginHint);
  }
  return *e;
}

ComponentUse parse_sampler(Reader& r) {
  Reader s = r.sub_or_name("sampler");
  ComponentUse u;
  u.name = s.get_string("name", "regular");
  const auto& c = lookup(s, plugin::window_samplers(), u.name, "window sampler");
  u.options = read_options(s, c, "window sampler");
  s.finish();
  return u;
}

std::vector<DerivedUse> parse_derived(Reader& r) {
  std::vector<DerivedUse> out;
  const Node* list = r.raw("derived");
  if (!list) return out;
  if (!list->is_seq())
    r.fail("derived", "must be a list, e.g. [{name: rolling_mean, as: p30, inputs: {x: precip}}]");
  for (size_t i = 0; i < list->seq.size(); ++i) {
    const Node& item = list->seq[i];
    Node as_map = item.is_scalar() ? Node(Node::Kind::Map, item.mark) : item;
    if (item.is_scalar()) as_map.set("name", item, item.mark);
    if (!as_map.is_map())
      throw ConfigError(item.mark.str() + ": " + r.what() + ": 'derived' items are names or maps");
    Reader d(as_map, r.what() + ".derived[" + std::to_string(i) + "]", nullptr);
    DerivedUse u;
    u.name = d.require_string("name");
    const auto& c = lookup(d, plugin::derived_variables(), u.name, "derived variable");
    u.as = d.get_string("as", u.name);
    auto given = d.get_string_map("inputs");
    for (const auto& [role, var] : given) {
      if (std::find(c.inputs.begin(), c.inputs.end(), role) == c.inputs.end()) {
        d.fail("inputs", c.describe("derived variable") + " has no input '" + role + "'" +
                             did_you_mean(role, c.inputs) +
                             "; its inputs: " + join(c.inputs, ", "));
      }
    }
    for (const auto& role : c.inputs)
      u.inputs.emplace_back(role, given.count(role) ? given.at(role) : role);
    u.options = read_options(d, c, "derived variable");
    d.finish();
    out.push_back(std::move(u));
  }
  return out;
}

void parse_normalize(Reader& r, NetcdfSpec& n) {
  auto only_standard_or_none = [&](Reader& at, const std::string& key, NormalizeKind k) {
    if (k == NormalizeKind::Fixed)
      at.fail(key, "netcdf data sets take none or standard (statistics of the training part)");
    return k;
  };
  if (r.is_map("normalize")) {
    Reader m = r.sub("normalize");
    n.normalize_inputs = only_standard_or_none(
        m, "inputs", m.get_enum("inputs", normalize_catalog(), n.normalize_inputs));
    n.normalize_targets = only_standard_or_none(
        m, "targets", m.get_enum("targets", normalize_catalog(), n.normalize_targets));
    m.finish();
  } else {
    auto k = only_standard_or_none(
        r, "normalize", r.get_enum("normalize", normalize_catalog(), NormalizeKind::Standard));
    n.normalize_inputs = n.normalize_targets = k;
  }
}

// Each variable once; a target among the inputs only when the window ends before it.
void check_names(Reader& r, const NetcdfSpec& n) {
  std::set<std::string> seen;
  auto add = [&](const std::string& key, const std::string& v) {
    if (!seen.insert(v).second)
      r.fail(key, "variable '" + v + "' appears twice among dynamic, static, derived and targets");
  };
  for (const auto& v : n.dynamic) add("dynamic", v);
  for (const auto& v : n.statics) add("static", v);
  for (const auto& d : n.derived) add("derived", d.as);
  for (const auto& t : n.targets) {
    if (std::find(n.dynamic.begin(), n.dynamic.end(), t) != n.dynamic.end()) {
      if (n.lag == 0)
        r.fail("targets",
               "target '" + t +
                   "' is also a dynamic input: with lag 0 the window's last step holds the answer");
      continue;
    }
    add("targets", t);
  }
}

}  // namespace

void parse_netcdf(Reader& r, DatasetSpec& d) {
  NetcdfSpec& n = d.netcdf;
  d.path = r.require_string("path");
  auto dims = r.get_string_list("dims", {n.time_dim, n.space_dim});
  if (dims.size() != 2 || dims[0] == dims[1])
    r.fail("dims", "must name two different dimensions: [time, catchment]");
  n.time_dim = dims[0];
  n.space_dim = dims[1];
  n.dynamic = r.get_string_list("dynamic", {});
  n.statics = r.get_string_list("static", {});
  n.targets = r.get_string_list("targets", {});
  if (n.targets.empty()) r.fail("targets", "must name at least one target variable");
  n.derived = parse_derived(r);
  if (n.dynamic.empty() && n.derived.empty())
    r.fail("dynamic", "must name at least one input variable (or use derived:)");
  n.seq_length = r.get_int("seq_length", n.seq_length, 1, 100000);
  n.lag = r.get_int("lag", n.lag, 0, 100000);
  n.stride = r.get_int("stride", n.stride, 1, 100000);
  check_names(r, n);
  n.sampler = parse_sampler(r);

  Reader sp = r.sub("split");
  n.split_by = sp.get_enum("by", split_by_catalog(), n.split_by);
  const double big = static_cast<double>(std::numeric_limits<int32_t>::max());
  d.split.validation = sp.get_double("validation", 0.2, 0.0, big);
  d.split.test = sp.get_double("test", 0.0, 0.0, big);
  if (d.split.validation < 1 && d.split.test < 1 && d.split.validation + d.split.test >= 1) {
    throw ConfigError(sp.mark().str() + ": " + sp.what() +
                      ": validation + test fractions must leave training data");
  }
  sp.finish();
  d.shuffle = r.get_bool("shuffle", d.shuffle);
  d.limit = r.get_int("limit", d.limit, 0);
  parse_normalize(r, n);
  d.task = TaskKind::Regression;
}

}  // namespace itwin::config
