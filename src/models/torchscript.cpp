#include "torchscript.hpp"

#include <torch/script.h>

#include <filesystem>

#include "itwin/util/error.hpp"
#include "tensor_check.hpp"

namespace itwin::models {
namespace {

class ScriptModel : public Model {
 public:
  ScriptModel(torch::jit::Module m, std::string path) : m_(std::move(m)), path_(std::move(path)) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    auto out = m_.forward({x});
    if (!out.isTensor())
      throw RuntimeError("TorchScript model " + path_ + ": forward must return one tensor");
    return out.toTensor();
  }
  std::vector<torch::Tensor> parameters() override {
    std::vector<torch::Tensor> v;
    for (const auto& p : m_.parameters()) v.push_back(p);
    return v;
  }
  std::vector<std::pair<std::string, torch::Tensor>> state() override {
    std::vector<std::pair<std::string, torch::Tensor>> v;
    for (const auto& p : m_.named_parameters()) v.emplace_back(p.name, p.value);
    for (const auto& b : m_.named_buffers()) v.emplace_back(b.name, b.value);
    return v;
  }
  void set_training(bool on) override { m_.train(on); }
  void to(const torch::Device& d) override { m_.to(d); }
  std::string describe() const override { return "torchscript " + path_; }
  bool save_torchscript(const std::string& path) override {
    m_.save(path);
    return true;
  }

 private:
  torch::jit::Module m_;
  std::string path_;
};

}  // namespace

std::shared_ptr<Model> load_torchscript(const std::string& path, const std::string& step) {
  if (!std::filesystem::is_regular_file(path)) {
    throw RuntimeError("step '" + step + "': TorchScript file '" + path + "' does not exist");
  }
  try {
    check_archive(path);  // every tensor's storage against the file, before anything reads them
    auto m = torch::jit::load(path);
    for (auto p : m.parameters()) p.requires_grad_(true);
    return std::make_shared<ScriptModel>(std::move(m), path);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw RuntimeError("step '" + step + "': cannot load TorchScript model '" + path +
                       "': " + msg.substr(0, msg.find('\n')));
  }
}

}  // namespace itwin::models
