#pragma once
// Checks of tensors read from files, before anything reads their data
// (internal to src/models and src/train): a file whose storages are shorter
// than its tensors claim would make LibTorch read past the end.

#include <torch/torch.h>

#include <string>

namespace itwin::models {

/// Why `t` cannot be used safely ("" when it can): undefined, not a dense CPU
/// tensor, negative strides or offset, or a storage shorter than the elements
/// its sizes and strides reach.
std::string tensor_problem(const torch::Tensor& t);

/// Reads a TorchScript/torch::save archive (zip) and checks every tensor in
/// it; throws RuntimeError naming the file and the entry.
void check_archive(const std::string& path);

/// For a zip archive (torch.save's format): the storages of `tensors` claim
/// no more bytes than the archive's data records hold. LibTorch sizes a
/// storage by what the pickle claims, not by its record, so a cut record is
/// otherwise read past its end. Throws RuntimeError naming the file.
void check_storage_records(const std::string& path, const std::vector<torch::Tensor>& tensors);

}  // namespace itwin::models
