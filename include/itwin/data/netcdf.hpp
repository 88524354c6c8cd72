#pragma once
/// NetCDF reader (classic, 64-bit offset, CDF-5 and NetCDF-4 files) on the
/// NetCDF-C library, torch-free. Reads the variables of the root group as
/// data::Array, whole or as hyperslabs, with the CF conventions applied:
/// fill and missing values become NaN (and are counted), packed variables
/// (scale_factor, add_offset) are unpacked.
///
/// Every error is an itwin::RuntimeError whose message starts with the file
/// and names the variable ("d.nc: no variable 'precp' (did you mean
/// 'precip'?)"). Sizes are checked against a caller's memory budget before
/// anything is allocated. Calls are serialised by one process-wide lock
/// (NetCDF-C is not thread-safe): safe from several threads, not parallel.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "itwin/data/array.hpp"
#include "itwin/data/attribute.hpp"

namespace itwin::data {

struct NcDimension {
  std::string name;
  int64_t length = 0;
  bool unlimited = false;
};

struct NcVariable {
  std::string name;
  std::string type;            ///< NetCDF type: "float", "short", "char", "string", ...
  std::optional<DType> dtype;  ///< the dtype read() returns; nullopt: not numeric (text)
  std::vector<std::string> dims;
  std::vector<int64_t> shape;
  std::vector<int64_t> chunks;  ///< empty: contiguous (always for classic files)
  std::vector<Attribute> attributes;
  bool masked = false;  ///< has fill or missing values that read() turns into NaN
  bool packed = false;  ///< has scale_factor/add_offset that read() applies

  /// "precip(time=1825, catchment=300) float -> float32 'mm day-1'".
  std::string describe() const;
};

/// Values read from a variable: NaN where the file holds a fill or missing
/// value; `missing` counts the NaNs in `array` (including NaNs stored as such).
struct NcRead {
  Array array;
  int64_t missing = 0;
};

class NetcdfFile {
 public:
  /// Opens read-only; throws naming the file when it is missing, unreadable,
  /// not NetCDF, or truncated/corrupt as far as its header shows.
  explicit NetcdfFile(const std::string& path);
  ~NetcdfFile();
  NetcdfFile(const NetcdfFile&) = delete;
  NetcdfFile& operator=(const NetcdfFile&) = delete;

  const std::string& path() const { return path_; }
  /// "classic", "64-bit offset", "CDF-5", "netCDF-4" or "netCDF-4 classic model".
  const std::string& format() const { return format_; }
  const std::vector<NcDimension>& dimensions() const { return dims_; }
  const std::vector<NcVariable>& variables() const { return vars_; }
  const std::vector<Attribute>& attributes() const { return attrs_; }  ///< global attributes

  const NcVariable* find(const std::string& name) const;
  /// The variable, or an error listing the variables with a did-you-mean.
  const NcVariable& variable(const std::string& name) const;

  /// The whole variable, at most `max_bytes` of result.
  NcRead read(const std::string& name, size_t max_bytes) const;
  /// The hyperslab start[d] .. start[d] + count[d] in each dimension d.
  NcRead read(const std::string& name, const std::vector<int64_t>& start,
              const std::vector<int64_t>& count, size_t max_bytes) const;
  /// Rows [begin, end) of the first dimension, all of the others: the cheap
  /// slice a streaming dataset reads per rank and step.
  NcRead read_rows(const std::string& name, int64_t begin, int64_t end, size_t max_bytes) const;

  /// Variables that all have exactly the dimensions `dims`, side by side on a
  /// new last axis, as float32 [shape..., names.size()], rows [begin, end) of
  /// the first dimension (end = -1: to the last row). Static attributes:
  /// dims {"catchment"} gives [C, V]; dynamic forcing: dims {"time",
  /// "catchment"} and days [b, e) gives [e - b, C, V].
  NcRead read_stacked(const std::vector<std::string>& names, const std::vector<std::string>& dims,
                      int64_t begin, int64_t end, size_t max_bytes) const;

 private:
  std::string where(const std::string& variable) const;  ///< "FILE: variable 'x'"

  std::string path_;
  std::string format_;
  int id_ = -1;
  std::vector<NcDimension> dims_;
  std::vector<NcVariable> vars_;
  std::vector<Attribute> attrs_;
};

}  // namespace itwin::data
