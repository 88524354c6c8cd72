// A netcdf data set's variables: read from the file, checked against what the
// config asks for, inputs checked complete, derived variables computed.
#include "itwin/data/datacube.hpp"

#include <cmath>
#include <cstdio>

#include "itwin/data/netcdf.hpp"
#include "itwin/plugin/registry.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace {

struct Reading {
  const config::NetcdfSpec& spec;
  const NetcdfFile& file;
  const std::string& who;
  int64_t n_time = 0, n_catchments = 0;

  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const auto& x : file.variables()) v.push_back(x.name);
    return v;
  }

  int64_t dim_length(const std::string& name, const char* key) const {
    std::vector<std::string> dims;
    for (const auto& d : file.dimensions()) {
      if (d.name == name) return d.length;
      dims.push_back(d.name);
    }
    throw DataMismatch(file.path() + " has no dimension '" + name + "'" + did_you_mean(name, dims) +
                       " (set `dims: [TIME, SPACE]` for the " + key +
                       " dimension); its dimensions: " + join(dims, ", "));
  }

  // The variable, checked to exist with dimensions `dims` and numbers inside.
  const NcVariable& check(const std::string& name, const std::vector<std::string>& dims,
                          const std::string& role) const {
    const NcVariable* v = file.find(name);
    if (!v) {
      throw DataMismatch(file.path() + " has no variable '" + name + "' (" + role + ")" +
                         did_you_mean(name, names()) + "; it has: " + join(names(), ", "));
    }
    if (v->dims != dims) {
      throw DataMismatch(file.path() + ": variable '" + name + "' (" + role + ") has dimensions (" +
                         join(v->dims, ", ") + "), but " + role + " variables need (" +
                         join(dims, ", ") + ")" +
                         (v->dims.size() == 1 && dims.size() == 2
                              ? ": is it a static attribute? (list it under static)"
                              : ""));
    }
    if (!v->dtype) {
      throw DataMismatch(file.path() + ": variable '" + name + "' (" + role + ") has type " +
                         v->type + ", not numbers");
    }
    return *v;
  }

  std::vector<float> read(const std::string& name, const std::vector<std::string>& dims,
                          const std::string& role) const {
    check(name, dims, role);
    NcRead r = file.read(name, memory_budget());
    std::vector<float> out(static_cast<size_t>(r.array.numel()));
    if (r.array.dtype == DType::F32) {
      const auto* src = reinterpret_cast<const float*>(r.array.bytes.data());
      out.assign(src, src + out.size());
    } else {
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<float>(r.array.at(static_cast<int64_t>(i)));
    }
    return out;
  }

  // "time index 33 (time = 33)": the coordinate's value too when the file has one.
  std::string position(const std::string& dim, int64_t i) const {
    std::string s = dim + " index " + std::to_string(i);
    const NcVariable* c = file.find(dim);
    if (c && c->dtype && c->dims == std::vector<std::string>{dim}) {
      NcRead r = file.read(dim, {i}, {1}, 64);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", r.array.at(0));
      s += " (" + dim + " = " + buf + ")";
    }
    return s;
  }

  // Inputs must be complete: the first missing value, located, is an error.
  void require_complete(const std::vector<float>& v, const std::string& name,
                        const std::string& role, bool time_major) const {
    int64_t count = 0, first = -1;
    for (size_t i = 0; i < v.size(); ++i) {
      if (std::isnan(v[i])) {
        if (first < 0) first = static_cast<int64_t>(i);
        ++count;
      }
    }
    if (count == 0) return;
    std::string at = time_major ? position(spec.time_dim, first / n_catchments) + ", " +
                                      position(spec.space_dim, first % n_catchments)
                                : position(spec.space_dim, first);
    throw RuntimeError(who + ": " + file.path() + ": variable '" + name + "' (" + role + ") has " +
                       std::to_string(count) + " missing value" + (count == 1 ? "" : "s") +
                       " (NaN or fill value), the first at " + at +
                       ": inputs must be complete (fill the gaps or leave the variable out)");
  }
};

