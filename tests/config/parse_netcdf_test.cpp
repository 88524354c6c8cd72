// The keys of `format: netcdf`: defaults, every check with its location, and
// the sampler and derived variables validated against the runtime registries.
#include <catch2/catch.hpp>

#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

// A netcdf data step whose extra keys start at line 9, column 9.
std::string pipeline(const std::string& keys) {
  return "pipelines:\n"
         "  training:\n"
         "    steps:\n"
         "      - name: data\n"
         "        type: dataset\n"
         "        format: netcdf\n"
         "        path: d.nc\n"
         "        targets: [discharge]\n" +
         keys +
         "      - {name: model, type: model, arch: lstm}\n"
         "      - {name: train, type: trainer, loss: mse, metrics: [r2]}\n";
}

const config::DatasetSpec& dataset_of(const config::Config& c) {
  return std::get<config::DatasetSpec>(c.pipelines.at(0).steps.at(0).spec);
}

}  // namespace

TEST_CASE("netcdf config: keys and their defaults", "[config][netcdf]") {
  auto c = test::load_text(pipeline("        dynamic: [precip, temp]\n"));
  const auto& d = dataset_of(c);
  CHECK(d.format == config::DataFormat::Netcdf);
  CHECK(d.path == "d.nc");
  const auto& n = d.netcdf;
  CHECK(n.dynamic == std::vector<std::string>{"precip", "temp"});
  CHECK(n.statics.empty());
  CHECK(n.seq_length == 30);
  CHECK(n.stride == 1);
  CHECK(n.lag == 0);
  CHECK(n.time_dim == "time");
  CHECK(n.space_dim == "catchment");
  CHECK(n.split_by == config::SplitBy::Catchment);
  CHECK(d.split.validation == 0.2);
  CHECK(n.sampler.name == "regular");
  CHECK(n.normalize_inputs == config::NormalizeKind::Standard);
  CHECK(n.normalize_targets == config::NormalizeKind::Standard);

  auto all = test::load_text(pipeline(
      "        dynamic: [precip]\n"
      "        static: [area, slope]\n"
      "        dims: [day, basin]\n"
      "        seq_length: 90\n"
      "        lag: 2\n"
      "        stride: 5\n"
      "        split: {by: time, validation: 365, test: 0.1}\n"
      "        normalize: {inputs: standard, targets: none}\n"
      "        derived: [{name: rolling_mean, as: p30, inputs: {x: precip}, window: 30}]\n"));
  const auto& m = dataset_of(all).netcdf;
  CHECK(m.statics == std::vector<std::string>{"area", "slope"});
  CHECK(m.time_dim == "day");
  CHECK(m.space_dim == "basin");
  CHECK(m.seq_length == 90);
  CHECK(m.lag == 2);
  CHECK(m.stride == 5);
  CHECK(m.split_by == config::SplitBy::Time);
  CHECK(dataset_of(all).split.validation == 365);
  CHECK(m.normalize_targets == config::NormalizeKind::None);
  REQUIRE(m.derived.size() == 1);
  CHECK(m.derived[0].as == "p30");
  CHECK(m.derived[0].inputs == std::vector<std::pair<std::string, std::string>>{{"x", "precip"}});
  CHECK(m.derived[0].options == std::vector<std::pair<std::string, std::string>>{{"window", "30"}});
  auto dflt =
      test::load_text(pipeline("        derived: [rolling_mean]\n"));  // a name alone: its defaults
  CHECK(dataset_of(dflt).netcdf.derived.at(0).inputs ==
        std::vector<std::pair<std::string, std::string>>{{"x", "x"}});
  CHECK(dataset_of(dflt).netcdf.derived.at(0).options ==
        std::vector<std::pair<std::string, std::string>>{{"window", "30"}});
}

TEST_CASE("netcdf config: bad values are located errors", "[config][netcdf]") {
  CHECK_THAT(
      test::config_error(pipeline("        dynamic: [precip]\n        split: {by: catchments}\n")),
      Contains("test.yaml:10:21: ") && Contains("did you mean 'catchment'?"));
  CHECK_THAT(test::config_error(
                 pipeline("        dynamic: [precip]\n        normalize: {inputs: fixed}\n")),
             Contains("test.yaml:10:29: ") && Contains("netcdf data sets take none or standard"));
  CHECK_THAT(test::config_error(pipeline("        dynamic: [precip, discharge]\n")),
             Contains("test.yaml:8:18: ") &&
                 Contains("target 'discharge' is also a dynamic input: with lag 0"));
  CHECK(test::config_error(pipeline("        dynamic: [precip, discharge]\n        lag: 1\n"))
            .empty());
  CHECK_THAT(test::config_error(pipeline("        dynamic: [precip]\n        static: [precip]\n")),
             Contains("test.yaml:10:17: ") && Contains("variable 'precip' appears twice"));
  CHECK_THAT(test::config_error(pipeline("        static: [area]\n")),
             Contains("must name at least one input variable"));
  CHECK_THAT(test::config_error(pipeline("        dynamic: [precip]\n        dims: [time]\n")),
             Contains("test.yaml:10:15: ") && Contains("must name two different dimensions"));
  CHECK_THAT(test::config_error(pipeline("        dynamic: [precip]\n        seq_length: 0\n")),
             Contains("test.yaml:10:21: "));
  CHECK_THAT(test::config_error(pipeline("        dynamic: [precip]\n        seq_lenght: 30\n")),
             Contains("test.yaml:10:9: unknown key 'seq_lenght'") &&
                 Contains("did you mean 'seq_length'?"));
}

TEST_CASE("netcdf config: samplers and derived variables come from the runtime registries",
          "[config][netcdf][plugin]") {
  auto e = test::config_error(pipeline("        dynamic: [precip]\n        sampler: regulr\n"));
  CHECK_THAT(
      e, Contains("test.yaml:10:18: ") &&
             Contains("unknown window sampler 'regulr' (did you mean 'regular'?)") &&
             Contains(
                 "a plugin's components need its library in the file's top-level `plugins:` list"));
  e = test::config_error(
      pipeline("        dynamic: [precip]\n        sampler: {name: regular, every: 3}\n"));
  CHECK_THAT(e, Contains("unknown key 'every'"));
  e = test::config_error(pipeline("        derived: [{name: rolling_mena}]\n"));
  CHECK_THAT(e, Contains("test.yaml:9:26: ") && Contains("did you mean 'rolling_mean'?"));
  e = test::config_error(
      pipeline("        derived: [{name: rolling_mean, inputs: {y: precip}}]\n"));
  CHECK_THAT(
      e, Contains("test.yaml:9:48: ") && Contains("derived variable 'rolling_mean' has no input "
                                                  "'y' (did you mean 'x'?); its inputs: x"));
  e = test::config_error(pipeline("        derived: [{name: rolling_mean, window: 0}]\n"));
  CHECK_THAT(
      e, Contains("test.yaml:9:19: ") &&
             Contains("derived variable 'rolling_mean': option 'window' must be an integer >= 1"));
  e = test::config_error(pipeline("        derived: [{name: rolling_mean, widnow: 3}]\n"));
  CHECK_THAT(e, Contains("unknown key 'widnow'") && Contains("did you mean 'window'?"));
}
