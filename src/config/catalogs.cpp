// The catalogs of every plug-in point: names, one-line summaries, values.
#include "itwin/config/catalogs.hpp"

#include <cstdlib>
#include <regex>

namespace itwin::config {

const Catalog<StepKind>& step_catalog() {
  static const Catalog<StepKind> c(
      "type",
      {{StepKind::Dataset, "dataset",
        "load a data set and split it into train, validation and test"},
       {StepKind::Model, "model", "build a built-in model or load a TorchScript one"},
       {StepKind::Trainer, "trainer",
        "train the model on the data set; checkpoints, metrics, export"},
       {StepKind::GanTrainer, "gan_trainer",
        "train a generator and a discriminator adversarially (GAN)"},
       {StepKind::Predictor, "predictor", "run the model over a split and keep the predictions"},
       {StepKind::Generate, "generate",
        "generate samples with a generator for given conditions, to HDF5"},
       {StepKind::Saver, "saver", "write the predictions to a file"},
       {StepKind::Command, "command", "run an external command (argv or a shell line) on rank 0"}});
  return c;
}

const Catalog<DataFormat>& data_format_catalog() {
  static const Catalog<DataFormat> c(
      "format",
      {{DataFormat::Idx, "idx", "IDX files (MNIST family), plain or .gz, with a t10k test set"},
       {DataFormat::Npz, "npz", "a NumPy .npz archive with a features and a labels array"},
       {DataFormat::Npy, "npy", "two NumPy .npy files: features and labels"},
       {DataFormat::Csv, "csv", "a CSV table with a header row: feature and target columns"},
       {DataFormat::Synthetic, "synthetic", "generated blobs, a linear regression or sequences"},
       {DataFormat::Netcdf, "netcdf",
        "a NetCDF datacube (time x catchment) cut into sequence windows"},
       {DataFormat::Hdf5, "hdf5",
        "HDF5 datasets: samples x and per-sample labels or conditions y"}});
  return c;
}

const Catalog<SyntheticTask>& synthetic_task_catalog() {
  static const Catalog<SyntheticTask> c(
      "synthetic.task",
      {{SyntheticTask::Classification, "classification", "Gaussian blobs, one per class"},
       {SyntheticTask::Regression, "regression", "a noisy linear map from features to targets"},
       {SyntheticTask::Sequence, "sequence",
        "noisy sines; the targets are the means of the last steps"}});
  return c;
}

const Catalog<TaskKind>& task_catalog() {
  static const Catalog<TaskKind> c(
      "task", {{TaskKind::Auto, "auto", "integer labels: classification; real-valued: regression"},
               {TaskKind::Classification, "classification", "one integer class label per sample"},
               {TaskKind::Regression, "regression", "real-valued targets"}});
  return c;
}

const Catalog<NormalizeKind>& normalize_catalog() {
  static const Catalog<NormalizeKind> c(
      "normalize",
      {{NormalizeKind::None, "none", "the values as read"},
       {NormalizeKind::Standard, "standard",
        "per channel/feature mean and std of the training split"},
       {NormalizeKind::Fixed, "fixed",
        "given per-channel mean and std, written as a map {mean: [...], std: [...]}"}});
  return c;
}

const Catalog<SplitBy>& split_by_catalog() {
  static const Catalog<SplitBy> c(
      "split.by",
      {{SplitBy::Catchment, "catchment",
        "validation and test catchments are unseen in training (all times)"},
       {SplitBy::Time, "time", "the last periods of every catchment are validation, then test"}});
  return c;
}

const Catalog<Arch>& arch_catalog() {
  static const Catalog<Arch> c(
      "arch",
      {{Arch::Cnn, "cnn", "the itwinai tutorial CNN (two conv layers), images [C, H, W]"},
       {Arch::Mlp, "mlp", "fully connected layers on the flattened input"},
       {Arch::Lstm, "lstm", "LSTM over sequences [T, F], linear head on the last step"},
       {Arch::Resnet, "resnet", "a small ResNet of basic blocks, images [C, H, W]"},
       {Arch::Torchscript, "torchscript", "a model scripted or traced in Python (path: model.pt)"},
       {Arch::Gan3dGenerator, "gan3d_generator",
        "3DGAN generator: noise + conditions to a 3-D grid (3-D transposed convs)"},
       {Arch::Gan3dDiscriminator, "gan3d_discriminator",
        "3DGAN discriminator: 3-D grid to a score + condition regression"},
       {Arch::Unet1d, "unet1d",
        "1-D convolutional encoder-decoder with skips: series [C, T] to one value per step"}});
  return c;
}

const Catalog<OptimizerKind>& optimizer_catalog() {
  static const Catalog<OptimizerKind> c(
      "optimizer",
      {{OptimizerKind::Sgd, "sgd", "stochastic gradient descent, momentum and Nesterov"},
       {OptimizerKind::Adam, "adam", "Adam (betas, eps, L2 weight decay)"},
       {OptimizerKind::AdamW, "adamw", "Adam with decoupled weight decay"},
       {OptimizerKind::RmsProp, "rmsprop", "RMSprop (alpha, momentum)"},
       {OptimizerKind::Adagrad, "adagrad", "Adagrad"}});
  return c;
}

const Catalog<ScheduleKind>& schedule_catalog() {
  static const Catalog<ScheduleKind> c(
      "scheduler",
      {{ScheduleKind::None, "none", "a constant learning rate (after any warmup)"},
       {ScheduleKind::Step, "step", "times gamma every step_size epochs"},
       {ScheduleKind::MultiStep, "multistep", "times gamma at each milestone epoch"},
       {ScheduleKind::Exponential, "exponential", "times gamma every epoch"},
       {ScheduleKind::Cosine, "cosine", "cosine annealing to eta_min over t_max epochs"}});
  return c;
}

const Catalog<LossKind>& loss_catalog() {
  static const Catalog<LossKind> c(
      "loss",
      {{LossKind::CrossEntropy, "cross_entropy", "softmax cross entropy on class labels"},
       {LossKind::Nll, "nll", "negative log likelihood of log_softmax outputs, class labels"},
       {LossKind::Mse, "mse", "mean squared error on real-valued targets"},
       {LossKind::L1, "l1", "mean absolute error on real-valued targets"},
       {LossKind::Huber, "huber", "Huber loss (delta) on real-valued targets"},
       {LossKind::BceWithLogits, "bce_with_logits",
        "binary cross entropy on logits, targets in [0, 1]"}});
  return c;
}

const Catalog<MetricKind>& metric_catalog() {
  static const Catalog<MetricKind> c(
      "metrics",
      {{MetricKind::Accuracy, "accuracy", "fraction of samples whose top class is right"},
       {MetricKind::TopK, "topK",
        "fraction whose label is among the K top classes (top2, top5, ...)"},
       {MetricKind::Mae, "mae", "mean absolute error over every target value"},
       {MetricKind::Rmse, "rmse", "root mean squared error over every target value"},
       {MetricKind::R2, "r2", "coefficient of determination over every target value"}});
  return c;
}

const Catalog<BackendKind>& backend_catalog() {
  static const Catalog<BackendKind> c(
      "distributed.backend",
      {{BackendKind::Auto, "auto",
        "local for one rank; mpi under mpirun/PMIx when built; else gloo"},
       {BackendKind::Local, "local", "one process, no communication (world size 1); always built"},
       {BackendKind::Mpi, "mpi",
        "MPI collectives (OpenMPI) on host memory; mpirun or srun --mpi=pmix"},
       {BackendKind::Gloo, "gloo",
        "LibTorch's c10d ProcessGroupGloo over TCP; file or TCP rendezvous"},
       {BackendKind::Nccl, "nccl", "NCCL on the GPUs"}});
  return c;
}

const Catalog<StrategyKind>& strategy_catalog() {
  static const Catalog<StrategyKind> c(
      "distributed.strategy",
      {{StrategyKind::Ddp, "ddp",
        "replicated model, bucketed gradient allreduce overlapping backward"},
       {StrategyKind::Zero1, "zero1",
        "optimizer state sharded over ranks (reduce-scatter + all-gather)"}});
  return c;
}

const Catalog<Compression>& compression_catalog() {
  static const Catalog<Compression> c(
      "distributed.compression", {{Compression::None, "none", "gradients travel as float32"},
                                  {Compression::Fp16, "fp16", "gradients travel as IEEE half"},
                                  {Compression::Bf16, "bf16", "gradients travel as bfloat16"}});
  return c;
}

const Catalog<LoggerKind>& logger_catalog() {
  static const Catalog<LoggerKind> c(
      "loggers.type",
      {{LoggerKind::Jsonl, "jsonl", "metrics.jsonl: one JSON object per point"},
       {LoggerKind::Csv, "csv", "metrics.csv in long format (time,step,epoch,per_step,key,value)"},
       {LoggerKind::Mlflow, "mlflow", "an MLflow file store or tracking server (REST)"},
       {LoggerKind::Tensorboard, "tensorboard", "TensorBoard event files, hparams included"}});
  return c;
}

const Catalog<SplitKind>& split_catalog() {
  static const Catalog<SplitKind> c("split",
                                    {{SplitKind::Test, "test", "the test split"},
                                     {SplitKind::Validation, "validation", "the validation split"},
                                     {SplitKind::Train, "train", "the training split"}});
  return c;
}

const Catalog<PredictOutput>& predict_output_catalog() {
  static const Catalog<PredictOutput> c(
      "output", {{PredictOutput::Class, "class", "the top class of each sample"},
                 {PredictOutput::Probs, "probs", "softmax probabilities per class"},
                 {PredictOutput::Raw, "raw", "the model's raw outputs"}});
  return c;
}

const Catalog<SaveFormat>& save_format_catalog() {
  static const Catalog<SaveFormat> c(
      "saver format",
      {{SaveFormat::Csv, "csv", "index, predictions, labels"},
       {SaveFormat::Jsonl, "jsonl", "one JSON object per sample"},
       {SaveFormat::Hdf5, "hdf5", "datasets prediction [N, K] and label [N, T], float32"}});
  return c;
}

const Catalog<ResumeMode>& resume_catalog() {
  static const Catalog<ResumeMode> c(
      "run.resume",
      {{ResumeMode::Never, "never", "a new run directory unless --resume is given"},
       {ResumeMode::Auto, "auto", "continue from the latest checkpoint when there is one"}});
  return c;
}

const Catalog<Mode>& mode_catalog() {
  static const Catalog<Mode> c(
      "mode", {{Mode::Min, "min", "lower is better"}, {Mode::Max, "max", "higher is better"}});
  return c;
}

const Catalog<DeviceKind>& device_catalog() {
  static const Catalog<DeviceKind> c(
      "run.device",
      {{DeviceKind::Auto, "auto", "a GPU when LibTorch has CUDA and one is visible, else the CPU"},
       {DeviceKind::Cpu, "cpu", "the CPU"},
       {DeviceKind::Cuda, "cuda", "the GPU of this rank's local rank among the visible ones"}});
  return c;
}

const Catalog<Precision>& precision_catalog() {
  static const Catalog<Precision> c(
      "precision",
      {{Precision::Fp32, "fp32", "float32 everywhere"},
       {Precision::Bf16, "bf16", "autocast to bfloat16 (GPU and CPU), float32 master weights"},
       {Precision::Fp16, "fp16",
        "autocast to float16 (GPU), float32 master weights, dynamic loss scaling"}});
  return c;
}

const Catalog<GanRole>& gan_role_catalog() {
  static const Catalog<GanRole> c(
      "role", {{GanRole::None, "none", "an ordinary model"},
               {GanRole::Generator, "generator",
                "a GAN generator: [latent noise, conditions] in, one sample out"},
               {GanRole::Discriminator, "discriminator",
                "a GAN discriminator: a sample in, [score, conditions] out"}});
  return c;
}

const Catalog<GanLoss>& gan_loss_catalog() {
  static const Catalog<GanLoss> c("gan_trainer loss",
                                  {{GanLoss::NonSaturating, "nonsaturating",
                                    "the non-saturating GAN loss (binary cross entropy on logits)"},
                                   {GanLoss::Wasserstein, "wasserstein",
                                    "Wasserstein critic loss, with a gradient penalty (WGAN-GP)"}});
  return c;
}

std::vector<CatalogView> all_catalogs() {
  return {view_of(step_catalog(), "Step types"),
          view_of(data_format_catalog(), "Dataset formats"),
          view_of(synthetic_task_catalog(), "Synthetic tasks"),
          view_of(task_catalog(), "Dataset tasks"),
          view_of(normalize_catalog(), "Normalisation"),
          view_of(split_by_catalog(), "Datacube splits (netcdf)"),
          view_of(arch_catalog(), "Model architectures"),
          view_of(optimizer_catalog(), "Optimizers"),
          view_of(schedule_catalog(), "Learning-rate schedules"),
          view_of(loss_catalog(), "Losses"),
          view_of(metric_catalog(), "Metrics"),
          view_of(backend_catalog(), "Communication backends"),
          view_of(strategy_catalog(), "Data-parallel strategies"),
          view_of(compression_catalog(), "Gradient compression"),
          view_of(logger_catalog(), "Loggers"),
          view_of(split_catalog(), "Predictor splits"),
          view_of(predict_output_catalog(), "Predictor outputs"),
          view_of(save_format_catalog(), "Saver formats"),
          view_of(resume_catalog(), "Resume modes"),
          view_of(mode_catalog(), "Monitor modes"),
          view_of(device_catalog(), "Devices"),
          view_of(precision_catalog(), "Training precision"),
          view_of(gan_role_catalog(), "Model roles (GAN)"),
          view_of(gan_loss_catalog(), "Adversarial losses")};
}

std::string catalog_markdown(const CatalogView& c) {
  std::string s = "<!-- catalog " + c.key + " -->\n**" + c.title + "** (`" + c.key +
                  "`):\n\n| name | what it is |\n|---|---|\n";
  for (const auto& [name, summary] : c.items) s += "| `" + name + "` | " + summary + " |\n";
  return s + "<!-- /catalog -->\n";
}

std::string catalogs_markdown(const std::vector<CatalogView>& all) {
  std::string s;
  for (const auto& c : all) s += catalog_markdown(c) + "\n";
  return s;
}

std::string MetricSpec::name() const {
  if (kind == MetricKind::TopK) return "top" + std::to_string(k);
  return metric_catalog().name(kind);
}

bool parse_metric(const std::string& s, MetricSpec* out) {
  static const std::regex topk("top([1-9][0-9]{0,5})");
  std::smatch m;
  if (std::regex_match(s, m, topk)) {
    *out = {MetricKind::TopK, std::atoll(m[1].str().c_str())};
    return true;
  }
  auto k = metric_catalog().find(s);
  if (!k || *k == MetricKind::TopK) return false;
  *out = {*k, 0};
  return true;
}

bool loss_wants_class_labels(LossKind l) {
  switch (l) {
    case LossKind::CrossEntropy:
    case LossKind::Nll:
      return true;
    case LossKind::Mse:
    case LossKind::L1:
    case LossKind::Huber:
    case LossKind::BceWithLogits:
      return false;
  }
  return false;
}

bool loss_is_regression(LossKind l) {
  switch (l) {
    case LossKind::Mse:
    case LossKind::L1:
    case LossKind::Huber:
      return true;
    case LossKind::CrossEntropy:
    case LossKind::Nll:
    case LossKind::BceWithLogits:
      return false;
  }
  return false;
}

}  // namespace itwin::config
