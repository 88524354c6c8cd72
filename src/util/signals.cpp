#include "itwin/util/signals.hpp"

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

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

// Only async-signal-safe calls below: write(2), backtrace_symbols_fd(3)
// (backtrace itself was warmed up at install, so it does not allocate).
void write_text(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void write_number(long v) {
  char buf[24];
  int i = sizeof buf - 1;
  buf[i] = 0;
  bool neg = v < 0;
  unsigned long u = neg ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
  do {
    buf[--i] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u && i > 1);
  if (neg) buf[--i] = '-';
  write_text(buf + i);
}

extern "C" void on_crash(int sig) {
  const char* name = sig == SIGSEGV   ? "SIGSEGV"
                     : sig == SIGBUS  ? "SIGBUS"
                     : sig == SIGILL  ? "SIGILL"
                     : sig == SIGFPE  ? "SIGFPE"
                     : sig == SIGABRT ? "SIGABRT"
                                      : "signal";
  write_text("\nitwin: fatal ");
  write_text(name);
  write_text(" in process ");
  write_number(getpid());
  write_text("; stack (innermost first):\n");
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  write_text("itwin: please report this crash with the stack above\n");
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void install_crash_reporter() {
  void* warm[2];
  backtrace(warm, 2);          // loads libgcc's unwinder now, not inside the handler
  static char alt[64 * 1024];  // a stack overflow still gets its report
  stack_t ss{};
  ss.ss_sp = alt;
  ss.ss_size = sizeof alt;
  sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) sigaction(sig, &sa, nullptr);
}

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
