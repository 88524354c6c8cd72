// The floor of any LibTorch program's start-up (bench/perf_targets.sh, issue
// 13): a main that does nothing but ask LibTorch its thread count, so the
// time from exec to exit is the dynamic loading of LibTorch and its ~290
// shared libraries plus their static initialisers (operator registration).
#include <torch/torch.h>

int main() { return torch::get_num_threads() > 0 ? 0 : 1; }
