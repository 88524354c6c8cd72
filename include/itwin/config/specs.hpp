#pragma once
/// Typed specs of the pipeline steps: what the YAML says, validated, with
/// defaults filled. Plain data; no YAML and no torch types. docs/config.md
/// documents every field with its default.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "itwin/config/catalogs.hpp"
#include "itwin/config/netcdf_spec.hpp"
#include "itwin/config/stream_spec.hpp"

namespace itwin::config {

/// `run:` — where and how a run happens.
struct RunSpec {
  std::string name = "run";
  std::string root = "runs";  ///< run directories go to <root>/<name>[.N]
  uint64_t seed = 42;
  int64_t threads = 0;                    ///< intra-op threads; 0 = cores this process may use
  ResumeMode resume = ResumeMode::Never;  ///< continue from the latest checkpoint (auto)
  bool deterministic = false;             ///< force deterministic kernels (slower)
  DeviceKind device = DeviceKind::Auto;   ///< where tensors live
};

/// `distributed:` — how ranks cooperate in data-parallel training.
struct DistributedSpec {
  BackendKind backend = BackendKind::Auto;
  StrategyKind strategy = StrategyKind::Ddp;
  double bucket_mb = 25;                        ///< gradient bucket size (ddp)
  Compression compression = Compression::None;  ///< gradients on the wire
  std::string rendezvous;  ///< gloo/nccl: file:PATH | tcp:HOST:PORT (default: from the launcher)
  double timeout = 300;    ///< seconds before a collective or the rendezvous gives up
};

/// One entry of `loggers:`.
struct LoggerSpec {
  LoggerKind type = LoggerKind::Jsonl;
  int64_t log_every = 0;        ///< also log every N optimizer steps (0 = epochs only)
  std::vector<int> ranks{0};    ///< ranks that log (empty = all)
  std::string dir;              ///< where (default: inside the run directory)
  std::string experiment;       ///< mlflow experiment name (default: run.name)
  std::string tracking_uri;     ///< mlflow: http(s):// server, file:// or a path (default:
                                ///< MLFLOW_TRACKING_URI, else the run directory)
  std::string parent_run_id;    ///< mlflow: nest the run under this run of the same experiment
                                ///< (default: none)
  std::string continue_run_id;  ///< not a config key: the run a resumed run continues (set by
                                ///< track::make_sinks)
};

/// Fractions (< 1) or counts (>= 1) of samples held out.
struct SplitSpec {
  double validation = 0.1;
  double test = 0.0;
};

struct SyntheticSpec {
  SyntheticTask task = SyntheticTask::Classification;
  int64_t samples = 2000;
  int64_t features = 16;
  int64_t classes = 4;
  int64_t seq_len = 32;  ///< sequence task: time steps per sample
  int64_t targets = 1;   ///< regression / sequence outputs
  double noise = 0.1;
};

/// `type: dataset`
struct DatasetSpec {
  DataFormat format = DataFormat::Synthetic;
  std::string path;         ///< idx: directory; npz/csv/netcdf: file; npy: features file
  std::string labels;       ///< npy: labels file
  std::string x_key = "x";  ///< npz array names; hdf5: the samples' dataset (key `x`)
  std::string y_key = "y";
  std::vector<std::string>
      y_keys;  ///< hdf5: datasets of per-sample labels or conditions (key `y`), columns of y
  std::vector<std::string> targets;   ///< csv target columns
  std::vector<std::string> features;  ///< csv feature columns (empty: all non-targets)
  std::string delimiter = ",";
  TaskKind task = TaskKind::Auto;  ///< auto: integer labels -> classification
  SyntheticSpec synthetic;
  NetcdfSpec netcdf;  ///< netcdf: variables, windows, sampler
  SplitSpec split;
  bool shuffle = true;  ///< shuffle before splitting and each epoch
  int64_t limit = 0;    ///< keep at most this many training samples (0 = all)
  NormalizeKind normalize = NormalizeKind::None;
  std::vector<double> mean, std;  ///< for `fixed`
  StreamSpec stream;              ///< hdf5, netcdf: data larger than memory
};

/// `type: model`
struct ModelSpec {
  Arch arch = Arch::Mlp;
  std::string path;                     ///< torchscript: the .pt file
  std::string weights;                  ///< optional state dict (model.pt of a run) to start from
  std::vector<int64_t> hidden = {128};  ///< mlp hidden widths
  int64_t hidden_size = 64;             ///< lstm
  int64_t layers = 1;                   ///< lstm
  double dropout = 0.5;
  std::vector<int64_t> channels = {16, 32, 64};  ///< resnet stage widths; unet1d: {first width}
  int64_t blocks = 1;                            ///< resnet blocks per stage
  GanRole role = GanRole::None;  ///< mlp, torchscript: its part in a GAN (gan3d_*: implied)
  int64_t latent = 64;           ///< generators: noise dimensions
  std::vector<int64_t> shape = {25, 25, 25};  ///< gan3d_*: the sample grid [X, Y, Z]
  int64_t conditions = 1;  ///< gan3d_*: conditioning values per sample (energy, angle)
  int64_t depth = 3;       ///< unet1d: down-sampling levels (widths channels * 2^level)
  int64_t kernel = 7;      ///< unet1d: convolution kernel (odd)
};

struct OptimizerSpec {
  OptimizerKind name = OptimizerKind::Adam;
  double lr = 1e-3;
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double alpha = 0.99;  ///< rmsprop smoothing
};

struct SchedulerSpec {
  ScheduleKind name = ScheduleKind::None;
  int64_t step_size = 10;
  double gamma = 0.1;
  std::vector<int64_t> milestones;
  int64_t t_max = 0;  ///< cosine period in epochs (0 = all epochs)
  double eta_min = 0.0;
  int64_t warmup_epochs = 0;  ///< linear warmup from lr*warmup_start
  double warmup_start = 0.1;
};

struct EarlyStopSpec {
  int64_t patience = 0;  ///< epochs without improvement before stopping (0 = off)
  std::string metric = "val_loss";
  Mode mode = Mode::Min;
  double min_delta = 0.0;
};

struct CheckpointSpec {
  int64_t every = 1;  ///< epochs between checkpoints (0 = only best and last)
  int64_t keep = 2;   ///< periodic checkpoints to keep
  std::string best_metric = "val_loss";
  Mode best_mode = Mode::Min;
};

/// `type: trainer`
struct TrainerSpec {
  int64_t epochs = 1;
  int64_t batch_size = 64;
  int64_t eval_batch_size = 1000;
  OptimizerSpec optimizer;
  SchedulerSpec scheduler;
  LossKind loss = LossKind::CrossEntropy;
  double huber_delta = 1.0;
  std::vector<MetricSpec> metrics = {MetricSpec{}};
  double grad_clip = 0.0;  ///< max global norm (0 = off)
  int64_t grad_accum = 1;  ///< micro-batches per optimizer step
  bool drop_last = false;  ///< ranks drop the epoch's tail instead of padding it by wrapping
  EarlyStopSpec early_stopping;
  CheckpointSpec checkpoint;
  bool test = true;                       ///< evaluate the test split after training
  int64_t test_every = 0;                 ///< also evaluate it every N epochs (0 = only at the end)
  int64_t log_every = 200;                ///< progress line every N steps when not a terminal
  int64_t max_steps = 0;                  ///< per-epoch step cap (0 = whole epoch), for smoke runs
  Precision precision = Precision::Fp32;  ///< autocast and loss scaling
};

/// `type: predictor`
struct PredictorSpec {
  SplitKind split = SplitKind::Test;  ///< which split to predict
  int64_t batch_size = 1000;
  PredictOutput output = PredictOutput::Class;
};

/// `type: saver`
struct SaverSpec {
  std::string path;
  SaveFormat format = SaveFormat::Csv;
};

/// `type: command`
struct CommandSpec {
  std::vector<std::string> argv;  ///< run without a shell
  std::string shell;              ///< or one shell line (bash -c)
  std::map<std::string, std::string> env;
  std::string cwd;
  double timeout = 0;  ///< seconds (0 = none)
  bool check = true;   ///< non-zero exit fails the pipeline
};

/// The physics validation of generated samples (gan_trainer `physics:`).
struct GanPhysicsSpec {
  int64_t samples = 512;       ///< held-out samples compared each epoch (0 = all)
  int64_t bins = 20;           ///< histogram bins over the range of the real values
  double hit_threshold = 0.0;  ///< a cell is hit above this value (data units)
};

/// One network of a gan_trainer: its model step, optimizer and schedule.
struct GanNetSpec {
  std::string step;  ///< the model step (key `name`)
  OptimizerSpec optimizer;
  SchedulerSpec scheduler;
};

/// `type: gan_trainer`
struct GanTrainerSpec {
  GanNetSpec generator, discriminator;
  int64_t epochs = 1;
  int64_t batch_size = 64;
  int64_t critic_steps = 1;  ///< discriminator steps per generator step
  GanLoss loss = GanLoss::NonSaturating;
  double gradient_penalty = 0;          ///< weight of the gradient penalty (wasserstein default 10)
  double aux_weight = 0;                ///< discriminator regression of the conditions
  double energy_weight = 0;             ///< total-energy consistency of generated samples
  int64_t energy_column = 0;            ///< which condition is the primary energy
  std::vector<double> condition_scale;  ///< networks see conditions / scale (empty: 1)
  GanPhysicsSpec physics;
  double grad_clip = 0.0;
  bool drop_last = false;
  EarlyStopSpec early_stopping;
  CheckpointSpec checkpoint;
  bool test = true;  ///< physics metrics on the test split after training
  int64_t log_every = 200;
  int64_t max_steps = 0;
  Precision precision = Precision::Fp32;  ///< autocast and loss scaling, as the trainer's
};

/// `type: generate`
struct GenerateSpec {
  std::string model;  ///< the generator's model step
  std::vector<std::pair<std::string, std::vector<double>>>
      conditions;     ///< name -> values; every combination
  int64_t count = 1;  ///< samples per combination
  std::vector<double> condition_scale;
  double scale = 1.0;   ///< generated values are multiplied by this (undo a normalisation)
  std::string path;     ///< HDF5 file, written atomically
  std::string x = "x";  ///< dataset name of the samples
  int64_t batch_size = 64;
  int64_t seed = -1;  ///< noise seed (-1: run.seed)
};

using StepSpec = std::variant<DatasetSpec, ModelSpec, TrainerSpec, PredictorSpec, SaverSpec,
                              CommandSpec, GanTrainerSpec, GenerateSpec>;

}  // namespace itwin::config
