// `type: dataset` and `type: model` steps.
#include <limits>

#include "itwin/util/error.hpp"
#include "parse_steps.hpp"

namespace itwin::config {

DatasetSpec parse_dataset(Reader& r) {
  DatasetSpec d;
  d.format = r.get_choice("format", "", {"idx", "npz", "npy", "csv", "synthetic"});
  if (d.format == "idx") {
    d.path = r.require_string("path");
  } else if (d.format == "npz") {
    d.path = r.require_string("path");
    d.x_key = r.get_string("x_key", d.x_key);
    d.y_key = r.get_string("y_key", d.y_key);
  } else if (d.format == "npy") {
    d.path = r.require_string("path");
    d.labels = r.require_string("labels");
  } else if (d.format == "csv") {
    d.path = r.require_string("path");
    d.targets = r.get_string_list("targets", {});
    if (d.targets.empty()) r.fail("targets", "must name at least one target column");
    d.features = r.get_string_list("features", {});
    d.delimiter = r.get_string("delimiter", d.delimiter);
    if (d.delimiter.size() != 1) r.fail("delimiter", "must be a single character");
  } else {
    Reader s = r.sub("synthetic");
    auto& y = d.synthetic;
    y.task = s.get_choice("task", y.task, {"classification", "regression", "sequence"});
    y.samples = s.get_int("samples", y.samples, 2);
    y.features = s.get_int("features", y.features, 1, 1 << 20);
    if (y.task == "classification") y.classes = s.get_int("classes", y.classes, 2, 100000);
    if (y.task == "sequence") y.seq_len = s.get_int("seq_len", y.seq_len, 1, 100000);
    if (y.task != "classification") y.targets = s.get_int("targets", y.targets, 1, 1024);
    y.noise = s.get_double("noise", y.noise, 0.0);
    s.finish();
  }
  if (d.format == "npz" || d.format == "npy" || d.format == "csv") {
    d.task = r.get_choice("task", d.task, {"auto", "classification", "regression"});
  }
  Reader sp = r.sub("split");
  const double big = static_cast<double>(std::numeric_limits<int32_t>::max());
  d.split.validation = sp.get_double("validation", d.split.validation, 0.0, big);
  d.split.test = sp.get_double("test", d.format == "idx" ? 0.0 : d.split.test, 0.0, big);
  if (d.format == "idx" && d.split.test != 0) {
    sp.fail("test", "cannot be set for idx data: the t10k files are the test set");
  }
  if (d.split.validation < 1 && d.split.test < 1 && d.split.validation + d.split.test >= 1) {
    throw ConfigError(sp.mark().str() + ": " + sp.what() + ": validation + test fractions must leave training data");
  }
  sp.finish();
  d.shuffle = r.get_bool("shuffle", d.shuffle);
  d.limit = r.get_int("limit", d.limit, 0);
  if (r.is_map("normalize")) {
    Reader n = r.sub("normalize");
    d.normalize = "fixed";
    d.mean = n.get_double_list("mean", {});
    d.std = n.get_double_list("std", {});
    if (d.mean.empty() || d.mean.size() != d.std.size()) {
      throw ConfigError(n.mark().str() + ": " + n.what() + ": 'mean' and 'std' must be non-empty lists of equal length");
    }
    for (double s : d.std) {
      if (s <= 0) n.fail("std", "values must be > 0");
    }
    n.finish();
  } else {
    d.normalize = r.get_choice("normalize", "none", {"none", "standard"});
  }
  return d;
}

ModelSpec parse_model(Reader& r) {
  ModelSpec m;
  m.arch = r.get_choice("arch", "", {"cnn", "mlp", "lstm", "resnet", "torchscript"});
  if (m.arch == "torchscript") {
    if (!r.has("from")) m.path = r.require_string("path");
  } else if (m.arch == "cnn") {
    m.dropout = r.get_double("dropout", 0.5, 0.0, 1.0);
  } else if (m.arch == "mlp") {
    m.hidden = r.get_int_list("hidden", m.hidden, 1, 1 << 24);
    m.dropout = r.get_double("dropout", 0.0, 0.0, 1.0);
  } else if (m.arch == "lstm") {
    m.hidden_size = r.get_int("hidden_size", m.hidden_size, 1, 1 << 20);
    m.layers = r.get_int("layers", m.layers, 1, 64);
    m.dropout = r.get_double("dropout", 0.0, 0.0, 1.0);
  } else {
    m.channels = r.get_int_list("channels", m.channels, 1, 1 << 16);
    if (m.channels.empty()) r.fail("channels", "must list at least one stage width");
    m.blocks = r.get_int("blocks", m.blocks, 1, 64);
  }
  if (r.has("from")) {  // {from: registry, model: NAME, version: 3 | production | latest}
    r.get_choice("from", "registry", {"registry"});
    std::string name = r.require_string("model");
    m.weights = "models:/" + name + "/" + r.get_string("version", "latest");
    if (m.arch == "torchscript" && m.path.empty()) m.path = m.weights;
  } else {
    m.weights = r.get_string("weights", "");
  }
  return m;
}

}  // namespace itwin::config
