#pragma once
// Inline-YAML fixtures for config tests.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"
#include "itwin/util/error.hpp"

namespace itwin::test {

/// A minimal valid file; tests append or replace parts.
inline std::string minimal_pipeline(const std::string& extra_step_keys = "") {
  return "pipelines:\n"
         "  training:\n"
         "    steps:\n"
         "      - name: data\n"
         "        type: dataset\n"
         "        format: synthetic\n"
         "      - name: train\n"
         "        type: trainer\n" +
         extra_step_keys;
}

inline config::Config load_text(const std::string& yaml, std::vector<std::string> sets = {}) {
  config::LoadOptions o;
  o.overrides = std::move(sets);
  return config::load_config_text(yaml, "test.yaml", o);
}

/// The ConfigError message loading `yaml` produces ("" if it loads).
inline std::string config_error(const std::string& yaml, std::vector<std::string> sets = {}) {
  try {
    load_text(yaml, std::move(sets));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

inline const config::TrainerSpec& trainer_of(const config::Config& c) {
  return std::get<config::TrainerSpec>(c.pipelines.at(0).steps.at(1).spec);
}

}  // namespace itwin::test
