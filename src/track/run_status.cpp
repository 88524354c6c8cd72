// A tracked run's status, set from outside the run (file store or server).
#include "itwin/track/run_status.hpp"

#include <filesystem>
#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/sysinfo.hpp"
#include "mlflow_client.hpp"

namespace itwin::track {
namespace {

// MLflow's RunStatus numbers in a file store's meta.yaml.
int status_code(const std::string& s) {
  if (s == "RUNNING") return 1;
  if (s == "FINISHED") return 3;
  if (s == "FAILED") return 4;
  if (s == "KILLED") return 5;
  throw RuntimeError("unknown MLflow run status '" + s + "'");
}

}  // namespace

void set_run_status(const TrackedRun& run, const std::string& status) {
  if (run.kind != "mlflow") return;
  const int code = status_code(status);
  if (run.store.rfind("http://", 0) == 0 || run.store.rfind("https://", 0) == 0) {
    nlohmann::json body = {{"run_id", run.id}, {"status", status}};
    if (status != "RUNNING") body["end_time"] = unix_millis();
    MlflowClient(run.store).post("/api/2.0/mlflow/runs/update", body);
    return;
  }
  const std::string meta = run.store + "/" + run.experiment + "/" + run.id + "/meta.yaml";
  if (!std::filesystem::exists(meta)) throw RuntimeError("no MLflow run at " + meta);
  std::string m = read_file(meta);
  m = std::regex_replace(m, std::regex("(^|\n)status: [0-9]+"),
                         "$1status: " + std::to_string(code));
  if (status != "RUNNING") {
    m = std::regex_replace(m, std::regex("(^|\n)end_time: (null|)\n"),
                           "$1end_time: " + std::to_string(unix_millis()) + "\n");
  } else {
    m = std::regex_replace(m, std::regex("(^|\n)end_time: [0-9]+\n"), "$1end_time: null\n");
  }
  write_file_atomic(meta, m);
}

}  // namespace itwin::track
