#include "itwin/util/fs.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "../helpers.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;

TEST_CASE("fs: atomic write creates parents and leaves no temp file", "[util]") {
  test::TempDir d;
  std::string p = d.path() + "/a/b/file.txt";
  write_file_atomic(p, "one");
  CHECK(read_file(p) == "one");
  write_file_atomic(p, "two");
  CHECK(read_file(p) == "two");
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path() + "/a/b")) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("fs: reading a missing file names it", "[util]") {
  CHECK_THROWS_AS(read_file("/nonexistent/x"), RuntimeError);
  CHECK_THROWS_WITH(read_file("/nonexistent/x"), Catch::Matchers::Contains("/nonexistent/x"));
}
