// The classic NetCDF formats (CDF-1, CDF-2, CDF-5) keep every variable's
// byte offset in the header. NetCDF-C opens a truncated classic file without
// complaint and reads the missing bytes as zeros, so the reader walks the
// header itself (the format specification's grammar) and checks that the file
// is as long as the header says.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "itwin/util/error.hpp"
#include "netcdf_check.hpp"

namespace itwin::data::detail {
namespace {

class HeaderReader {
 public:
  HeaderReader(const std::string& path, uint64_t size)
      : in_(path, std::ios::binary), path_(path), size_(size) {}

  uint64_t number(int bytes) {  // big-endian, as the format stores every number
    need(static_cast<uint64_t>(bytes));
    unsigned char b[8];
    in_.read(reinterpret_cast<char*>(b), bytes);
    pos_ += static_cast<uint64_t>(bytes);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | b[i];
    return v;
  }
  void skip(uint64_t n) {
    need(n);
    in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
    pos_ += n;
  }
  [[noreturn]] void corrupt(const std::string& why) const {
    throw RuntimeError(path_ + ": corrupt NetCDF header: " + why + " at byte " +
                       std::to_string(pos_));
  }

 private:
  void need(uint64_t n) const {
    if (n > size_ - pos_ || !in_) {
      throw RuntimeError(path_ +
                         ": truncated NetCDF file: the header goes on past the end of the file (" +
                         std::to_string(size_) + " bytes)");
    }
  }
  std::ifstream in_;
  std::string path_;
  uint64_t size_, pos_ = 0;
};

uint64_t pad4(uint64_t n) { return (n + 3) & ~uint64_t(3); }

uint64_t type_size(HeaderReader& r, uint64_t type) {
  static const uint64_t sizes[] = {0, 1, 1, 2, 4, 4,
                                   8, 1, 2, 4, 8, 8};  // NC_BYTE = 1 .. NC_UINT64 = 11
  if (type == 0 || type > 11) r.corrupt("unknown type " + std::to_string(type));
  return sizes[type];
}

}  // namespace

void check_classic_length(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // the open reports it
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < 4) return;
  HeaderReader r(path, size);
  const uint64_t magic = r.number(4);
  const uint64_t version = magic & 0xff;
  if ((magic >> 8) != 0x434446 || (version != 1 && version != 2 && version != 5)) return;  // "CDF"
  const int nn = version == 5 ? 8 : 4;      // NON_NEG
  const int offset = version == 1 ? 4 : 8;  // OFFSET
  const uint64_t numrecs = r.number(nn);
  const bool streaming = numrecs == (version == 5 ? ~uint64_t(0) : 0xffffffffu);
  auto list = [&](uint64_t tag) {
    const uint64_t t = r.number(4), n = r.number(nn);
    if (t != tag && !(t == 0 && n == 0)) r.corrupt("expected list tag " + std::to_string(tag));
    return n;
  };
  auto name = [&] {
    const uint64_t n = r.number(nn);
    if (n > size) r.corrupt("name of " + std::to_string(n) + " bytes");
    r.skip(pad4(n));
  };
  auto attributes = [&] {
    for (uint64_t i = 0, n = list(0x0C); i < n; ++i) {
      name();
      const uint64_t type = r.number(4), count = r.number(nn);
      if (count > size) r.corrupt("attribute of " + std::to_string(count) + " values");
      r.skip(pad4(count * type_size(r, type)));
    }
  };
  std::vector<uint64_t> dims;
  for (uint64_t i = 0, n = list(0x0A); i < n; ++i) {
    name();
    dims.push_back(r.number(nn));  // 0: the record (unlimited) dimension
  }
  attributes();
  struct Var {
    uint64_t begin, bytes;
    bool record;
  };
  std::vector<Var> vars;
  for (uint64_t i = 0, n = list(0x0B); i < n; ++i) {
    name();
    const uint64_t rank = r.number(nn);
    double bytes = 1;
    bool record = false;
    for (uint64_t k = 0; k < rank; ++k) {
      const uint64_t id = r.number(nn);
      if (id >= dims.size()) r.corrupt("dimension id " + std::to_string(id) + " out of range");
      if (k == 0 && dims[id] == 0)
        record = true;
      else
        bytes *= static_cast<double>(dims[id]);
    }
    attributes();
    bytes *= static_cast<double>(type_size(r, r.number(4)));
    r.number(nn);  // vsize: redundant, and clipped for large variables
    const uint64_t begin = r.number(offset);
    vars.push_back({begin, static_cast<uint64_t>(bytes), record});
  }
  // Records interleave the record variables, each padded to 4 bytes unless there is only one.
  const auto n_record =
      std::count_if(vars.begin(), vars.end(), [](const Var& v) { return v.record; });
  double recsize = 0;
  for (const auto& v : vars)
    if (v.record) recsize += static_cast<double>(n_record == 1 ? v.bytes : pad4(v.bytes));
  double end = 0;
  for (const auto& v : vars) {
    if (!v.record)
      end = std::max(end, static_cast<double>(v.begin + v.bytes));
    else if (!streaming && numrecs > 0)
      end =
          std::max(end, static_cast<double>(v.begin) + static_cast<double>(numrecs - 1) * recsize +
                            static_cast<double>(v.bytes));
  }
  if (end > static_cast<double>(size)) {
    throw RuntimeError(path + ": truncated NetCDF file: its header describes " +
                       std::to_string(static_cast<uint64_t>(end)) + " bytes, the file has " +
                       std::to_string(size));
  }
}

}  // namespace itwin::data::detail
