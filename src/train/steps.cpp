// The step executors: what a pipeline's steps do with data, models and predictions.
#include "steps.hpp"

#include <signal.h>
#include <torch/torch.h>

#include <chrono>
#include <optional>

#include "data_cache_lookup.hpp"
#include "gan_steps.hpp"
#include "itwin/data/datacube.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/track/registry.hpp"
#include "itwin/train/device.hpp"
#include "itwin/train/trainer.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/redact.hpp"
#include "itwin/util/signals.hpp"
#include "itwin/util/strings.hpp"
#include "predict.hpp"

namespace itwin::train {
namespace {

std::string first_line(const std::string& m) { return m.substr(0, m.find('\n')); }

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A mismatch the config causes, found once the data is known: exit 2, at the step.
[[noreturn]] void config_problem(const config::Step& s, const std::string& what) {
  throw ConfigError(s.mark.str() + ": step '" + s.name + "' (" + s.type() + "): " + what);
}

// A precision this rank's device cannot train in, found before the run
// directory exists (exit 2 leaves nothing behind).
void check_step_precision(const config::Step& s, config::Precision p, const torch::Device& d) {
  try {
    check_precision(p, d);
  } catch (const ConfigError& e) {
    config_problem(s, e.what());
  }
}

class TorchSteps : public StepRunner {
 public:
  TorchSteps(const config::Config& cfg, Threads threads, const CpuSnapshot& start)
      : cfg_(cfg), threads_(threads), start_(start) {
    torch::set_num_threads(static_cast<int>(threads.count));
    if (cfg.run.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  }

  void check(const config::Step& s) override {
    switch (s.kind) {
      case config::StepKind::Trainer:
        check_step_precision(s, std::get<config::TrainerSpec>(s.spec).precision, chosen_device());
        try {
          preflight(std::get<config::TrainerSpec>(s.spec), *model_, *data_);
        } catch (const RuntimeError& e) {
          config_problem(s, e.what());
        }
        break;
      case config::StepKind::Predictor:
        if (std::get<config::PredictorSpec>(s.spec).output == config::PredictOutput::Class &&
            !data_->classification) {
          config_problem(s, "output 'class' needs a classification data set; use output: raw");
        }
        break;
      case config::StepKind::GanTrainer:
        check_step_precision(s, std::get<config::GanTrainerSpec>(s.spec).precision,
                             chosen_device());
        check_gan_trainer(s, cfg_, models_, *data_, chosen_device());
        break;
      case config::StepKind::Generate:
        check_generate(s, models_, chosen_device());
        break;
      case config::StepKind::Dataset:
      case config::StepKind::Model:
      case config::StepKind::Saver:
      case config::StepKind::Command:
        break;
    }
  }

  StepOutcome run(const config::Step& s, RunSession& session) override {
    try {
      return dispatch(s, session);
    } catch (const c10::Error& e) {
      throw RuntimeError("step '" + s.name + "' (" + s.type() +
                         "): LibTorch: " + first_line(e.what_without_backtrace()));
    }
  }

 private:
  StepOutcome dispatch(const config::Step& s, RunSession& session) {
    switch (s.kind) {
      case config::StepKind::Dataset:
        run_dataset(s, session);
        break;
      case config::StepKind::Model:
        run_model(s, session);
        break;
      case config::StepKind::Trainer:
        return run_trainer(s, session);
      case config::StepKind::Predictor:
        run_predictor(s, session);
        break;
      case config::StepKind::Saver:
        run_saver(s, session);
        break;
      case config::StepKind::Command:
        run_command(s, session);
        break;
      case config::StepKind::GanTrainer:
        return run_gan_trainer(s, models_, *data_, trainer_env(session), session);
      case config::StepKind::Generate:
        run_generate(s, cfg_, models_, device(session).device, session);
        break;
    }
    return StepOutcome::Done;
  }

  void run_dataset(const config::Step& s, RunSession& session) {
    try {
      const auto& spec = std::get<config::DatasetSpec>(s.spec);
      data_ = cached_dataset(spec, cfg_.run.seed);  // a forked HPO trial: decoded by its zygote
      if (data_) session.say("data: decoded once by the hpo trial zygote, shared with this run\n");
      if (!data_) data_ = data::load_dataset(spec, cfg_.run.seed, s.name);
    } catch (const data::DataMismatch& e) {
      config_problem(s, e.what());  // the config asks for what the file lacks: exit 2 at the step
    }
    const auto& d = *data_;
    std::string shape;
    for (auto v : d.sample_shape) shape += (shape.empty() ? "" : "x") + std::to_string(v);
    session.say("data: %s: train %lld, validation %lld, test %lld samples of %s; %s\n",
                d.description.c_str(), static_cast<long long>(d.train.size()),
                static_cast<long long>(d.val.size()), static_cast<long long>(d.test.size()),
                shape.c_str(),
                d.classification ? (std::to_string(d.num_classes) + " classes").c_str()
                                 : (std::to_string(d.num_targets) + " targets").c_str());
  }

  void run_model(const config::Step& s, RunSession& session) {
    auto spec = std::get<config::ModelSpec>(s.spec);
    // models:/NAME/VERSION|ALIAS|latest -> the registered files.
    if (starts_with(spec.weights, "models:/")) {
      auto v = track::resolve_model(spec.weights);
      session.say("model: registry %s version %d\n", v.name.c_str(), v.version);
      spec.weights = v.dir + "/model.pt";
    }
    if (starts_with(spec.path, "models:/"))
      spec.path = track::resolve_model(spec.path).dir + "/model.ts.pt";
    models::ModelInput in;
    if (data_) {
      in.sample_shape = data_->sample_shape;
      in.outputs = data_->classification ? data_->num_classes : data_->num_targets;
      if (std::string why = models::input_problem(spec, in); !why.empty())
        config_problem(s, why + " (data: " + data_->description + ")");  // which file, dataset
    }
    torch::manual_seed(cfg_.run.seed);  // the same initial weights for the same seed
    model_ = models::build_model(spec, in, s.name);
    model_->to(device(session).device);
    models_[s.name] = {spec, model_};
    session.say("model: %s, %lld parameters%s\n", model_->describe().c_str(),
                static_cast<long long>(model_->num_parameters()),
                spec.weights.empty() ? "" : (", weights from " + spec.weights).c_str());
  }

  StepOutcome run_trainer(const config::Step& s, RunSession& session) {
    const auto& spec = std::get<config::TrainerSpec>(s.spec);
    TrainResult r = train_model(spec, *model_, *data_, trainer_env(session));
    record_training(session, r);
    if (spec.test && !r.paused) log_test_metrics(session, r);
    if (!session.lead()) return r.paused ? StepOutcome::Paused : StepOutcome::Done;
    const std::string dir = session.run_dir();
    models::save_state_dict(*model_, dir + "/model.pt");
    bool ts = model_->save_torchscript(dir + "/model.ts.pt");
    session.say("trained %lld epochs (%lld steps) in %.1fs%s; %.0f samples/s\n",
                static_cast<long long>(r.epochs_done), static_cast<long long>(r.steps),
                r.train_seconds,
                r.early_stopped ? ", stopped early"
                : r.paused      ? ", paused (resume with --resume)"
                                : "",
                r.samples_per_s);
    for (const auto& [k, v] : r.final_metrics) {
      if (k.rfind("test_", 0) == 0) session.say("  %s %.4f\n", k.c_str(), v);
    }
    session.say("model saved: %s/model.pt%s\n", dir.c_str(),
                ts ? (" and " + dir + "/model.ts.pt").c_str() : "");
    return r.paused ? StepOutcome::Paused : StepOutcome::Done;
  }

  // The final test evaluation's metrics go to the loggers too, not only to
  // summary.json (those of test_every epochs are logged with their epoch).
  static void log_test_metrics(RunSession& session, const TrainResult& r) {
    track::MetricPoint test{r.steps, r.epochs_done, now_unix(), false, {}};
    for (const auto& [k, v] : r.final_metrics) {
      if (k.rfind("test_", 0) == 0) test.values[k] = v;
    }
    if (!test.values.empty()) session.sink().log(test);
  }

  void run_predictor(const config::Step& s, RunSession& session) {
    const auto& spec = std::get<config::PredictorSpec>(s.spec);
    predictions_ = predict(spec, *model_, *data_, s.name, device(session).device);
    const auto& p = *predictions_;
    session.say("predicted %lld samples of the %s split", static_cast<long long>(p.values.size(0)),
                config::split_catalog().name(spec.split));
    if (p.accuracy >= 0) {
      session.say(", accuracy %.4f", p.accuracy);
      session.summary()["metrics"]["accuracy"] = p.accuracy;
    }
    session.say("\n");
  }

  void run_saver(const config::Step& s, RunSession& session) {
    const auto& spec = std::get<config::SaverSpec>(s.spec);
    if (!session.lead()) return;
    save_predictions(*predictions_, spec);
    session.say("predictions saved: %s\n", spec.path.c_str());
  }

  // Runs on rank 0 only (a download, a conversion); the others wait for its
  // outcome, so that every rank fails, or stops, together.
  void run_command(const config::Step& s, RunSession& session) {
    const auto& spec = std::get<config::CommandSpec>(s.spec);
    int64_t rc = 0;
    if (session.lead()) {
      ProcessSpec p;
      p.argv = spec.argv.empty() ? std::vector<std::string>{"bash", "-c", spec.shell} : spec.argv;
      p.env = spec.env;
      p.cwd = spec.cwd;
      p.timeout_s = spec.timeout;
      std::fflush(stdout);
      rc = run_process(p);
      if (rc != 0 && stop_requested())
        rc = -stop_requested();  // it ended because we were asked to stop
    }
    session.comm().broadcast(&rc, 1, comm::DType::I64, 0);
    if (rc < 0) {
      const int sig = static_cast<int>(-rc);
      throw CollectiveError(
          "stopped by signal " + std::to_string(sig) + " during step '" + s.name + "'",
          sig == SIGINT ? kExitInterrupted : kExitPreempted);
    }
    if (rc != 0 && spec.check) {
      throw CollectiveError("step '" + s.name + "': command exited with status " +
                            std::to_string(rc) + " (" + s.mark.str() + ")");
    }
  }

  TrainerEnv trainer_env(RunSession& session) {
    return TrainerEnv{cfg_.run,
                      session.run_dir(),
                      redact(session.config_yaml()),
                      session.resume(),
                      session.lead(),
                      session.sink(),
                      &session.comm(),
                      cfg_.distributed,
                      session.options().until_epoch,
                      threads_.adaptive ? threads_.count : 0,
                      start_,
                      device(session).device};
  }

  // run.device for this rank, chosen once (the model moves there when it is built).
  const DeviceChoice& device(RunSession& session) {
    if (!device_) {
      device_ = choose_device(cfg_.run.device, session.local_rank());
      session.record_device(device_->name);
      if (device_->device.is_cuda()) session.say("device: %s\n", device_->name.c_str());
    }
    return *device_;
  }

  // The device before the run directory exists: the model step chose it.
  torch::Device chosen_device() const { return device_ ? device_->device : torch::kCPU; }

  const config::Config& cfg_;
  std::optional<DeviceChoice> device_;
  Threads threads_;
  CpuSnapshot start_;
  std::optional<data::DataSplits> data_;
  std::shared_ptr<models::Model> model_;
  StepModels models_;  ///< every model step's model, by name (a GAN's two networks)
  std::optional<Predictions> predictions_;
};

}  // namespace

void record_training(RunSession& session, const TrainResult& r) {
  auto& j = session.summary();
  j["metrics"] = r.final_metrics;
  j["epochs"] = r.epochs_done;
  j["steps"] = r.steps;
  j["early_stopped"] = r.early_stopped;
  j["resumed"] = r.resumed;
  j["train_seconds"] = r.train_seconds;
  j["samples_per_s"] = r.samples_per_s;
  j["first_step_unix"] = r.first_step_unix;
  PhaseTimes all;
  nlohmann::json ranks = nlohmann::json::array();
  for (size_t k = 0; k < r.rank_profiles.size(); ++k) {
    all.merge(r.rank_profiles[k]);
    ranks.push_back({{"rank", k},
                     {"steps", r.rank_profiles[k].steps()},
                     {"ms_per_step", r.rank_profiles[k].ms_per_step()}});
  }
  j["profile"] = {
      {"steps", r.profile.steps()}, {"ms_per_step", all.ms_per_step()}, {"ranks", ranks}};
}

bool step_needs_session(const config::Step& step) {
  switch (step.kind) {
    case config::StepKind::Trainer:
    case config::StepKind::Predictor:
    case config::StepKind::Saver:
    case config::StepKind::GanTrainer:
    case config::StepKind::Generate:
      return true;
    case config::StepKind::Dataset:
    case config::StepKind::Model:
    case config::StepKind::Command:
      return false;
  }
  return true;
}

std::unique_ptr<StepRunner> make_step_runner(const config::Config& cfg, Threads threads,
                                             const CpuSnapshot& start) {
  return std::make_unique<TorchSteps>(cfg, threads, start);
}

}  // namespace itwin::train
