#pragma once
// A shared library opened with dlopen and closed with it (internal to src/monitor).

#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace itwin::monitor {

class DynLib {
 public:
  /// Opens `path` (RTLD_NOW | RTLD_LOCAL); ok() is false and error() says why when it cannot.
  explicit DynLib(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* e = dlerror();
      error_ = e ? e : "dlopen failed";
    }
  }
  ~DynLib() {
    if (handle_) dlclose(handle_);
  }
  DynLib(const DynLib&) = delete;
  DynLib& operator=(const DynLib&) = delete;

  bool ok() const { return handle_ != nullptr; }
  const std::string& error() const { return error_; }

  /// The symbol `name` as a function pointer of type F; false when missing.
  template <class F>
  bool get(const char* name, F& fn) const {
    fn = reinterpret_cast<F>(dlsym(handle_, name));
    return fn != nullptr;
  }

 private:
  void* handle_ = nullptr;
  std::string error_;
};

/// Opens a vendor library: `path`, else $ENV_VAR when set, else `fallback`
/// (the one chosen in *chosen). Null, with *why = "WHAT: PATH not loaded
/// (REASON)", when it cannot.
inline std::unique_ptr<DynLib> open_vendor_library(const std::string& path, const char* env_var,
                                                   const char* fallback, const char* what,
                                                   std::string* chosen, std::string* why) {
  std::string& p = *chosen;
  p = path;
  if (p.empty()) {
    const char* env = std::getenv(env_var);
    p = env && *env ? env : fallback;
  }
  auto lib = std::make_unique<DynLib>(p);
  if (lib->ok()) return lib;
  *why = std::string(what) + ": " + p + " not loaded (" + lib->error() + ")";
  return nullptr;
}

}  // namespace itwin::monitor
