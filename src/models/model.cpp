// Model registry: architecture name -> builder; state-dict files.
#include "itwin/models/model.hpp"

#include <torch/csrc/jit/serialization/pickle.h>

#include <functional>

#include "builtin.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "torchscript.hpp"

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

[[noreturn]] void bad_input(const std::string& step, const std::string& arch, const std::string& need,
                            const std::vector<int64_t>& got) {
  throw RuntimeError("step '" + step + "': model '" + arch + "' needs " + need + " per sample, but the data gives " +
                     shape_str(got));
}

int64_t flat(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

using Builder = std::function<std::shared_ptr<Model>(const config::ModelSpec&, const ModelInput&, const std::string&)>;

// The architecture registry (config/parse_data.cpp validates the same names).
const std::vector<std::pair<std::string, Builder>>& builders() {
  static const std::vector<std::pair<std::string, Builder>> table = {
      {"cnn", [](const config::ModelSpec& s, const ModelInput& in, const std::string& step) -> std::shared_ptr<Model> {
         const auto& d = in.sample_shape;
         if (d.size() != 3 || d[1] < 16 || d[2] < 16) bad_input(step, "cnn", "an image [C, H, W] with H, W >= 16", d);
         return std::make_shared<NativeModel<Cnn>>(Cnn(d[0], d[1], d[2], in.outputs, s.dropout), "cnn (itwinai tutorial)");
       }},
      {"mlp", [](const config::ModelSpec& s, const ModelInput& in, const std::string&) -> std::shared_ptr<Model> {
         return std::make_shared<NativeModel<Mlp>>(Mlp(flat(in.sample_shape), s.hidden, in.outputs, s.dropout), "mlp");
       }},
      {"lstm", [](const config::ModelSpec& s, const ModelInput& in, const std::string& step) -> std::shared_ptr<Model> {
         if (in.sample_shape.size() != 2) bad_input(step, "lstm", "a sequence [T, F]", in.sample_shape);
         return std::make_shared<NativeModel<LstmRegressor>>(
             LstmRegressor(in.sample_shape[1], s.hidden_size, s.layers, s.dropout, in.outputs), "lstm");
       }},
      {"resnet", [](const config::ModelSpec& s, const ModelInput& in, const std::string& step) -> std::shared_ptr<Model> {
         if (in.sample_shape.size() != 3) bad_input(step, "resnet", "an image [C, H, W]", in.sample_shape);
         return std::make_shared<NativeModel<ResNet>>(ResNet(in.sample_shape[0], s.channels, s.blocks, in.outputs), "resnet");
       }},
      {"torchscript", [](const config::ModelSpec& s, const ModelInput&, const std::string& step) {
         return load_torchscript(s.path, step);
       }},
  };
  return table;
}

}  // namespace

int64_t Model::num_parameters() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::shared_ptr<Model> build_model(const config::ModelSpec& spec, const ModelInput& in, const std::string& step) {
  for (const auto& [name, build] : builders()) {
    if (name != spec.arch) continue;
    auto m = build(spec, in, step);
    if (!spec.weights.empty()) load_state_dict(*m, spec.weights);
    return m;
  }
  throw RuntimeError("step '" + step + "': unknown model architecture '" + spec.arch + "'");
}

void save_state_dict(Model& m, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, t] : m.state()) dict.insert(name, t.detach());
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
  if (!v.isGenericDict()) throw RuntimeError("weights '" + path + "' do not hold a state dict (a dict of tensors)");
  auto dict = v.toGenericDict();
  torch::NoGradGuard ng;
  size_t matched = 0;
  for (auto& [name, t] : m.state()) {
    auto it = dict.find(name);
    if (it == dict.end()) throw RuntimeError("weights '" + path + "' have no entry '" + name + "' for this model");
    auto src = it->value().toTensor();
    if (src.sizes() != t.sizes()) {
      throw RuntimeError("weights '" + path + "': '" + name + "' has shape " + shape_str(src.sizes().vec()) +
                         ", the model expects " + shape_str(t.sizes().vec()));
    }
    t.copy_(src);
    ++matched;
  }
  if (matched != dict.size()) {
    throw RuntimeError("weights '" + path + "' hold " + std::to_string(dict.size()) + " entries, the model has " +
                       std::to_string(matched) + " (a different architecture?)");
  }
}

}  // namespace itwin::models
