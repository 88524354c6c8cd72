#pragma once
/// Joining the world a launcher started: the one place that turns the
/// launcher's environment and the `distributed:` settings into a backend.
/// Used by every command that communicates (train, bench comm) and by the
/// backend conformance test.

#include <memory>
#include <string>

#include "itwin/comm/backend.hpp"
#include "itwin/launch/world.hpp"

namespace itwin::launch {

struct Joined {
  World world;
  config::BackendKind backend = config::BackendKind::Local;  ///< resolved: never Auto
  std::unique_ptr<comm::Backend> comm;
};

/// Detects the world (world.hpp), resolves `requested` (comm::resolve_backend)
/// and creates the backend. `rendezvous` overrides the launcher's; `timeout_s`
/// bounds the rendezvous and every collective.
Joined join_world(config::BackendKind requested, const std::string& rendezvous, double timeout_s);

}  // namespace itwin::launch