// Runs derived variable `u`, whose inputs are read (and checked) from the file.
std::vector<float> derive(const Reading& rd, const config::DerivedUse& u) {
  const plugin::DerivedVariable* d = plugin::derived_variables().find(u.name);
  if (!d)
    throw RuntimeError(rd.who + ": no derived variable '" + u.name +
                       "' is registered (is its plugin loaded?)");
  const std::vector<std::string> dims{rd.spec.time_dim, rd.spec.space_dim};
  std::vector<std::vector<float>> inputs;
  std::vector<const float*> ptrs;
  std::vector<const char*> names;
  for (const auto& [role, var] : u.inputs) {
    std::string what = "input '" + role + "' of derived '" + u.as + "'";
    inputs.push_back(rd.read(var, dims, what));
    rd.require_complete(inputs.back(), var, what, true);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    ptrs.push_back(inputs[i].data());
    names.push_back(u.inputs[i].second.c_str());
  }
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : u.options) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  itwin_options opts{u.options.size(), keys.data(), values.data()};
  itwin_derived_input in{rd.n_time,    rd.n_catchments, inputs.size(),
                         names.data(), ptrs.data(),     &opts};
  std::vector<float> out(static_cast<size_t>(rd.n_time * rd.n_catchments), NAN);
  char error[512] = "";
  if (d->compute(&in, out.data(), error, sizeof error) != 0) {
    throw RuntimeError(rd.who + ": " + d->describe("derived variable") +
                       " failed: " + (error[0] ? error : "no reason given"));
  }
  rd.require_complete(out, u.as, "computed by " + d->describe("derived variable"), true);
  return out;
}

}  // namespace

RawCube read_cube(const config::DatasetSpec& spec, const std::string& who, bool read_dynamic) {
  const config::NetcdfSpec& n = spec.netcdf;
  NetcdfFile file(spec.path);
  Reading rd{n, file, who};
  rd.n_time = rd.dim_length(n.time_dim, "time");
  rd.n_catchments = rd.dim_length(n.space_dim, "catchment");
  if (rd.n_time == 0 || rd.n_catchments == 0) {
    throw RuntimeError(who + ": " + spec.path + " holds no data (" + n.time_dim + " " +
                       std::to_string(rd.n_time) + ", " + n.space_dim + " " +
                       std::to_string(rd.n_catchments) + ")");
  }
  // Everything held at once: the variables as read, then the windowed copy.
  const size_t per_var = static_cast<size_t>(rd.n_time * rd.n_catchments);
  const size_t held = read_dynamic ? n.dynamic.size() + n.derived.size() : 0;
  checked_bytes(
      {static_cast<int64_t>(2 * (held + n.targets.size() + 1)), static_cast<int64_t>(per_var)},
      DType::F32, who + ": " + spec.path);
  const std::vector<std::string> dyn_dims{n.time_dim, n.space_dim}, static_dims{n.space_dim};
  // Check every name before reading anything: a typo is reported at once.
  for (const auto& v : n.dynamic) rd.check(v, dyn_dims, "dynamic");
  for (const auto& v : n.statics) rd.check(v, static_dims, "static");
  for (const auto& v : n.targets) rd.check(v, dyn_dims, "target");

  RawCube c;
  c.path = spec.path;
  c.n_time = rd.n_time;
  c.n_catchments = rd.n_catchments;
  for (const auto& v : n.dynamic) {
    if (!read_dynamic) {  // streamed: read in blocks of time steps later (window_stream.cpp)
      c.dynamic_names.push_back(v);
      continue;
    }
    c.dynamic.push_back(rd.read(v, dyn_dims, "dynamic"));
    rd.require_complete(c.dynamic.back(), v, "dynamic input", true);
    c.dynamic_names.push_back(v);
  }
  for (const auto& u : n.derived) {
    c.dynamic.push_back(derive(rd, u));
    c.dynamic_names.push_back(u.as);
  }
  for (const auto& v : n.statics) {
    c.statics.push_back(rd.read(v, static_dims, "static"));
    rd.require_complete(c.statics.back(), v, "static input", false);
    c.static_names.push_back(v);
  }
  for (const auto& v : n.targets) {
    c.targets.push_back(rd.read(v, dyn_dims, "target"));
    c.target_names.push_back(v);
  }
  return c;
}

}  // namespace itwin::data
