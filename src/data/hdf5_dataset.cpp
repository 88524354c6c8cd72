// `format: hdf5`: samples and per-sample columns from datasets of one file.
#include "hdf5_dataset.hpp"

#include <cmath>
#include <cstring>

#include "itwin/data/datacube.hpp"
#include "itwin/data/hdf5.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::vector<std::string> parts;
  for (auto d : shape) parts.push_back(std::to_string(d));
  return "[" + join(parts, ", ") + "]";
}

const H5Dataset& numeric(const Hdf5File& f, const std::string& name, const std::string& who) {
  if (!f.find(name)) {  // the config names what the file lacks: exit 2 at the step
    try {
      f.dataset(name);
    } catch (const Error& e) {  // its message lists the file's datasets, did-you-mean
      throw DataMismatch(e.what());
    }
  }
  const H5Dataset& d = f.dataset(name);
  if (!d.dtype)
    throw DataMismatch(who + ": dataset '" + d.name + "' has type " + d.type + ", not numbers");
  if (d.shape.empty())
    throw DataMismatch(who + ": dataset '" + d.name +
                       "' is a scalar; it needs a first (sample) dimension");
  return d;
}

// Training on a NaN gives a NaN loss epochs later; say where it is now.
void check_finite(const Array& a, const Hdf5File& f, const H5Dataset& d, const std::string& who) {
  if (dtype_is_integral(a.dtype)) return;
  const int64_t n = a.numel(), per = a.shape.empty() || a.shape[0] == 0 ? 1 : n / a.shape[0];
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(a.at(i)) && bad++ == 0) first = i;
  }
  if (bad == 0) return;
  throw RuntimeError(who + ": " + f.path() + ": dataset '" + d.name + "' has " +
                     std::to_string(bad) + " NaN or infinite value" + (bad == 1 ? "" : "s") +
                     ", the first in sample " + std::to_string(first / per) + " (flat index " +
                     std::to_string(first) + ")");
}

}  // namespace

Hdf5Arrays read_hdf5_dataset(const config::DatasetSpec& spec, const std::string& who, bool read_x) {
  Hdf5File f(spec.path);
  Hdf5Arrays out;
  const H5Dataset& xd = numeric(f, spec.x_key, who);
  const int64_t n = xd.shape[0];
  out.x_shape = xd.shape;
  out.description = "hdf5 " + spec.path + ": " + xd.describe();
  // The columns of y: each dataset [N] or [N, k], in the order listed.
  std::vector<Array> cols;
  int64_t width = 0;
  bool integral = true;
  for (const auto& name : spec.y_keys) {
    const H5Dataset& yd = numeric(f, name, who);
    if (yd.shape[0] != n || yd.shape.size() > 2) {
      throw DataMismatch(who + ": dataset '" + yd.name + "' has shape " + shape_string(yd.shape) +
                         "; as y it must be [" + std::to_string(n) + "] or [" + std::to_string(n) +
                         ", k], one row per sample of '" + xd.name + "'");
    }
    cols.push_back(f.read(name, memory_budget()));
    check_finite(cols.back(), f, yd, who);
    width += yd.shape.size() == 2 ? yd.shape[1] : 1;
    integral = integral && dtype_is_integral(*yd.dtype);
  }
  if (!spec.y_keys.empty()) out.description += "; y: " + join(spec.y_keys, ", ");
  if (read_x) {  // streamed: the blocks are read (and checked) as training reaches them
    out.x = f.read(spec.x_key, memory_budget());
    check_finite(out.x, f, xd, who);
  }
  // Interleave the columns into rows [N, width].
  out.y.dtype = integral && !cols.empty() ? DType::I64 : DType::F64;
  out.y.shape = {n, width};
  out.y.bytes.resize(static_cast<size_t>(n * width) * 8);
  int64_t c0 = 0;
  for (const auto& col : cols) {
    const int64_t k = col.shape.size() == 2 ? col.shape[1] : 1;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < k; ++j) {
        const double v = col.at(i * k + j);
        unsigned char* p = out.y.bytes.data() + static_cast<size_t>(i * width + c0 + j) * 8;
        if (out.y.dtype == DType::I64) {
          const auto iv = static_cast<int64_t>(v);
          std::memcpy(p, &iv, 8);
        } else {
          std::memcpy(p, &v, 8);
        }
      }
    }
    c0 += k;
  }
  return out;
}

}  // namespace itwin::data
