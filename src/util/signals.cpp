#include "itwin/util/signals.hpp"

#include <signal.h>

namespace itwin {
namespace {
volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop(int sig) { g_stop = sig; }
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stop_requested() { return g_stop; }

}  // namespace itwin
