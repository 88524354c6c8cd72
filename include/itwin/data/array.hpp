#pragma once
/// Raw n-dimensional arrays read from files (IDX, NPY/NPZ, CSV), before they
/// become tensors. Torch-free, so the readers compile fast and test alone.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace itwin::data {

enum class DType { U8, I8, I16, I32, I64, F32, F64, Bool };

const char* dtype_name(DType t);
size_t dtype_size(DType t);
bool dtype_is_integral(DType t);

struct Array {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;  ///< C order, native (little-endian) byte order

  int64_t numel() const;
  /// Element i converted to double (for checks and CSV-like use).
  double at(int64_t i) const;
  std::string shape_str() const;  ///< "[60000, 28, 28]"
};

/// The bytes an array of `shape` and `t` holds. Throws RuntimeError naming
/// `what` when a dimension is negative or the size exceeds the memory
/// available (memory_budget()): sizes a file declares are checked before
/// anything is allocated.
size_t checked_bytes(const std::vector<int64_t>& shape, DType t, const std::string& what);

/// The memory budget for data read into memory: available memory less a margin.
size_t memory_budget();

/// IDX (MNIST family): plain or gzip-compressed (`.gz`), big-endian on disk.
Array read_idx(const std::string& path);

/// NumPy .npy (format 1.0-3.0, C order, little-endian or 1-byte types).
Array read_npy(const std::string& path);
Array parse_npy(const std::string& bytes, const std::string& name);

/// NumPy .npz (zip of .npy files, stored or deflated, as np.savez[_compressed]).
std::map<std::string, Array> read_npz(const std::string& path);

/// Reads a whole file, inflating it when it is gzip-compressed (into one
/// buffer sized from the gzip trailer: no growing copies of a large file).
std::vector<unsigned char> read_maybe_gzip(const std::string& path);

/// CSV with a header row: the named columns as a [rows, columns] F64 array.
/// Empty `columns` = every column not in `exclude`.
struct CsvColumns {
  Array values;
  std::vector<std::string> names;
};
CsvColumns read_csv(const std::string& path, char delimiter,
                    const std::vector<std::string>& columns,
                    const std::vector<std::string>& exclude = {});

}  // namespace itwin::data
