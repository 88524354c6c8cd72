// A rank's error for the launcher: one small file per rank beside the job
// file, its exit code on the first line and its message after.
#include "itwin/util/job_error.hpp"

#include <cstdlib>
#include <filesystem>
#include <tuple>

#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin {
namespace {

const char* const kSuffix = ".error-rank-";

}  // namespace

void leave_job_error(int rank, int exit_code, const std::string& text) noexcept {
  const char* job = std::getenv("ITWIN_JOB_FILE");
  if (!job) return;
  try {
    write_file_atomic(std::string(job) + kSuffix + std::to_string(rank),
                      std::to_string(exit_code) + "\n" + text + "\n");
  } catch (...) {
  }
}

JobError job_error(const std::string& job_file, int status) {
  const std::string prefix = fs::path(job_file).filename().string() + kSuffix;
  std::tuple<bool, int, std::string, int> best;  // code differs, rank, text, code: least wins
  bool found = false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(job_file).parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string text = read_file(entry.path().string());
    const size_t eol = text.find('\n');
    if (eol == std::string::npos) continue;  // not written by leave_job_error
    const int code = std::atoi(text.c_str());
    std::tuple<bool, int, std::string, int> cand{
        code != status, std::atoi(name.c_str() + prefix.size()), trim(text.substr(eol + 1)), code};
    if (!found || cand < best) best = cand;
    found = true;
  }
  return {std::get<2>(best), found && !std::get<0>(best), std::get<3>(best)};
}

}  // namespace itwin
