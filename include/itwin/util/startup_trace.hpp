#pragma once
/// Where a process's start-up time goes, for bench/perf_targets.sh: with
/// ITWIN_STARTUP_TRACE=FILE set, each mark appends one line
///   <pid> <what> <unix seconds>
/// to FILE (one write(2) with O_APPEND, so the ranks' lines never mix).
/// Without the variable a mark costs one getenv. The first mark of a process
/// also writes "exec" with the time the kernel started it (/proc/self/stat),
/// so that "exec" to "main" is the dynamic loading and static initialisation.

namespace itwin {

void startup_mark(const char* what);

}  // namespace itwin
