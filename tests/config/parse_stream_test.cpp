// The streaming keys of hdf5 and netcdf data sets: stream, max_memory, block_rows/block_steps,
// prefetch; sizes with units; errors located.
#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string hdf5(const std::string& keys) {
  return "pipelines:\n"
         "  training:\n"
         "    steps:\n"
         "      - {name: data, type: dataset, format: hdf5, path: s.h5, x: ECAL, y: [energy]" +
         keys +
         "}\n"
         "      - {name: model, type: model, arch: mlp}\n"
         "      - {name: train, type: trainer, loss: mse}\n";
}

const config::DatasetSpec& dataset_of(const config::Config& c) {
  return std::get<config::DatasetSpec>(c.pipelines.at(0).steps.at(0).spec);
}

}  // namespace

TEST_CASE("stream config: sizes with units", "[config][stream]") {
  CHECK(config::parse_bytes("2GiB") == 2147483648);
  CHECK(config::parse_bytes("512 MiB") == 536870912);
  CHECK(config::parse_bytes("1.5GB") == 1500000000);
  CHECK(config::parse_bytes("4096") == 4096);
  CHECK(config::parse_bytes("100KiB") == 102400);
  CHECK(config::parse_bytes("2 gigs") == -1);
  CHECK(config::parse_bytes("GiB") == -1);
  CHECK(config::parse_bytes("") == -1);
}

TEST_CASE("stream config: defaults and values", "[config][stream]") {
  const auto d = dataset_of(test::load_text(hdf5("")));
  CHECK(d.stream.mode == config::StreamMode::Off);
  CHECK(d.stream.max_memory == 0);
  CHECK(d.stream.block == 256);
  CHECK(d.stream.prefetch == 2);
  const auto s = dataset_of(
      test::load_text(hdf5(", stream: auto, max_memory: 2GiB, block_rows: 128, prefetch: 4")));
  CHECK(s.stream.mode == config::StreamMode::Auto);
  CHECK(s.stream.max_memory == 2147483648);
  CHECK(s.stream.block == 128);
  CHECK(s.stream.prefetch == 4);
  CHECK(dataset_of(test::load_text(hdf5(", stream: true"))).stream.mode == config::StreamMode::On);
}

TEST_CASE("stream config: errors are located", "[config][stream]") {
  CHECK_THAT(test::config_error(hdf5(", stream: maybe")),
             StartsWith("test.yaml:4:") && Contains("'stream' must be true, false or auto"));
  CHECK_THAT(test::config_error(hdf5(", max_memory: lots")),
             Contains("'max_memory' must be a size such as 2GiB") && Contains("got 'lots'"));
  CHECK_THAT(test::config_error(hdf5(", block_steps: 10")),
             Contains("unknown key 'block_steps'") && Contains("block_rows"));
  CHECK_THAT(test::config_error(hdf5(", prefetch: 0")), Contains("'prefetch' must be in [1, 64]"));
}
