#pragma once
/// Physics validation of generated samples: how far the distributions of
/// generated showers are from those of real ones, as the 3DGAN papers
/// compare them (Khattak et al., arXiv:2109.07388, section 5). Four distances,
/// each the total variation distance 0.5 * sum |p - q| between two normalised
/// distributions (0: the same, 1: disjoint):
///   esum_dist   total deposited energy over primary energy, sum(x) / E
///               (sum(x) alone without an energy), histogrammed;
///   hits_dist   the number of cells above a threshold, histogrammed;
///   long_dist   the mean longitudinal profile: energy per layer (last axis)
///               over the shower's total;
///   trans_dist  the mean transverse profiles along x and along y (mean of the two);
///   phys_dist   the mean of the above.
/// Histograms take `bins` equal bins over the range of the real values plus
/// an underflow and an overflow bin, so that generated values outside it
/// count as far. Profiles and hits need samples [X, Y, Z]; other samples get
/// esum_dist alone.
///
/// Everything is a sum over samples, so ranks each add up their share and
/// one allreduce of sums() gives the whole set's.

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "itwin/config/specs.hpp"

namespace itwin::train {

class ShowerComparison {
 public:
  /// `real` [N, ...] with primary energies `energy` [N] (undefined: none)
  /// fixes the histogram ranges and the reference distributions.
  ShowerComparison(const torch::Tensor& real, const torch::Tensor& energy,
                   const config::GanPhysicsSpec& spec);

  /// The sums of a batch of samples (counts, profile sums, samples), to be
  /// added element-wise over batches and ranks. energy: undefined when none.
  std::vector<double> sums(const torch::Tensor& x, const torch::Tensor& energy) const;

  /// prefix + esum_dist, hits_dist, long_dist, trans_dist, phys_dist of the
  /// accumulated sums of generated samples from the real ones.
  std::map<std::string, double> distances(const std::vector<double>& generated,
                                          const std::string& prefix) const;

  size_t size() const { return real_.size(); }

 private:
  struct Histogram {
    double lo = 0, hi = 1;
    int64_t bins = 1;
    size_t at(double v) const;  ///< 0 underflow, 1..bins, bins+1 overflow
  };
  bool showers_ = false;  ///< samples [X, Y, Z]: profiles and hits too
  std::vector<int64_t> shape_;
  double threshold_ = 0;
  Histogram esum_, hits_;
  std::vector<double> real_;
};

}  // namespace itwin::train
