// CSV tables with a header row.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "itwin/data/array.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {

CsvColumns read_csv(const std::string& path, char delimiter,
                    const std::vector<std::string>& columns,
                    const std::vector<std::string>& exclude) {
  std::ifstream in(path);
  if (!in) throw RuntimeError("cannot read CSV file '" + path + "': " + std::strerror(errno));
  std::string line;
  if (!std::getline(in, line))
    throw RuntimeError(path + ": empty CSV file (expected a header row)");
  std::vector<std::string> header = split(line, delimiter);
  for (auto& h : header) h = trim(h);
  CsvColumns out;
  std::vector<size_t> idx;
  if (columns.empty()) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (std::find(exclude.begin(), exclude.end(), header[i]) == exclude.end()) {
        idx.push_back(i);
        out.names.push_back(header[i]);
      }
    }
  } else {
    for (const auto& c : columns) {
      auto it = std::find(header.begin(), header.end(), c);
      if (it == header.end()) {
        throw RuntimeError(path + ":1: no column '" + c + "'" + did_you_mean(c, header) +
                           "; columns: " + join(header, ", "));
      }
      idx.push_back(static_cast<size_t>(it - header.begin()));
      out.names.push_back(c);
    }
  }
  if (idx.empty()) throw RuntimeError(path + ": no columns selected");
  std::vector<double> vals;
  int64_t rows = 0;
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (trim(line).empty()) continue;
    auto cells = split(line, delimiter);
    if (cells.size() != header.size()) {
      throw RuntimeError(path + ":" + std::to_string(lineno) + ": expected " +
                         std::to_string(header.size()) + " fields, found " +
                         std::to_string(cells.size()));
    }
    for (size_t i : idx) {
      std::string c = trim(cells[i]);
      char* end = nullptr;
      errno = 0;
      double v = std::strtod(c.c_str(), &end);
      if (c.empty() || *end != '\0') {
        throw RuntimeError(path + ":" + std::to_string(lineno) + ": column '" + header[i] +
                           "' is not a number: '" + c + "'");
      }
      vals.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw RuntimeError(path + ": no data rows");
  out.values.dtype = DType::F64;
  out.values.shape = {rows, static_cast<int64_t>(idx.size())};
  out.values.bytes.resize(vals.size() * sizeof(double));
  std::memcpy(out.values.bytes.data(), vals.data(), out.values.bytes.size());
  return out;
}

}  // namespace itwin::data
