// Submissions: precedence of settings, scaling studies, scripts, records.
#include "itwin/slurm/submit.hpp"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/util/fs.hpp"

namespace fs = std::filesystem;

namespace itwin::slurm {

Settings apply_flags(Settings s, const JobFlags& f) {
  if (f.nodes > 0) s.nodes = f.nodes;
  if (f.ntasks_per_node >= 0) s.ntasks_per_node = f.ntasks_per_node;
  if (f.gpus_per_node >= 0) s.gpus_per_node = f.gpus_per_node;
  if (f.cpus_per_task >= 0) s.cpus_per_task = f.cpus_per_task;
  for (auto [field, value] :
       std::vector<std::pair<std::string*, std::string>>{{&s.time, f.time},
                                                         {&s.partition, f.partition},
                                                         {&s.account, f.account},
                                                         {&s.qos, f.qos},
                                                         {&s.mem, f.mem},
                                                         {&s.job_name, f.job_name}}) {
    if (!value.empty()) *field = value;
  }
  return s;
}

std::string study_group(const SubmitRequest& r) {
  if (r.scaling.empty()) return "";
  return (r.settings.job_name.empty() ? r.run_name : r.settings.job_name) + "-scaling-" + r.stamp;
}

std::vector<PlannedJob> plan_jobs(const SubmitRequest& r) {
  Job base;
  base.s = r.settings;
  if (base.s.job_name.empty()) base.s.job_name = r.run_name;
  if (base.s.itwin.empty()) base.s.itwin = r.itwin;
  base.s.log_dir = fs::absolute(base.s.log_dir).lexically_normal().string();
  base.profile = r.profile.name;
  base.command = r.command;
  base.pipeline = r.pipeline;
  base.steps = r.steps;
  base.source = r.source;
  // The jobs run a snapshot of the resolved config: editing the file later
  // does not change a queued job.
  base.config = base.s.log_dir + "/" + base.s.job_name + "-" + r.stamp + ".yaml";
  std::vector<int64_t> counts = r.scaling.empty() ? std::vector<int64_t>{base.s.nodes} : r.scaling;
  std::vector<PlannedJob> out;
  for (int64_t n : counts) {
    Job j = base;
    j.s.nodes = n;
    if (!r.scaling.empty()) j.s.job_name = base.s.job_name + "-n" + std::to_string(n);
    j.run_dir = r.run_root + "/" + j.s.job_name +
                "-";  // + $SLURM_JOB_ID: a requeued job finds its checkpoints
    validate(j, r.profile);
    out.push_back({j, render(j)});
  }
  return out;
}

std::vector<JobRecord> submit_jobs(const SubmitRequest& r, Scheduler& scheduler) {
  auto jobs = plan_jobs(r);
  const std::string group = study_group(r);
  std::vector<JobRecord> records;
  for (const auto& p : jobs) {
    const Settings& s = p.job.s;
    fs::create_directories(s.log_dir);
    if (!fs::exists(p.job.config)) write_file_atomic(p.job.config, r.config_yaml);
    std::string path = s.log_dir + "/" + s.job_name + "-" + r.stamp + ".sbatch";
    write_file_atomic(path, p.script);
    JobRecord rec;
    rec.id = scheduler.submit(path);
    rec.name = s.job_name;
    rec.config = p.job.config;
    rec.pipeline = r.pipeline;
    rec.script = path;
    rec.log = s.log_dir + "/" + s.job_name + "-" + rec.id + ".out";
    rec.run_dir = p.job.run_dir + rec.id;
    rec.profile = r.profile.name;
    rec.group = group;
    rec.nodes = s.nodes;
    rec.submitted =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    add_record(rec);
    records.push_back(rec);
  }
  if (!group.empty()) {  // the study, for `itwin report`
    nlohmann::json j = {{"kind", "scaling"}, {"group", group}, {"jobs", nlohmann::json::array()}};
    for (const auto& rec : records) {
      j["jobs"].push_back(
          {{"nodes", rec.nodes}, {"job_id", rec.id}, {"run_dir", rec.run_dir}, {"log", rec.log}});
    }
    write_file_atomic(r.run_root + "/" + group + "/scaling.json", j.dump(2) + "\n");
  }
  return records;
}

}  // namespace itwin::slurm
