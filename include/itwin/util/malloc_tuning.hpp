#pragma once
/// glibc malloc for a training process. By default glibc maps each large
/// block (above a threshold that starts at 128 KiB and only adapts later) and
/// gives freed memory at the heap's top back to the kernel; a training step
/// frees and allocates the same tens of MB of activations and gradients
/// every step, so each step faults those pages in again (measured on the
/// 9.9M MLP, 2 ranks: 1.5 million minor faults in 40 steps on one code path,
/// 0.28 million with the settings below). tune_malloc() serves blocks up to
/// 32 MiB (glibc's ceiling for this setting) from the heap and keeps up to
/// 1 GiB of freed heap, as PyTorch users do with MALLOC_MMAP_THRESHOLD_ and
/// MALLOC_TRIM_THRESHOLD_.

namespace itwin {

/// Applies the settings above unless the user set MALLOC_MMAP_THRESHOLD_ or
/// MALLOC_TRIM_THRESHOLD_ (theirs win) or ITWIN_MALLOC_TUNING=0. Returns true
/// when it applied them.
bool tune_malloc();

}  // namespace itwin
