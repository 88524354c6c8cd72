#include "itwin/util/strings.hpp"

#include <catch2/catch.hpp>

using namespace itwin;

TEST_CASE("strings: edit distance", "[util]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "abc") == 0);
  CHECK(edit_distance("learning_rte", "learning_rate") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("strings: did you mean picks close words only", "[util]") {
  std::vector<std::string> words{"epochs", "batch_size", "optimizer"};
  CHECK(did_you_mean("epoch", words) == " (did you mean 'epochs'?)");
  CHECK(did_you_mean("optimiser", words) == " (did you mean 'optimizer'?)");
  CHECK(did_you_mean("zzz", words).empty());
}

TEST_CASE("strings: split, trim, join", "[util]") {
  CHECK(split("a,b,,c", ',') == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(trim("  x y \n") == "x y");
  CHECK(join({"a", "b"}, ", ") == "a, b");
  CHECK(format_duration(5.25) == "5.2s");
  CHECK(format_duration(125) == "2m05s");
}
