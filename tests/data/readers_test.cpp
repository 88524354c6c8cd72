// File readers against files made by the real tools (gzip, NumPy).
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "../helpers.hpp"
#include "itwin/data/array.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

std::string idx_bytes(unsigned char type, std::vector<uint32_t> dims, const std::string& payload) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims) {
    for (int sh : {24, 16, 8, 0}) s += static_cast<char>((d >> sh) & 0xff);
  }
  return s + payload;
}

void write_gz(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f);
  REQUIRE(gzwrite(f, data.data(), static_cast<unsigned>(data.size())) ==
          static_cast<int>(data.size()));
  gzclose(f);
}

std::string python() { return "/usr/bin/python3"; }

}  // namespace

TEST_CASE("idx: plain and gzipped uint8 images", "[data]") {
  test::TempDir d;
  std::string payload;
  for (int i = 0; i < 2 * 3 * 2; ++i) payload += static_cast<char>(i * 10);
  std::string bytes = idx_bytes(0x08, {2, 3, 2}, payload);
  std::string plain = d.write("a-idx3-ubyte", bytes);
  write_gz(d.path() + "/a-idx3-ubyte.gz", bytes);
  for (const auto& p : {plain, d.path() + "/a-idx3-ubyte.gz"}) {
    auto a = data::read_idx(p);
    CHECK(a.dtype == data::DType::U8);
    CHECK(a.shape == std::vector<int64_t>{2, 3, 2});
    CHECK(a.at(5) == 50);
  }
}

TEST_CASE("idx: big-endian int32 and float", "[data]") {
  test::TempDir d;
  std::string ints = {0, 0, 1, 0, 0x7f, 0, 0, 1};  // 256, 2130706433
  auto a = data::read_idx(d.write("i", idx_bytes(0x0C, {2}, ints)));
  CHECK(a.at(0) == 256);
  CHECK(a.at(1) == 2130706433.0);
}

TEST_CASE("idx: truncated and corrupt files are clear errors", "[data]") {
  test::TempDir d;
  CHECK_THROWS_WITH(data::read_idx(d.write("t", idx_bytes(0x08, {10, 10}, "abc"))),
                    Contains("expected 100 bytes of data for shape [10, 10], found 3"));
  CHECK_THROWS_WITH(data::read_idx(d.write("m", "PK\x03\x04xxxx")), Contains("bad magic number"));
  CHECK_THROWS_WITH(data::read_idx(d.path() + "/none"), Contains("cannot read"));
}

TEST_CASE("idx: the real Fashion-MNIST files of Debian's package", "[data]") {
  auto imgs = data::read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
  CHECK(imgs.shape == std::vector<int64_t>{10000, 28, 28});
  auto labels = data::read_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
  CHECK(labels.shape == std::vector<int64_t>{10000});
  CHECK(labels.at(0) == 9);  // the first test image is an ankle boot
}

TEST_CASE("npy/npz: files written by NumPy", "[data]") {
  test::TempDir d;
  auto r = test::run_shell(
      python() +
      " -c \"import numpy as np; "
      "x = np.arange(12, dtype=np.float32).reshape(3, 4); y = np.array([0, 2, 1], dtype=np.int64); "
      "np.save('" +
      d.path() + "/x.npy', x); np.save('" + d.path() +
      "/b.npy', np.array([1.5, -2.0])); "
      "np.savez('" +
      d.path() +
      "/s.npz', x=x, y=y); "
      "np.savez_compressed('" +
      d.path() +
      "/c.npz', x=x, y=y); "
      "np.save('" +
      d.path() + "/f.npy', np.asfortranarray(x))\"");
  REQUIRE(r.exit_code == 0);
  auto x = data::read_npy(d.path() + "/x.npy");
  CHECK(x.dtype == data::DType::F32);
  CHECK(x.shape == std::vector<int64_t>{3, 4});
  CHECK(x.at(11) == 11.0);
  CHECK(data::read_npy(d.path() + "/b.npy").at(1) == -2.0);
  for (const char* f : {"/s.npz", "/c.npz"}) {
    auto z = data::read_npz(d.path() + f);
    REQUIRE(z.count("x"));
    REQUIRE(z.count("y"));
    CHECK(z["y"].dtype == data::DType::I64);
    CHECK(z["y"].at(1) == 2);
    CHECK(z["x"].at(7) == 7.0);
  }
  CHECK_THROWS_WITH(data::read_npy(d.path() + "/f.npy"), Contains("Fortran-ordered"));
  CHECK_THROWS_WITH(data::read_npz(d.path() + "/x.npy"), Contains("not a .npz"));
}

TEST_CASE("csv: columns by name, errors with line numbers", "[data]") {
  test::TempDir d;
  std::string p = d.write("t.csv", "a,b,y\n1,2,0\n3,4.5,1\n\n5,6,1\n");
  auto f = data::read_csv(p, ',', {}, {"y"});
  CHECK(f.names == std::vector<std::string>{"a", "b"});
  CHECK(f.values.shape == std::vector<int64_t>{3, 2});
  CHECK(f.values.at(3) == 4.5);
  CHECK(data::read_csv(p, ',', {"y"}).values.at(2) == 1);
  CHECK_THROWS_WITH(data::read_csv(p, ',', {"z"}), Contains("no column 'z'"));
  CHECK_THROWS_WITH(data::read_csv(d.write("bad.csv", "a,b\n1,2\n3,x\n"), ',', {}),
                    Contains("bad.csv:3: column 'b' is not a number: 'x'"));
  CHECK_THROWS_WITH(data::read_csv(d.write("short.csv", "a,b\n1\n"), ',', {}),
                    Contains("short.csv:2: expected 2 fields, found 1"));
}
