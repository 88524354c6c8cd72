// Writes the file of bench/stream_vs_memory.sh: x [N, F] float32 (standard
// normal), y [N] float32 = 0.3 * sum(x[:, :8]) + noise, contiguous rows in
// chunks of 256 rows, uncompressed, written a slab at a time so that the
// generator itself stays small.
// usage: make_rows OUT.h5 N F [SEED]
#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: make_rows OUT.h5 N F [SEED]\n");
    return 2;
  }
  const hsize_t n = std::strtoull(argv[2], nullptr, 10), f = std::strtoull(argv[3], nullptr, 10);
  std::mt19937_64 rng(argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1);
  std::normal_distribution<float> normal;
  hid_t file = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) return 1;
  const hsize_t chunk_rows = 256, xdims[2] = {n, f}, chunk[2] = {chunk_rows, f};
  hid_t xspace = H5Screate_simple(2, xdims, nullptr), yspace = H5Screate_simple(1, &n, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  hid_t x = H5Dcreate2(file, "x", H5T_IEEE_F32LE, xspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  hid_t y = H5Dcreate2(file, "y", H5T_IEEE_F32LE, yspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<float> xs(chunk_rows * f), ys(chunk_rows);
  for (hsize_t r0 = 0; r0 < n; r0 += chunk_rows) {
    const hsize_t rows = std::min(chunk_rows, n - r0);
    for (hsize_t i = 0; i < rows; ++i) {
      float s = 0;
      for (hsize_t j = 0; j < f; ++j) {
        xs[i * f + j] = normal(rng);
        if (j < 8) s += xs[i * f + j];
      }
      ys[i] = 0.3f * s + 0.1f * normal(rng);
    }
    const hsize_t start[2] = {r0, 0}, count[2] = {rows, f};
    hid_t mem = H5Screate_simple(2, count, nullptr);
    H5Sselect_hyperslab(xspace, H5S_SELECT_SET, start, nullptr, count, nullptr);
    H5Dwrite(x, H5T_NATIVE_FLOAT, mem, xspace, H5P_DEFAULT, xs.data());
    H5Sclose(mem);
    hid_t ymem = H5Screate_simple(1, &rows, nullptr);
    H5Sselect_hyperslab(yspace, H5S_SELECT_SET, start, nullptr, &rows, nullptr);
    H5Dwrite(y, H5T_NATIVE_FLOAT, ymem, yspace, H5P_DEFAULT, ys.data());
    H5Sclose(ymem);
  }
  H5Dclose(x);
  H5Dclose(y);
  H5Pclose(dcpl);
  H5Sclose(xspace);
  H5Sclose(yspace);
  return H5Fclose(file) < 0 ? 1 : 0;
}
