// The backend factory: a switch over the backend catalog. It names every
// backend, gloo's (a LibTorch translation unit) included, so it lives in the
// torch library.
#include "factories.hpp"
#include "itwin/comm/backend.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::comm {

std::unique_ptr<Backend> make_backend(config::BackendKind b, const BackendOptions& opts) {
  const char* name = config::backend_catalog().name(b);
  if (!backend_built(b)) {
    throw ConfigError(std::string("backend '") + name +
                      "' is not built into this itwin (rebuild with -D" + name +
                      "=enabled; see itwin backends)");
  }
  switch (b) {
    case config::BackendKind::Auto:
      return make_backend(resolve_backend(b, opts.world, "none"), opts);
    case config::BackendKind::Local:
      return make_local(opts);
    case config::BackendKind::Mpi:
      return make_mpi(opts);
    case config::BackendKind::Gloo:
      return make_gloo(opts);
    case config::BackendKind::Nccl:
      return make_nccl(opts);
  }
  throw ConfigError("unhandled backend");
}

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& opts) {
  const auto& cat = config::backend_catalog();
  auto b = cat.find(name);
  if (!b)
    throw ConfigError("unknown backend '" + name + "'" + did_you_mean(name, cat.names()) +
                      "; known: " + join(cat.names(), ", "));
  return make_backend(*b, opts);
}

}  // namespace itwin::comm
