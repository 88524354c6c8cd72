// Backend conformance: the same collective checks on every backend compiled
// in. Run by tests/comm/run_conformance.sh on N real ranks (mpirun); every
// rank runs every case; a new backend is done when it passes this file.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>

#include "itwin/comm/backend.hpp"
#include "itwin/launch/join.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using comm::DType;
using comm::ReduceOp;

namespace {

comm::Backend& backend() {
  static std::unique_ptr<comm::Backend> b = [] {
    const char* name = std::getenv("ITWIN_TEST_BACKEND");
    const char* rdzv = std::getenv("ITWIN_TEST_RENDEZVOUS");
    auto kind = config::backend_catalog().find(name ? name : "local");
    if (!kind)
      throw std::invalid_argument(std::string("ITWIN_TEST_BACKEND names no backend: ") + name);
    return launch::join_world(*kind, rdzv ? rdzv : "", 60).comm;
  }();
  return *b;
}

uint16_t f16(float f);
float from16(uint16_t h, bool bf);

}  // namespace

TEST_CASE("conformance: allreduce sums float buffers of odd and large sizes", "[comm]") {
  auto& c = backend();
  const int r = c.rank(), w = c.world();
  for (size_t n : {size_t(1), size_t(1000), size_t(1) << 20 | 3}) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>((r + 1) * static_cast<int>(i % 7 + 1));
    c.allreduce(v.data(), n, DType::F32);
    int wrong = 0;
    for (size_t i = 0; i < n; ++i)
      wrong += v[i] != static_cast<float>(w * (w + 1) / 2 * static_cast<int>(i % 7 + 1));
    INFO("count " << n);
    CHECK(wrong == 0);
  }
}

TEST_CASE("conformance: allreduce max and min on doubles and int64", "[comm]") {
  auto& c = backend();
  const int r = c.rank(), w = c.world();
  std::vector<double> d = {static_cast<double>(r), -static_cast<double>(r)};
  c.allreduce(d.data(), 2, DType::F64, ReduceOp::Max);
  CHECK(d == std::vector<double>{static_cast<double>(w - 1), 0.0});
  std::vector<int64_t> i = {r * 1000000000000LL, 5};
  c.allreduce(i.data(), 2, DType::I64, ReduceOp::Min);
  CHECK(i == std::vector<int64_t>{0, 5});
  std::vector<int64_t> s = {r + 1};
  c.allreduce(s.data(), 1, DType::I64);
  CHECK(s[0] == w * (w + 1) / 2);
}

TEST_CASE("conformance: 16-bit float sums (gradient compression)", "[comm]") {
  auto& c = backend();
  const int w = c.world();
  for (bool bf : {false, true}) {
    std::vector<uint16_t> v(257);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = bf ? static_cast<uint16_t>(0x3f80) : f16(static_cast<float>(i % 5));
    c.allreduce(v.data(), v.size(), bf ? DType::BF16 : DType::F16);
    for (size_t i = 0; i < v.size(); ++i) {
      float want = bf ? static_cast<float>(w) : static_cast<float>(w * static_cast<int>(i % 5));
      if (from16(v[i], bf) != want)
        FAIL((bf ? "bf16" : "f16") << " element " << i << " = " << from16(v[i], bf));
    }
  }
  std::vector<uint16_t> x(1);
  CHECK_THROWS_WITH(c.allreduce(x.data(), 1, DType::F16, ReduceOp::Max),
                    Contains("16-bit floats support only sum"));
}

TEST_CASE("conformance: several asynchronous allreduces in flight", "[comm]") {
  auto& c = backend();
  const int w = c.world();
  std::vector<std::vector<float>> bufs(3, std::vector<float>(4096));
  std::vector<std::unique_ptr<comm::Work>> works;
  for (size_t k = 0; k < bufs.size(); ++k) {
    std::fill(bufs[k].begin(), bufs[k].end(), static_cast<float>(k + 1));
    works.push_back(c.allreduce_async(bufs[k].data(), bufs[k].size(), DType::F32));
  }
  for (auto it = works.rbegin(); it != works.rend(); ++it) (*it)->wait();  // any order
  for (size_t k = 0; k < bufs.size(); ++k) CHECK(bufs[k][4095] == static_cast<float>(w * (k + 1)));
}

TEST_CASE("conformance: broadcast from every root", "[comm]") {
  auto& c = backend();
  for (int root = 0; root < c.world(); ++root) {
    std::vector<float> v(100, static_cast<float>(c.rank()));
    std::vector<uint8_t> b(13, static_cast<uint8_t>(c.rank() + 7));
    c.broadcast(v.data(), v.size(), DType::F32, root);
    c.broadcast(b.data(), b.size(), DType::U8, root);
    CHECK(v[99] == static_cast<float>(root));
    CHECK(b[12] == static_cast<uint8_t>(root + 7));
  }
}

TEST_CASE("conformance: allgather keeps rank order", "[comm]") {
  auto& c = backend();
  const size_t n = 5;
  std::vector<float> in(n), out(n * static_cast<size_t>(c.world()), -1);
  for (size_t i = 0; i < n; ++i) in[i] = static_cast<float>(c.rank() * 10 + static_cast<int>(i));
  c.allgather(in.data(), out.data(), n, DType::F32);
  for (int r = 0; r < c.world(); ++r)
    for (size_t i = 0; i < n; ++i)
      CHECK(out[static_cast<size_t>(r) * n + i] ==
            static_cast<float>(r * 10 + static_cast<int>(i)));
}

TEST_CASE("conformance: reduce_scatter gives each rank its reduced slice", "[comm]") {
  auto& c = backend();
  const int w = c.world();
  const size_t n = 7;
  std::vector<double> in(n * static_cast<size_t>(w)), out(n, -1);
  for (size_t k = 0; k < in.size(); ++k) in[k] = static_cast<double>(k) + c.rank();
  c.reduce_scatter(in.data(), out.data(), n, DType::F64);
  for (size_t i = 0; i < n; ++i) {
    double k = static_cast<double>(static_cast<size_t>(c.rank()) * n + i);
    CHECK(out[i] == w * k + w * (w - 1) / 2.0);
  }
}

TEST_CASE("conformance: barrier, timing and errors", "[comm]") {
  auto& c = backend();
  double before = c.comm_seconds();
  c.barrier();
  CHECK(c.comm_seconds() >= before);
  float x = 0;
  try {
    c.broadcast(&x, 1, DType::F32, c.world());
    FAIL("expected an error");
  } catch (const RuntimeError& e) {
    CHECK_THAT(e.what(), Contains("broadcast failed on rank " + std::to_string(c.rank()) + "/" +
                                  std::to_string(c.world())));
    CHECK_THAT(e.what(), Contains("is not a rank of this world"));
  }
  c.barrier();
}

namespace {
uint16_t f16(float f) {  // exact for the small integers used above
  if (f == 0) return 0;
  int e = 0;
  float m = std::frexp(f, &e);  // f = m * 2^e, m in [0.5, 1)
  return static_cast<uint16_t>(((e - 1 + 15) << 10) |
                               (static_cast<int>((m * 2 - 1) * 1024) & 0x3ff));
}
float from16(uint16_t h, bool bf) {
  if (bf) {
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e == 0) return std::ldexp(static_cast<float>(m), -24);
  return std::ldexp(static_cast<float>(m | 0x400), e - 25);
}
}  // namespace
