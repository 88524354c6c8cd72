// The runtime registries: built-ins first, then what plugins add. Every
// entry, built in or not, arrives through the same itwin_host calls.
#include "itwin/plugin/registry.hpp"

#include <mutex>
#include <stdexcept>

#include "host.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::plugin {
namespace {

bool valid_name(const char* s) {
  if (!s || !*s) return false;
  for (const char* p = s; *p; ++p) {
    const char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Copies the common part; "" when it is well formed, else why not.
std::string copy_common(const char* kind, const char* name, const char* summary,
                        const itwin_option_decl* opts, size_t n_opts, itwin_check_options_fn check,
                        Component& out) {
  if (!valid_name(name)) {
    return std::string("a ") + kind + " named '" + (name ? name : "(null)") +
           "': names are lower-case letters, digits and '_'";
  }
  out.name = name;
  out.summary = summary ? summary : "";
  out.check = check;
  if (n_opts > 0 && !opts)
    return std::string(kind) + " '" + name + "' declares options but gives none";
  for (size_t i = 0; i < n_opts; ++i) {
    const auto& o = opts[i];
    if (!valid_name(o.name))
      return std::string(kind) + " '" + name + "': an option with a bad name";
    std::string n = o.name;
    if (n == "name" || n == "as" || n == "inputs") {
      return std::string(kind) + " '" + name + "': option name '" + n + "' is reserved";
    }
    for (const auto& prev : out.options)
      if (prev.name == n) return std::string(kind) + " '" + name + "': option '" + n + "' twice";
    out.options.push_back({n, o.default_value ? o.default_value : "", o.default_value == nullptr,
                           o.summary ? o.summary : ""});
  }
  return "";
}

template <class T>
std::string taken(const Registry<T>& reg, const std::vector<T>& staged, const std::string& name,
                  const char* kind) {
  if (const T* e = reg.find(name))
    return std::string(kind) + " '" + name + "' is already registered (" + e->origin + ")";
  for (const auto& e : staged)
    if (e.name == name) return std::string(kind) + " '" + name + "' is registered twice";
  return "";
}

int add_sampler(void* context, const itwin_window_sampler* s) {
  auto* st = static_cast<Staging*>(context);
  if (!st->failure.empty()) return 1;
  WindowSampler w;
  std::string why =
      s ? copy_common("window sampler", s->name, s->summary, s->options, s->n_options, s->check, w)
        : "a null window sampler";
  if (why.empty() && !s->sample) why = "window sampler '" + w.name + "' has no sample function";
  if (why.empty()) why = taken(*st->samplers, st->new_samplers, w.name, "window sampler");
  if (!why.empty()) {
    st->failure = why;
    return 1;
  }
  w.origin = st->origin;
  w.sample = s->sample;
  st->new_samplers.push_back(std::move(w));
  return 0;
}

int add_derived(void* context, const itwin_derived_variable* d) {
  auto* st = static_cast<Staging*>(context);
  if (!st->failure.empty()) return 1;
  DerivedVariable v;
  std::string why = d ? copy_common("derived variable", d->name, d->summary, d->options,
                                    d->n_options, d->check, v)
                      : "a null derived variable";
  if (why.empty() && !d->compute) why = "derived variable '" + v.name + "' has no compute function";
  if (why.empty() && (d->n_inputs == 0 || !d->inputs))
    why = "derived variable '" + v.name + "' declares no inputs";
  for (size_t i = 0; why.empty() && i < d->n_inputs; ++i) {
    if (!d->inputs[i] || !*d->inputs[i])
      why = "derived variable '" + v.name + "' has an empty input name";
    else
      v.inputs.push_back(d->inputs[i]);
  }
  if (why.empty()) why = taken(*st->derived, st->new_derived, v.name, "derived variable");
  if (!why.empty()) {
    st->failure = why;
    return 1;
  }
  v.origin = st->origin;
  v.compute = d->compute;
  st->new_derived.push_back(std::move(v));
  return 0;
}

void fail(void* context, const char* message) {
  auto* st = static_cast<Staging*>(context);
  if (st->failure.empty()) st->failure = message && *message ? message : "(no message)";
}

struct State {
  Registry<WindowSampler> samplers{"sampler"};
  Registry<DerivedVariable> derived{"derived"};
  std::vector<LoadedPlugin> loaded;
  std::recursive_mutex mu;
};

State& state() {
  static State* s = [] {
    auto* st = new State;  // never destroyed: plugins stay loaded until the process ends
    Staging b(&st->samplers, &st->derived, "built in");
    itwin_host h = b.host();
    if (register_builtins(&h) != 0 || !b.failure.empty())
      throw std::logic_error("built-in components: " + b.failure);
    b.commit();
    return st;
  }();
  return *s;
}

}  // namespace

Staging::Staging(Registry<WindowSampler>* s, Registry<DerivedVariable>* d, std::string o)
    : samplers(s), derived(d), origin(std::move(o)) {}

itwin_host Staging::host() {
  return itwin_host{ITWIN_PLUGIN_API_VERSION, this, &add_sampler, &add_derived, &fail};
}

void Staging::commit() {
  for (auto& w : new_samplers) samplers->add(std::move(w));
  for (auto& v : new_derived) derived->add(std::move(v));
  new_samplers.clear();
  new_derived.clear();
}

Staging staging_for(const std::string& origin) {
  return Staging(&state().samplers, &state().derived, origin);
}

std::recursive_mutex& registry_mutex() { return state().mu; }
std::vector<LoadedPlugin>& loaded_list() { return state().loaded; }

Registry<WindowSampler>& window_samplers() { return state().samplers; }
Registry<DerivedVariable>& derived_variables() { return state().derived; }

std::vector<LoadedPlugin> loaded_plugins() {
  std::lock_guard<std::recursive_mutex> lock(registry_mutex());
  return loaded_list();
}

std::string Component::describe(const char* kind) const {
  return std::string(kind) + " '" + name + "'" +
         (origin == "built in" ? "" : " (plugin " + origin + ")");
}

std::vector<config::CatalogView> registry_views(bool all) {
  config::CatalogView s{
      window_samplers().key(), "Window samplers (netcdf data sets; plugins add more)", {}};
  for (const auto& e : window_samplers().entries())
    if (all || e.origin == "built in") s.items.emplace_back(e.name, e.summary);
  config::CatalogView d{
      derived_variables().key(), "Derived variables (netcdf data sets; plugins add more)", {}};
  for (const auto& e : derived_variables().entries())
    if (all || e.origin == "built in") d.items.emplace_back(e.name, e.summary);
  return {s, d};
}

}  // namespace itwin::plugin
