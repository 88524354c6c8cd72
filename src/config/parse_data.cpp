// `type: dataset` and `type: model` steps.
#include <limits>

#include "itwin/util/error.hpp"
#include "parse_steps.hpp"

namespace itwin::config {
namespace {

void parse_synthetic(Reader& r, SyntheticSpec& y) {
  Reader s = r.sub("synthetic");
  y.task = s.get_enum("task", synthetic_task_catalog(), y.task);
  y.samples = s.get_int("samples", y.samples, 2, int64_t{1} << 31);
  y.features = s.get_int("features", y.features, 1, 1 << 20);
  switch (y.task) {
    case SyntheticTask::Classification:
      y.classes = s.get_int("classes", y.classes, 2, 100000);
      break;
    case SyntheticTask::Sequence:
      y.seq_len = s.get_int("seq_len", y.seq_len, 1, 100000);
      y.targets = s.get_int("targets", y.targets, 1, 1024);
      break;
    case SyntheticTask::Regression:
      y.targets = s.get_int("targets", y.targets, 1, 1024);
      break;
  }
  y.noise = s.get_double("noise", y.noise, 0.0);
  s.finish();
}

// mlp and torchscript models may play a part in a GAN; a generator says its noise size.
void parse_role(Reader& r, ModelSpec& m) {
  m.role = r.get_enum("role", gan_role_catalog(), m.role);
  if (m.role == GanRole::Generator) m.latent = r.get_int("latent", m.latent, 1, 1 << 20);
}

// The 3DGAN networks are sized by the config (inference needs no data set);
// a data set before them must match (models::input_problem).
void parse_gan3d(Reader& r, ModelSpec& m) {
  const bool gen = m.arch == Arch::Gan3dGenerator;
  m.role = gen ? GanRole::Generator : GanRole::Discriminator;
  if (gen) m.latent = r.get_int("latent", m.latent, 1, 1 << 20);
  m.shape = r.get_int_list("shape", m.shape, 1, 4096);
  if (m.shape.size() != 3) r.fail("shape", "must be the grid [X, Y, Z] (three sizes)");
  m.conditions = r.get_int("conditions", m.conditions, 0, 64);
  m.channels = r.get_int_list(
      "channels", gen ? std::vector<int64_t>{32, 16, 8} : std::vector<int64_t>{8, 16, 32}, 1, 4096);
  if (m.channels.empty() || m.channels.size() > 6)
    r.fail("channels", "must list 1 to 6 stage widths");
}

}  // namespace

DatasetSpec parse_dataset(Reader& r) {
  DatasetSpec d;
  d.format = r.get_enum("format", data_format_catalog());
  switch (d.format) {
    case DataFormat::Idx:
      d.path = r.require_string("path");
      break;
    case DataFormat::Npz:
      d.path = r.require_string("path");
      d.x_key = r.get_string("x_key", d.x_key);
      d.y_key = r.get_string("y_key", d.y_key);
      break;
    case DataFormat::Npy:
      d.path = r.require_string("path");
      d.labels = r.require_string("labels");
      break;
    case DataFormat::Csv:
      d.path = r.require_string("path");
      d.targets = r.get_string_list("targets", {});
      if (d.targets.empty()) r.fail("targets", "must name at least one target column");
      d.features = r.get_string_list("features", {});
      d.delimiter = r.get_string("delimiter", d.delimiter);
      if (d.delimiter.size() != 1) r.fail("delimiter", "must be a single character");
      break;
    case DataFormat::Synthetic:
      parse_synthetic(r, d.synthetic);
      break;
    case DataFormat::Hdf5:
      d.path = r.require_string("path");
      d.x_key = r.require_string("x");
      d.y_keys = r.get_string_list("y", {});
      for (const auto& y : d.y_keys) {
        if (y == d.x_key)
          r.fail("y", "names the samples' dataset '" + y + "' (x) as a label or condition too");
      }
      parse_stream(r, d, "block_rows");
      break;
    case DataFormat::Netcdf:  // its own split, normalisation and windows
      parse_stream(r, d, "block_steps");
      parse_netcdf(r, d);
      if (d.stream.mode != StreamMode::Off && !d.netcdf.derived.empty())
        r.fail("stream",
               "cannot be used with derived variables: they are computed over the whole "
               "cube in memory (set stream: false)");
      return d;
  }
  if (d.format == DataFormat::Npz || d.format == DataFormat::Npy || d.format == DataFormat::Csv ||
      d.format == DataFormat::Hdf5) {
    d.task = r.get_enum("task", task_catalog(), d.task);
  }
  Reader sp = r.sub("split");
  const double big = static_cast<double>(std::numeric_limits<int32_t>::max());
  d.split.validation = sp.get_double("validation", d.split.validation, 0.0, big);
  d.split.test = sp.get_double("test", d.format == DataFormat::Idx ? 0.0 : d.split.test, 0.0, big);
  if (d.format == DataFormat::Idx && d.split.test != 0) {
    sp.fail("test", "cannot be set for idx data: the t10k files are the test set");
  }
  if (d.split.validation < 1 && d.split.test < 1 && d.split.validation + d.split.test >= 1) {
    throw ConfigError(sp.mark().str() + ": " + sp.what() +
                      ": validation + test fractions must leave training data");
  }
  sp.finish();
  d.shuffle = r.get_bool("shuffle", d.shuffle);
  d.limit = r.get_int("limit", d.limit, 0);
  if (r.is_map("normalize")) {
    Reader n = r.sub("normalize");
    d.normalize = NormalizeKind::Fixed;
    d.mean = n.get_double_list("mean", {});
    d.std = n.get_double_list("std", {});
    if (d.mean.empty() || d.mean.size() != d.std.size()) {
      throw ConfigError(n.mark().str() + ": " + n.what() +
                        ": 'mean' and 'std' must be non-empty lists of equal length");
    }
    for (double s : d.std) {
      if (s <= 0) n.fail("std", "values must be > 0");
    }
    n.finish();
  } else {
    d.normalize = r.get_enum("normalize", normalize_catalog(), NormalizeKind::None);
    if (d.normalize == NormalizeKind::Fixed)
      r.fail("normalize", "fixed needs the values: write normalize: {mean: [...], std: [...]}");
  }
  return d;
}

ModelSpec parse_model(Reader& r) {
  ModelSpec m;
  m.arch = r.get_enum("arch", arch_catalog());
  switch (m.arch) {
    case Arch::Torchscript:
      if (!r.has("from")) m.path = r.require_string("path");
      parse_role(r, m);
      break;
    case Arch::Gan3dGenerator:
    case Arch::Gan3dDiscriminator:
      parse_gan3d(r, m);
      break;
    case Arch::Cnn:
      m.dropout = r.get_double("dropout", 0.5, 0.0, 1.0);
      break;
    case Arch::Mlp:
      m.hidden = r.get_int_list("hidden", m.hidden, 1, 1 << 24);
      m.dropout = r.get_double("dropout", 0.0, 0.0, 1.0);
      parse_role(r, m);
      break;
    case Arch::Lstm:
      m.hidden_size = r.get_int("hidden_size", m.hidden_size, 1, 1 << 20);
      m.layers = r.get_int("layers", m.layers, 1, 64);
      m.dropout = r.get_double("dropout", 0.0, 0.0, 1.0);
      break;
    case Arch::Resnet:
      m.channels = r.get_int_list("channels", m.channels, 1, 1 << 16);
      if (m.channels.empty()) r.fail("channels", "must list at least one stage width");
      m.blocks = r.get_int("blocks", m.blocks, 1, 64);
      break;
    case Arch::Unet1d:  // sized by the config; the time length comes from the data
      m.channels = {r.get_int("channels", 16, 1, 1024)};
      m.depth = r.get_int("depth", m.depth, 1, 8);
      m.kernel = r.get_int("kernel", m.kernel, 1, 255);
      if (m.kernel % 2 == 0) r.fail("kernel", "must be odd (same padding keeps the length)");
      break;
  }
  if (r.has("from")) {  // {from: registry, model: NAME, version: 3 | production | latest}
    r.get_choice("from", "registry", {"registry"});
    std::string name = r.require_string("model");
    m.weights = "models:/" + name + "/" + r.get_string("version", "latest");
    if (m.arch == Arch::Torchscript && m.path.empty()) m.path = m.weights;
  } else {
    m.weights = r.get_string("weights", "");
  }
  return m;
}

}  // namespace itwin::config
