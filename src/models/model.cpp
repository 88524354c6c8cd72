// Building the model of a step (a switch over the architecture catalog); state-dict files.
#include "itwin/models/model.hpp"

#include <torch/csrc/jit/serialization/pickle.h>

#include "builtin.hpp"
#include "gan3d.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "tensor_check.hpp"
#include "torchscript.hpp"
#include "unet1d.hpp"

namespace itwin::models {
namespace {

template <class M>
class NativeModel : public Model {
 public:
  NativeModel(M m, std::string what) : m_(std::move(m)), what_(std::move(what)) {}
  torch::Tensor forward(const torch::Tensor& x) override { return m_->forward(x); }
  std::vector<torch::Tensor> parameters() override { return m_->parameters(); }
  std::vector<std::pair<std::string, torch::Tensor>> state() override {
    std::vector<std::pair<std::string, torch::Tensor>> v;
    for (const auto& p : m_->named_parameters()) v.emplace_back(p.key(), p.value());
    for (const auto& b : m_->named_buffers()) v.emplace_back(b.key(), b.value());
    return v;
  }
  void set_training(bool on) override { m_->train(on); }
  void to(const torch::Device& d) override { m_->to(d); }
  std::string describe() const override { return what_; }

 private:
  M m_;
  std::string what_;
};

std::string shape_str(const std::vector<int64_t>& s) {
  std::vector<std::string> parts;
  for (auto d : s) parts.push_back(std::to_string(d));
  return "[" + join(parts, ", ") + "]";
}

int64_t flat(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

}  // namespace

std::string input_problem(const config::ModelSpec& spec, const ModelInput& in) {
  const auto& d = in.sample_shape;
  auto need = [&](const std::string& what) {
    return "model '" + std::string(config::arch_catalog().name(spec.arch)) + "' needs " + what +
           " per sample, but the data gives " + shape_str(d);
  };
  switch (spec.arch) {
    case config::Arch::Cnn:
      if (d.size() != 3 || d[1] < 16 || d[2] < 16)
        return need("an image [C, H, W] with H, W >= 16");
      return "";
    case config::Arch::Lstm:
      if (d.size() != 2) return need("a sequence [T, F]");
      return "";
    case config::Arch::Resnet:
      if (d.size() != 3) return need("an image [C, H, W]");
      return "";
    case config::Arch::Mlp:
    case config::Arch::Torchscript:
      return "";
    case config::Arch::Unet1d:
      if (std::string why = unet1d_problem(spec.channels.at(0), spec.depth, spec.kernel);
          !why.empty())
        return why;
      if (d.size() != 2) return need("a series [C, T]");
      if (in.outputs != d[1]) {
        return "model 'unet1d' predicts one value per time step (" + std::to_string(d[1]) +
               " for samples " + shape_str(d) + "), but y has " + std::to_string(in.outputs) +
               " per sample: the target must be a dataset [N, " + std::to_string(d[1]) + "]";
      }
      return "";
    case config::Arch::Gan3dGenerator:
    case config::Arch::Gan3dDiscriminator: {
      const bool gen = spec.arch == config::Arch::Gan3dGenerator;
      if (std::string why = gan3d_problem(gen, spec.shape, spec.channels); !why.empty()) return why;
      if (d.empty()) return "";  // no data set before it: sized by the config alone
      if (d != spec.shape || in.outputs != spec.conditions) {
        return "model '" + std::string(config::arch_catalog().name(spec.arch)) +
               "' is configured for samples " + shape_str(spec.shape) + " with " +
               std::to_string(spec.conditions) +
               " condition(s) (keys shape, conditions), but the data gives samples " +
               shape_str(d) + " with " + std::to_string(in.outputs) + " per-sample value(s) in y";
      }
      return "";
    }
  }
  return "";
}

namespace {

std::shared_ptr<Model> build(const config::ModelSpec& s, const ModelInput& in,
                             const std::string& step) {
  if (s.arch != config::Arch::Torchscript) {
    if (std::string why = input_problem(s, in); !why.empty())
      throw RuntimeError("step '" + step + "': " + why);
  }
  const auto& d = in.sample_shape;
  switch (s.arch) {
    case config::Arch::Cnn:
      return std::make_shared<NativeModel<Cnn>>(Cnn(d[0], d[1], d[2], in.outputs, s.dropout),
                                                "cnn (itwinai tutorial)");
    case config::Arch::Mlp:
      switch (s.role) {  // a GAN's part: noise + conditions -> a sample, or a sample -> score +
                         // conditions
        case config::GanRole::Generator:
          return std::make_shared<NativeModel<Mlp>>(
              Mlp(s.latent + in.outputs, s.hidden, flat(d), s.dropout), "mlp generator");
        case config::GanRole::Discriminator:
          return std::make_shared<NativeModel<Mlp>>(
              Mlp(flat(d), s.hidden, 1 + in.outputs, s.dropout), "mlp discriminator");
        case config::GanRole::None:
          break;
      }
      return std::make_shared<NativeModel<Mlp>>(Mlp(flat(d), s.hidden, in.outputs, s.dropout),
                                                "mlp");
    case config::Arch::Lstm:
      return std::make_shared<NativeModel<LstmRegressor>>(
          LstmRegressor(d[1], s.hidden_size, s.layers, s.dropout, in.outputs), "lstm");
    case config::Arch::Resnet:
      return std::make_shared<NativeModel<ResNet>>(ResNet(d[0], s.channels, s.blocks, in.outputs),
                                                   "resnet");
    case config::Arch::Torchscript:
      return load_torchscript(s.path, step);
    case config::Arch::Unet1d:
      return std::make_shared<NativeModel<Unet1d>>(
          Unet1d(d[0], s.channels.at(0), s.depth, s.kernel),
          "unet1d (channels " + std::to_string(s.channels.at(0)) + ", depth " +
              std::to_string(s.depth) + ", kernel " + std::to_string(s.kernel) + ")");
    case config::Arch::Gan3dGenerator:
      return std::make_shared<NativeModel<Gan3dGenerator>>(
          Gan3dGenerator(s.latent, s.conditions, s.shape, s.channels),
          "gan3d_generator (latent " + std::to_string(s.latent) + ", " +
              std::to_string(s.conditions) + " condition(s), " + shape_str(s.shape) + ")");
    case config::Arch::Gan3dDiscriminator:
      return std::make_shared<NativeModel<Gan3dDiscriminator>>(
          Gan3dDiscriminator(s.conditions, s.shape, s.channels),
          "gan3d_discriminator (" + shape_str(s.shape) + ")");
  }
  throw RuntimeError("step '" + step + "': unhandled model architecture");
}

}  // namespace

int64_t Model::num_parameters() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::shared_ptr<Model> build_model(const config::ModelSpec& spec, const ModelInput& in,
                                   const std::string& step) {
  auto m = build(spec, in, step);
  if (!spec.weights.empty()) load_state_dict(*m, spec.weights);
  return m;
}

void save_state_dict(Model& m, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, t] : m.state())
    dict.insert(name, t.detach().to(torch::kCPU));  // readable without a GPU
  std::vector<char> bytes = torch::jit::pickle_save(dict);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void load_state_dict(Model& m, const std::string& path) {
  std::string bytes = read_file(path);
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw RuntimeError("cannot read weights '" + path + "': " + msg.substr(0, msg.find('\n')));
  }
  if (!v.isGenericDict())
    throw RuntimeError("weights '" + path + "' do not hold a state dict (a dict of tensors)");
  auto dict = v.toGenericDict();
  // Every entry checked before any is used: names, types, shapes, dtypes and storage sizes.
  std::map<std::string, torch::Tensor> entries;
  for (const auto& e : dict) {
    if (!e.key().isString())
      throw RuntimeError("weights '" + path + "' hold a key that is not a name");
    const std::string name = e.key().toStringRef();
    if (!e.value().isTensor()) {
      throw RuntimeError("weights '" + path + "': '" + name + "' is a " + e.value().tagKind() +
                         ", not a tensor");
    }
    entries[name] = e.value().toTensor();
  }
  std::vector<torch::Tensor> all;
  for (const auto& [name, t] : entries) all.push_back(t);
  check_storage_records(path, all);
  auto state = m.state();
  for (auto& [name, t] : state) {
    auto it = entries.find(name);
    if (it == entries.end())
      throw RuntimeError("weights '" + path + "' have no entry '" + name + "' for this model");
    const auto& src = it->second;
    if (std::string why = tensor_problem(src); !why.empty()) {
      throw RuntimeError("weights '" + path + "': '" + name + "': " + why);
    }
    if (src.sizes() != t.sizes()) {
      throw RuntimeError("weights '" + path + "': '" + name + "' has shape " +
                         shape_str(src.sizes().vec()) + ", the model expects " +
                         shape_str(t.sizes().vec()));
    }
    if (src.is_floating_point() != t.is_floating_point()) {
      throw RuntimeError("weights '" + path + "': '" + name + "' has dtype " +
                         std::string(c10::toString(src.scalar_type())) + ", the model expects " +
                         c10::toString(t.scalar_type()));
    }
  }
  if (state.size() != entries.size()) {
    throw RuntimeError("weights '" + path + "' hold " + std::to_string(entries.size()) +
                       " entries, the model has " + std::to_string(state.size()) +
                       " (a different architecture?)");
  }
  torch::NoGradGuard ng;
  for (auto& [name, t] : state) t.copy_(entries[name]);
}

}  // namespace itwin::models
