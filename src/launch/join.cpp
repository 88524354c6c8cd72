#include "itwin/launch/join.hpp"

namespace itwin::launch {

Joined join_world(config::BackendKind requested, const std::string& rendezvous, double timeout_s) {
  Joined j;
  j.world = detect_world();
  const World& w = j.world;
  j.backend = comm::resolve_backend(requested, w.world, w.launcher);
  comm::BackendOptions o{w.rank,
                         w.world,
                         w.local_rank,
                         w.local_world,
                         rendezvous.empty() ? w.rendezvous : rendezvous,
                         timeout_s};
  j.comm = comm::make_backend(j.backend, o);
  return j;
}

}  // namespace itwin::launch
