#pragma once
// Inline-YAML fixtures for config tests.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"
#include "itwin/util/error.hpp"

namespace itwin::test {

/// A minimal valid file (data, model, train; the trainer's keys from line
/// 9 on); tests append or replace parts.
inline std::string minimal_pipeline(const std::string& extra_step_keys = "") {
  return "pipelines:\n"
         "  training:\n"
         "    steps:\n"
         "      - {name: data, type: dataset,\n"
         "         format: synthetic}\n"
         "      - {name: model, type: model, arch: mlp}\n"
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

/// The first trainer step of the first pipeline.
inline const config::TrainerSpec& trainer_of(const config::Config& c) {
  for (const auto& s : c.pipelines.at(0).steps) {
    if (s.kind == config::StepKind::Trainer) return std::get<config::TrainerSpec>(s.spec);
  }
  throw std::logic_error("no trainer step");
}

}  // namespace itwin::test
