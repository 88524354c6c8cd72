#pragma once
// The `hpo:` section (internal to src/config; called from parse_root).

#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/pipeline.hpp"
#include "itwin/config/reader.hpp"

namespace itwin::config {

/// Reads `top`'s `hpo` section when there is one (else present = false and
/// nothing is recorded). Needs `cfg.run` and `cfg.pipelines` parsed already.
HpoSpec parse_hpo(Reader& top, const Config& cfg);

/// The metrics the trainer of `p` reports at the end of every epoch
/// (train_loss, val_accuracy, lr, ...), in a stable order.
std::vector<std::string> epoch_metrics(const Pipeline& p);

}  // namespace itwin::config
