#include "predict.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "itwin/data/hdf5_write.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace itwin::train {
namespace {

// A [N, K] tensor as a float32 array for write_hdf5 (series stay one row each).
data::Array as_array(torch::Tensor t) {
  t = t.to(torch::kFloat32).contiguous();
  if (t.dim() == 1) t = t.unsqueeze(1);
  data::Array a;
  a.dtype = data::DType::F32;
  a.shape = t.sizes().vec();
  const auto* p = reinterpret_cast<const unsigned char*>(t.data_ptr<float>());
  a.bytes.assign(p, p + t.numel() * sizeof(float));
  return a;
}

}  // namespace

Predictions predict(const config::PredictorSpec& spec, models::Model& model,
                    const data::DataSplits& data, const std::string& step,
                    const torch::Device& device) {
  const data::Split* split = nullptr;
  switch (spec.split) {
    case config::SplitKind::Test:
      split = &data.test;
      break;
    case config::SplitKind::Validation:
      split = &data.val;
      break;
    case config::SplitKind::Train:
      split = &data.train;
      break;
  }
  const data::Split& d = *split;
  const char* split_name = config::split_catalog().name(spec.split);
  if (d.size() == 0)
    throw RuntimeError("step '" + step + "': the " + std::string(split_name) + " split is empty");
  torch::NoGradGuard ng;
  model.set_training(false);
  std::vector<torch::Tensor> outs, labels;
  std::vector<int64_t> order(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) order[static_cast<size_t>(i)] = i;
  const size_t batch = static_cast<size_t>(spec.batch_size);
  d.samples().begin_pass(order, 0, batch);
  for (size_t b = 0; b < order.size(); b += batch) {
    auto bt = d.gather(order, b, std::min(order.size(), b + batch));
    outs.push_back(model.forward(bt.x.to(device)).to(torch::kCPU));
    labels.push_back(bt.y);
  }
  auto out = torch::cat(outs);
  Predictions p;
  p.output = spec.output;
  p.labels = torch::cat(labels);
  if (data.classification)
    p.accuracy = out.argmax(1).eq(p.labels).to(torch::kFloat64).mean().item<double>();
  switch (spec.output) {
    case config::PredictOutput::Class:
      if (!data.classification) {
        throw RuntimeError("step '" + step +
                           "': output 'class' needs a classification data set; use output: raw");
      }
      p.values = out.argmax(1);
      break;
    case config::PredictOutput::Probs:
      p.values = torch::softmax(out, 1);
      break;
    case config::PredictOutput::Raw:
      p.values = out;
      break;
  }
  return p;
}

void save_predictions(const Predictions& p, const config::SaverSpec& spec) {
  if (spec.format == config::SaveFormat::Hdf5) {  // e.g. predicted noise series [N, T]
    data::write_hdf5(spec.path,
                     {{"prediction", as_array(p.values), {}}, {"label", as_array(p.labels), {}}});
    return;
  }
  auto v = p.values.to(torch::kFloat64).contiguous();
  if (v.dim() == 1) v = v.unsqueeze(1);
  auto y = p.labels.to(torch::kFloat64).contiguous();
  if (y.dim() == 1) y = y.unsqueeze(1);
  bool ints = p.output == config::PredictOutput::Class;
  std::ostringstream s;
  s.precision(7);
  const int64_t n = v.size(0), k = v.size(1), t = y.size(1);
  auto va = v.accessor<double, 2>();
  auto ya = y.accessor<double, 2>();
  if (spec.format == config::SaveFormat::Csv) {
    s << "index";
    for (int64_t j = 0; j < k; ++j)
      s << (k == 1 ? ",prediction" : ",prediction_" + std::to_string(j));
    for (int64_t j = 0; j < t; ++j) s << (t == 1 ? ",label" : ",label_" + std::to_string(j));
    s << "\n";
    for (int64_t i = 0; i < n; ++i) {
      s << i;
      for (int64_t j = 0; j < k; ++j) {
        if (ints)
          s << "," << static_cast<int64_t>(va[i][j]);
        else
          s << "," << va[i][j];
      }
      for (int64_t j = 0; j < t; ++j) s << "," << ya[i][j];
      s << "\n";
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      nlohmann::json j = {{"index", i}};
      std::vector<double> pr(k), lb(t);
      for (int64_t a = 0; a < k; ++a) pr[static_cast<size_t>(a)] = va[i][a];
      for (int64_t a = 0; a < t; ++a) lb[static_cast<size_t>(a)] = ya[i][a];
      if (k == 1)
        j["prediction"] = pr[0];
      else
        j["prediction"] = pr;
      if (t == 1)
        j["label"] = lb[0];
      else
        j["label"] = lb;
      s << j.dump() << "\n";
    }
  }
  write_file_atomic(spec.path, s.str());
}

}  // namespace itwin::train
