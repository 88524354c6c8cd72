#include <catch2/catch.hpp>

#include "itwin/comm/backend.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

TEST_CASE("backends: registry, errors, local", "[comm]") {
  bool has_local = false;
  for (const auto& b : config::backend_catalog().entries()) {
    has_local = has_local || (std::string(b.name) == "local" && comm::backend_built(b.value));
  }
  CHECK(has_local);
  CHECK_THROWS_WITH(comm::make_backend("glo", {}),
                    Contains("unknown backend 'glo' (did you mean 'gloo'?)"));
  comm::BackendOptions two;
  two.world = 2;
  CHECK_THROWS_WITH(comm::make_backend("local", two), Contains("backend 'local' runs one process"));
  auto l = comm::make_backend("local", {});
  std::vector<float> in{1, 2}, out(2);
  l->allgather(in.data(), out.data(), 2, comm::DType::F32);
  CHECK(out == in);
}
