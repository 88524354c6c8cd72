#pragma once
/// A study's results: the ranked trials, the best one, best.yaml (the
/// config with the best values applied, runnable as is) and a plot of
/// every trial's metric per epoch (gnuplot, PNG and SVG).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"
#include "itwin/hpo/study.hpp"

namespace itwin::hpo {

/// The files of a study directory.
std::string snapshot_path(const std::string& dir);                 ///< DIR/config.yaml
std::string journal_path(const std::string& dir);                  ///< DIR/journal.jsonl
std::string trial_run_dir(const std::string& dir, int64_t trial);  ///< DIR/trials/NNNN

/// Rebuilds the study in `dir` from its config snapshot and journal;
/// `cfg` (optional) receives the snapshot's config. Throws UsageError when
/// `dir` holds no study.
Study load_study(const std::string& dir, config::Config* cfg = nullptr);

/// Everything `itwin hpo show --json` prints.
nlohmann::json study_json(const Study& study, const std::string& dir);

/// Writes DIR/best.yaml from the best trial; returns its path ("" when no
/// trial reported the metric).
std::string write_best_yaml(const Study& study, const std::string& dir);

/// Draws DIR/plot.png and DIR/plot.svg with gnuplot (script DIR/plot.gp,
/// data DIR/plot.dat); returns the images written. Throws RuntimeError when
/// gnuplot is missing or fails.
std::vector<std::string> write_plots(const Study& study, const std::string& dir);

/// The ranked table, the best trial and the files, as `show` prints them;
/// writes best.yaml and the plots on the way (a plot failure is a line of
/// the text, not an error).
std::string report_text(const Study& study, const std::string& dir);

/// The epochs the tuned pipeline's trainer runs.
int64_t trainer_epochs(const config::Config& cfg);

}  // namespace itwin::hpo
