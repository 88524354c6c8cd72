// The built-in unet1d (Virgo use case): output shapes for lengths that are
// and are not multiples of 2^depth, the parameter names its PyTorch twin
// (use-cases/virgo/models.py) shares, and the shapes it refuses.
#include "itwin/config/catalogs.hpp"
#include "itwin/models/model.hpp"
#undef CHECK  // LibTorch's, before Catch2's

#include <catch2/catch.hpp>
#include <map>

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

config::ModelSpec unet(int64_t channels, int64_t depth, int64_t kernel) {
  config::ModelSpec m;
  m.arch = config::Arch::Unet1d;
  m.channels = {channels};
  m.depth = depth;
  m.kernel = kernel;
  return m;
}

}  // namespace

TEST_CASE("unet1d: [N, C, T] to [N, T] for any T, gradients reach the first layer",
          "[models][virgo]") {
  for (int64_t depth : {1, 2, 3}) {
    for (int64_t t : {64, 37, 1000}) {
      // Seeded: with few channels, an unlucky draw can leave every unit of the
      // last block dead (ReLU), and then no gradient flows at all.
      torch::manual_seed(100 * depth + t);
      auto m = models::build_model(unet(8, depth, 5), {{3, t}, t}, "model");
      auto x = torch::randn({2, 3, t});
      auto y = m->forward(x);
      INFO("depth " << depth << ", T " << t);
      CHECK(y.sizes().vec() == std::vector<int64_t>{2, t});
      y.pow(2).mean().backward();
      auto first = m->state().front();
      CHECK(first.first == "down.0.0.weight");
      CHECK(first.second.grad().defined());
      CHECK(first.second.grad().abs().sum().item<double>() > 0);
    }
  }
}

TEST_CASE("unet1d: parameter names and sizes follow the levels (as models.py)", "[models][virgo]") {
  auto m = models::build_model(unet(8, 2, 7), {{4, 100}, 100}, "model");
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [name, t] : m->state()) shapes[name] = t.sizes().vec();
  CHECK(shapes.at("down.0.0.weight") == std::vector<int64_t>{8, 4, 7});
  CHECK(shapes.at("down.1.2.weight") == std::vector<int64_t>{16, 16, 7});
  CHECK(shapes.at("bottom.0.weight") == std::vector<int64_t>{32, 16, 7});
  CHECK(shapes.at("up.0.weight") == std::vector<int64_t>{32, 16, 2});  // transposed: [in, out, k]
  CHECK(shapes.at("dec.0.0.weight") == std::vector<int64_t>{16, 32, 7});
  CHECK(shapes.at("dec.1.2.weight") == std::vector<int64_t>{8, 8, 7});
  CHECK(shapes.at("head.weight") == std::vector<int64_t>{1, 8, 1});
  CHECK(shapes.size() == 2 * (2 * 2 + 2 + 2 * 2 + 2 + 1));  // weights and biases
  CHECK(m->num_parameters() == 22305);  // models.py --aux 4 --channels 8 --depth 2 reports this
}

TEST_CASE("unet1d: refuses samples that are not series and targets not one per step",
          "[models][virgo]") {
  auto spec = unet(8, 2, 7);
  CHECK_THAT(
      models::input_problem(spec, {{1000}, 1000}),
      Contains("model 'unet1d' needs a series [C, T] per sample, but the data gives [1000]"));
  CHECK_THAT(models::input_problem(spec, {{4, 1000}, 1}),
             Contains("model 'unet1d' predicts one value per time step (1000 for samples [4, "
                      "1000]), but y has 1 per sample: the target must be a dataset [N, 1000]"));
  CHECK(models::input_problem(spec, {{4, 1000}, 1000}).empty());
  CHECK_THAT(models::input_problem(unet(1024, 8, 7), {{4, 1000}, 1000}),
             Contains("262144 filters at its bottleneck"));
}
