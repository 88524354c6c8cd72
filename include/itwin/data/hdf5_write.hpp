#pragma once
/// Writing HDF5 files (serial HDF5 C library, torch-free): what `generate`
/// steps produce, e.g. generated calorimeter showers in the 3DGAN layout
/// (`ECAL` [N, 25, 25, 25] float32, `energy` [N]). The file is written under
/// a temporary name and renamed into place: a failure leaves no half-written
/// file. Numeric arrays only; datasets of two or more dimensions are chunked
/// by rows and deflate-compressed (the layout generate.py writes).

#include <string>
#include <utility>
#include <vector>

#include "itwin/data/array.hpp"
#include "itwin/data/attribute.hpp"

namespace itwin::data {

struct H5Output {
  std::string name;  ///< dataset name (no groups)
  Array data;
  std::vector<Attribute> attributes;  ///< e.g. units
};

/// Writes `datasets` and the file attributes `attributes` to `path`
/// (replacing it). Throws RuntimeError naming the file, the dataset and
/// HDF5's reason.
void write_hdf5(const std::string& path, const std::vector<H5Output>& datasets,
                const std::vector<Attribute>& attributes = {});

}  // namespace itwin::data
