#include "itwin/util/signals.hpp"

#include <signal.h>

#include <initializer_list>

namespace itwin {
namespace {

volatile sig_atomic_t g_stop = 0;

extern "C" void on_stop(int sig) {
  if (sig == SIGINT && g_stop == SIGINT) {  // a second Ctrl-C: the user means it
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
    return;
  }
  if (!g_stop) g_stop = sig;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  // A file that may grow no further (a quota, RLIMIT_FSIZE) is a write error
  // to report, like a full disk, not a signal that kills the process.
  signal(SIGXFSZ, SIG_IGN);
}

int stop_requested() { return g_stop; }

}  // namespace itwin
