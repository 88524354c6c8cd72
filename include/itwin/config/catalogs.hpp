#pragma once
/// The plug-in points of a pipeline file and their catalogs (catalog.hpp):
/// one enum and one table each. Adding a component: a value here, its entry
/// in src/config/catalogs.cpp, and its file; the compiler then names every
/// `switch` that must handle it (docs/development.md).

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/config/catalog.hpp"

namespace itwin::config {

enum class StepKind { Dataset, Model, Trainer, Predictor, Saver, Command, GanTrainer, Generate };
enum class DataFormat { Idx, Npz, Npy, Csv, Synthetic, Netcdf, Hdf5 };
enum class SyntheticTask { Classification, Regression, Sequence };
enum class TaskKind { Auto, Classification, Regression };
enum class NormalizeKind { None, Standard, Fixed };
enum class SplitBy { Catchment, Time };
enum class Arch { Cnn, Mlp, Lstm, Resnet, Torchscript, Gan3dGenerator, Gan3dDiscriminator, Unet1d };
enum class OptimizerKind { Sgd, Adam, AdamW, RmsProp, Adagrad };
enum class ScheduleKind { None, Step, MultiStep, Exponential, Cosine };
enum class LossKind { CrossEntropy, Nll, Mse, L1, Huber, BceWithLogits };
enum class MetricKind { Accuracy, TopK, Mae, Rmse, R2 };
enum class BackendKind { Auto, Local, Mpi, Gloo, Nccl };
enum class StrategyKind { Ddp, Zero1 };
enum class Compression { None, Fp16, Bf16 };
enum class LoggerKind { Jsonl, Csv, Mlflow, Tensorboard };
enum class SplitKind { Test, Validation, Train };
enum class PredictOutput { Class, Probs, Raw };
enum class SaveFormat { Csv, Jsonl, Hdf5 };
enum class ResumeMode { Never, Auto };
enum class Mode { Min, Max };
enum class DeviceKind { Auto, Cpu, Cuda };
enum class Precision { Fp32, Bf16, Fp16 };
enum class GanRole { None, Generator, Discriminator };
enum class GanLoss { NonSaturating, Wasserstein };

const Catalog<StepKind>& step_catalog();
const Catalog<DataFormat>& data_format_catalog();
const Catalog<SyntheticTask>& synthetic_task_catalog();
const Catalog<TaskKind>& task_catalog();
const Catalog<NormalizeKind>& normalize_catalog();
const Catalog<SplitBy>& split_by_catalog();
const Catalog<Arch>& arch_catalog();
const Catalog<OptimizerKind>& optimizer_catalog();
const Catalog<ScheduleKind>& schedule_catalog();
const Catalog<LossKind>& loss_catalog();
const Catalog<MetricKind>& metric_catalog();
const Catalog<BackendKind>& backend_catalog();
const Catalog<StrategyKind>& strategy_catalog();
const Catalog<Compression>& compression_catalog();
const Catalog<LoggerKind>& logger_catalog();
const Catalog<SplitKind>& split_catalog();
const Catalog<PredictOutput>& predict_output_catalog();
const Catalog<SaveFormat>& save_format_catalog();
const Catalog<ResumeMode>& resume_catalog();
const Catalog<Mode>& mode_catalog();
const Catalog<DeviceKind>& device_catalog();
const Catalog<Precision>& precision_catalog();
const Catalog<GanRole>& gan_role_catalog();
const Catalog<GanLoss>& gan_loss_catalog();

/// Every catalog above, in the order docs/config.md lists them.
std::vector<CatalogView> all_catalogs();

/// The catalogs as docs/config.md holds them: per catalog a block
/// `<!-- catalog KEY -->` ... `<!-- /catalog -->` with a Markdown table.
std::string catalog_markdown(const CatalogView& c);
std::string catalogs_markdown(const std::vector<CatalogView>& all);

/// A metric of a trainer: `topK` carries its K ("top5").
struct MetricSpec {
  MetricKind kind = MetricKind::Accuracy;
  int64_t k = 0;             ///< TopK only
  std::string name() const;  ///< "accuracy", "top5", ...
};
/// "top5" -> {TopK, 5}; false when `s` names no metric.
bool parse_metric(const std::string& s, MetricSpec* out);

/// What a loss wants as targets.
bool loss_wants_class_labels(LossKind l);  ///< cross_entropy, nll
bool loss_is_regression(LossKind l);       ///< mse, l1, huber

}  // namespace itwin::config
