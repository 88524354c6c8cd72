#include "tensor_check.hpp"

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include <fstream>
#include <set>

#include "itwin/util/error.hpp"

namespace itwin::models {

std::string tensor_problem(const torch::Tensor& t) {
  if (!t.defined()) return "an undefined tensor";
  if (t.layout() != torch::kStrided || !t.device().is_cpu()) return "not a dense CPU tensor";
  if (!t.has_storage()) return "a tensor without storage";
  if (t.storage_offset() < 0) return "a negative storage offset";
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.size(d) < 0 || t.stride(d) < 0) return "negative sizes or strides";
    if (t.size(d) == 0) return "";  // no elements: nothing is read
    last += (t.size(d) - 1) * t.stride(d);
  }
  const uint64_t need = static_cast<uint64_t>(last + 1) * t.element_size();
  const uint64_t have = t.storage().nbytes();
  if (need > have) {
    return "its data needs " + std::to_string(need) + " bytes but its storage holds " +
           std::to_string(have) + " (a truncated or damaged file)";
  }
  return "";
}

void check_storage_records(const std::string& path, const std::vector<torch::Tensor>& tensors) {
  std::ifstream in(path, std::ios::binary);
  char magic[2] = {0, 0};
  in.read(magic, 2);
  if (magic[0] != 'P' || magic[1] != 'K')
    return;  // the legacy format carries each storage's size with it
  in.seekg(0);
  uint64_t records = 0;
  try {
    caffe2::serialize::PyTorchStreamReader reader(&in);
    for (const auto& name : reader.getAllRecords()) {
      if (name.rfind("data/", 0) == 0 || name.rfind("constants/", 0) == 0)
        records += std::get<1>(reader.getRecord(name));
    }
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw RuntimeError(path + ": not a readable torch archive: " + msg.substr(0, msg.find('\n')));
  }
  uint64_t claimed = 0;
  std::set<const void*> seen;
  for (const auto& t : tensors) {
    if (!t.defined() || !t.has_storage()) continue;
    if (seen.insert(t.storage().unsafeGetStorageImpl()).second) claimed += t.storage().nbytes();
  }
  if (claimed > records) {
    throw RuntimeError(path + ": its tensors claim " + std::to_string(claimed) +
                       " bytes of data but the file holds " + std::to_string(records) +
                       " (a truncated or damaged file)");
  }
}

void check_archive(const std::string& path) {
  torch::jit::Module m;
  try {
    m = torch::jit::load(path);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw RuntimeError(path + ": not a readable torch archive: " + msg.substr(0, msg.find('\n')));
  }
  std::vector<torch::Tensor> all;
  for (const auto& a : m.named_attributes(/*recurse=*/true)) {
    if (!a.value.isTensor()) continue;
    if (std::string why = tensor_problem(a.value.toTensor()); !why.empty()) {
      throw RuntimeError(path + ": entry '" + a.name + "': " + why);
    }
    all.push_back(a.value.toTensor());
  }
  check_storage_records(path, all);
}

}  // namespace itwin::models
