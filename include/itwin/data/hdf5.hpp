#pragma once
/// HDF5 reader on the HDF5 C library (serial), torch-free. Lists every
/// dataset of a file (in groups too) with shape, type and chunking, and reads
/// a dataset whole, as a hyperslab, or as rows [begin, end) of its first
/// dimension: the slice a streaming dataset reads per rank and step, so a
/// file larger than memory is read a chunk at a time. Open datasets and their
/// chunk caches are kept for the life of the Hdf5File, so consecutive row
/// ranges do not decompress a chunk twice.
///
/// Every error is an itwin::RuntimeError whose message starts with the file
/// and names the dataset, with HDF5's own reason for library failures
/// ("x.h5: cannot open as HDF5: truncated file: eof = ..."). Sizes are checked
/// against a caller's memory budget before anything is allocated. Calls are
/// serialised by one process-wide lock shared with the NetCDF reader.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "itwin/data/array.hpp"
#include "itwin/data/attribute.hpp"

namespace itwin::data {

struct H5Dataset {
  std::string name;                  ///< path without the leading '/': "ECAL", "group/x"
  std::string type;                  ///< "float32", "uint16", "bool", "string", "compound", ...
  std::optional<DType> dtype;        ///< the dtype read() returns; nullopt: not numeric
  std::vector<int64_t> shape;        ///< [] for a scalar
  std::vector<int64_t> chunks;       ///< empty: not chunked
  std::vector<std::string> filters;  ///< "deflate", "shuffle", ...
  std::vector<Attribute> attributes;

  /// "ECAL [1000, 25, 25, 25] float32 chunks [16, 25, 25, 25] deflate+shuffle".
  std::string describe() const;
};

class Hdf5File {
 public:
  /// Opens read-only; throws naming the file when it is missing, unreadable,
  /// not HDF5, or truncated/corrupt.
  explicit Hdf5File(const std::string& path);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  const std::string& path() const { return path_; }
  /// Every dataset, in groups too, sorted by name.
  const std::vector<H5Dataset>& datasets() const { return datasets_; }
  const std::vector<Attribute>& attributes() const { return attrs_; }  ///< of the root group

  /// `name` with or without the leading '/'.
  const H5Dataset* find(const std::string& name) const;
  /// The dataset, or an error listing the datasets with a did-you-mean.
  const H5Dataset& dataset(const std::string& name) const;

  /// The whole dataset, at most `max_bytes` of result.
  Array read(const std::string& name, size_t max_bytes) const;
  /// The hyperslab start[d] .. start[d] + count[d] in each dimension d.
  Array read(const std::string& name, const std::vector<int64_t>& start,
             const std::vector<int64_t>& count, size_t max_bytes) const;
  /// Rows [begin, end) of the first dimension, all of the others.
  Array read_rows(const std::string& name, int64_t begin, int64_t end, size_t max_bytes) const;
  /// Rows [begin, end) converted by HDF5 to float32 straight into `out`
  /// (room for their every element): no intermediate buffer and no torch, so
  /// that a streaming reader thread costs one pass over the block.
  void read_rows_float(const std::string& name, int64_t begin, int64_t end, float* out,
                       size_t max_bytes) const;

 private:
  struct Impl;
  void load();  ///< lists datasets and attributes; the caller holds the library lock
  /// The hyperslab into `out` as `mem_type` (checked by the callers).
  void read_into(const H5Dataset& d, const std::string& w, const std::vector<int64_t>& start,
                 const std::vector<int64_t>& count, int64_t mem_type, void* out) const;
  std::string path_;
  std::unique_ptr<Impl> impl_;
  std::vector<H5Dataset> datasets_;
  std::vector<Attribute> attrs_;
};

}  // namespace itwin::data
