#include "itwin/util/redact.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using itwin::redact;

TEST_CASE("redact: passwords in URIs, wherever they are in a text", "[util]") {
  CHECK(redact("http://alice:s3cret@host:5000/x") == "http://alice:***@host:5000/x");
  CHECK(redact("tracking_uri: 'https://bob:p%40ss@mlflow.example.org'\nname: x") ==
        "tracking_uri: 'https://bob:***@mlflow.example.org'\nname: x");
  CHECK(redact("failed: POST http://tok123456@h/api") ==
        "failed: POST http://***@h/api");  // a bare token
  CHECK(redact("two: http://a:b1@h1 and s3://k:v2@bucket/p") ==
        "two: http://a:***@h1 and s3://k:***@bucket/p");
  CHECK(redact("no credentials: http://host:5000/api?x=a@b") ==
        "no credentials: http://host:5000/api?x=a@b");
  CHECK(redact("mail me at a@b.org, see file:///tmp/x") == "mail me at a@b.org, see file:///tmp/x");
}

TEST_CASE("redact: authorization headers and known secrets", "[util]") {
  CHECK(redact("Authorization: Bearer abc.def-123\nHost: h") == "Authorization: ***\nHost: h");
  CHECK(redact(R"({"authorization": "Basic YWxpY2U6cHc="})") == R"({"authorization": "***"})");
  CHECK(redact("token was Bearer zzz-yyy") == "token was Bearer ***");
  itwin::add_secret("hunter2-long");
  CHECK(redact("the password hunter2-long leaked twice: hunter2-long") ==
        "the password *** leaked twice: ***");
  itwin::add_secret("ab");  // too short to remove safely
  CHECK(redact("abc") == "abc");
  ::setenv("MLFLOW_TRACKING_TOKEN", "env-token-42", 1);
  CHECK(redact("echo: env-token-42!") == "echo: ***!");
  ::unsetenv("MLFLOW_TRACKING_TOKEN");
}

TEST_CASE("redact: URIs without credentials, and the credentials themselves", "[util]") {
  CHECK(itwin::strip_credentials("http://alice:pw@127.0.0.1:5000/") == "http://127.0.0.1:5000/");
  CHECK(itwin::strip_credentials("https://host/path") == "https://host/path");
  CHECK(itwin::strip_credentials("/a/path") == "/a/path");
  CHECK(itwin::uri_credentials("http://al%40ice:p%3Aw@h") ==
        std::make_pair(std::string("al@ice"), std::string("p:w")));
  CHECK(itwin::uri_credentials("http://h:5000").first.empty());
  CHECK(itwin::base64("alice:pw-S3cret-77") == "YWxpY2U6cHctUzNjcmV0LTc3");
}
