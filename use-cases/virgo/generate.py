#!/usr/bin/env python3
"""Synthetic gravitational-wave detector data for the Virgo use case.

Each sample is `duration` seconds of one main channel (the strain) and C
auxiliary channels (environmental and instrumental witness sensors):
  aux_c(t)    = environmental motion (slow sinusoids) + sine-Gaussian glitches + sensor noise
  strain(t)   = coloured detector noise + sum over the coupled channels of
                gain_c * (h_c * aux_c)(t - delay_c)
where h_c is a damped resonance (a mechanical coupling path). A network
that sees the aux channels can learn to predict, and so subtract, the
coupled part of the strain. Equations in use-cases/virgo/README.md, "Data".

HDF5 output (float32, chunked along the first axis):
  strain  [N, T]     the main channel
  aux     [N, C, T]  the auxiliary channels (attribute channel_names)
  coupled [N, T]     the part of the strain that comes from the aux channels (ground truth)
Needs only Debian's python3-numpy and python3-h5py.
"""

import argparse
import os
import sys

import numpy as np

BATCH = 64


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Write synthetic Virgo-like detector data (strain + auxiliary channels with "
        "glitches coupled into the strain) to an HDF5 file.")
    p.add_argument("--out", required=True, help="output HDF5 file (overwritten)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--samples", type=int, default=1000, help="number of samples N (default 1000)")
    p.add_argument("--duration", type=float, default=16.0, help="seconds per sample (default 16)")
    p.add_argument("--sample-rate", type=int, default=500, help="samples per second (default 500)")
    p.add_argument("--aux", type=int, default=4, help="auxiliary channels C (default 4)")
    p.add_argument("--coupled", type=int, default=3,
                   help="how many of the aux channels couple into the strain (default 3)")
    p.add_argument("--glitch-rate", type=float, default=0.25,
                   help="glitches per second in each aux channel (default 0.25)")
    p.add_argument("--noise", type=float, default=0.5, help="RMS of the strain's own noise (default 0.5)")
    p.add_argument("--small", action="store_true", help="test size: 8 samples of 2 s, 4 aux channels")
    a = p.parse_args(argv)
    if a.small:
        a.samples, a.duration, a.aux, a.coupled = 8, 2.0, 4, 3
    if a.samples < 1 or a.aux < 1 or not 0 <= a.coupled <= a.aux or a.sample_rate < 50:
        p.error("need --samples >= 1, --aux >= 1, 0 <= --coupled <= --aux, --sample-rate >= 50")
    if a.duration * a.sample_rate < 16 or a.glitch_rate < 0 or a.noise < 0:
        p.error("need at least 16 time steps, --glitch-rate >= 0 and --noise >= 0")
    return a


def couplings(rng, a):
    """Per-channel coupling path: gain, delay (s), resonance (Hz), quality factor."""
    gain = np.zeros(a.aux)
    gain[: a.coupled] = rng.uniform(0.2, 1.0, a.coupled)
    rng.shuffle(gain)  # which channels couple is not their order
    nyquist = a.sample_rate / 2
    return dict(gain=gain, delay=rng.uniform(0.0, 0.05, a.aux),
                resonance=rng.uniform(5.0, min(60.0, 0.4 * nyquist), a.aux),
                quality=rng.uniform(2.0, 10.0, a.aux))


def environment(rng, n, c, t):
    """itwinai's auxiliary signal: 10-15 sinusoids (0.5-2 amplitude, 0.5-5 Hz) per channel."""
    out = np.zeros((n, c, len(t)))
    for i in range(n):
        for j in range(c):
            k = rng.integers(10, 16)
            amp, freq, phase = rng.uniform(0.5, 2.0, k), rng.uniform(0.5, 5.0, k), rng.uniform(0, 2 * np.pi, k)
            out[i, j] = (amp[:, None] * np.sin(2 * np.pi * freq[:, None] * t[None, :] + phase[:, None])).sum(0)
    return out


def add_glitches(rng, x, fs, rate):
    """Sine-Gaussian bursts: A exp(-(t-t0)^2 / (2 tau^2)) sin(2 pi f0 (t-t0) + phi), tau = Q / (sqrt(2) pi f0)."""
    n, c, m = x.shape
    hi = min(150.0, 0.45 * fs)
    for i in range(n):
        for j in range(c):
            for _ in range(rng.poisson(rate * m / fs)):
                f0 = np.exp(rng.uniform(np.log(10.0), np.log(hi)))
                tau = rng.uniform(3.0, 20.0) / (np.sqrt(2) * np.pi * f0)
                t0 = rng.uniform(0, m / fs)
                amp = np.exp(rng.uniform(np.log(3.0), np.log(30.0)))
                lo_i, hi_i = max(0, int((t0 - 5 * tau) * fs)), min(m, int((t0 + 5 * tau) * fs) + 1)
                tt = np.arange(lo_i, hi_i) / fs - t0
                x[i, j, lo_i:hi_i] += amp * np.exp(-tt * tt / (2 * tau * tau)) * np.sin(
                    2 * np.pi * f0 * tt + rng.uniform(0, 2 * np.pi))


def detector_noise(rng, n, m, fs, rms):
    """Gaussian noise with amplitude spectral density ~ sqrt(1 + (10 Hz/f)^4 + (f/150 Hz)^2)."""
    f = np.fft.rfftfreq(m, 1 / fs)
    f[0] = f[1]
    asd = np.sqrt(1 + (10.0 / np.maximum(f, 1.0)) ** 4 + (f / 150.0) ** 2)
    spec = (rng.standard_normal((n, len(f))) + 1j * rng.standard_normal((n, len(f)))) * asd
    x = np.fft.irfft(spec, m, axis=-1)
    return rms * x / x.std(axis=-1, keepdims=True)


def couple(aux, fs, cp):
    """sum_c gain_c * (h_c * aux_c)(t - delay_c), in the frequency domain:
    H_c(f) = w_c^2 / (w_c^2 - w^2 + i w w_c / Q_c) * exp(-i w delay_c), w = 2 pi f."""
    m = aux.shape[-1]
    w = 2 * np.pi * np.fft.rfftfreq(m, 1 / fs)[None, :]
    wc = 2 * np.pi * cp["resonance"][:, None]
    h = wc**2 / (wc**2 - w**2 + 1j * w * wc / cp["quality"][:, None])
    h *= np.exp(-1j * w * cp["delay"][:, None]) * cp["gain"][:, None]
    return np.fft.irfft((np.fft.rfft(aux, axis=-1) * h[None]).sum(axis=1), m, axis=-1)


def write_atomically(out, write):
    """Calls write(tmp) and renames tmp to `out`: a failed run leaves no half-written file."""
    tmp = f"{out}.tmp{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, out)
    except OSError as e:
        sys.exit(f"generate.py: cannot write {out}: {e.strerror or e}")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv):
    a = parse_args(argv)
    rng = np.random.default_rng(a.seed)
    fs, m = a.sample_rate, int(round(a.duration * a.sample_rate))
    pad = fs  # one second before each sample absorbs the wrap-around of the FFT filters
    cp = couplings(rng, a)
    write_atomically(a.out, lambda tmp: write(tmp, a, rng, cp, fs, m, pad))
    print(f"wrote {a.out}: {a.samples} samples x {a.aux} aux channels x {m} steps (seed {a.seed})")


def write(path, a, rng, cp, fs, m, pad):
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["description"] = "Synthetic Virgo-like strain and auxiliary channels (itwin)"
        f.attrs["source"] = "use-cases/virgo/generate.py"
        f.attrs["sample_rate"] = float(fs)
        f.attrs["duration"] = float(m / fs)
        f.attrs["seed"] = np.int64(a.seed)
        rows = min(a.samples, BATCH)
        strain = f.create_dataset("strain", (a.samples, m), "f4", chunks=(rows, m))
        aux = f.create_dataset("aux", (a.samples, a.aux, m), "f4", chunks=(min(rows, 16), a.aux, m))
        coupled = f.create_dataset("coupled", (a.samples, m), "f4", chunks=(rows, m))
        strain.attrs["units"] = "1 (arbitrary strain units)"
        strain.attrs["long_name"] = "main channel: detector strain"
        coupled.attrs["long_name"] = "part of the strain coupled from the auxiliary channels"
        aux.attrs["channel_names"] = [f"AUX_{j}" for j in range(a.aux)]
        aux.attrs["coupling_gain"] = cp["gain"]
        aux.attrs["coupling_delay_s"] = cp["delay"]
        aux.attrs["coupling_resonance_hz"] = cp["resonance"]
        aux.attrs["coupling_quality"] = cp["quality"]
        t = np.arange(m + pad) / fs
        for b in range(0, a.samples, BATCH):
            n = min(BATCH, a.samples - b)
            x = environment(rng, n, a.aux, t)
            add_glitches(rng, x, fs, a.glitch_rate)
            x += 0.1 * rng.standard_normal(x.shape)
            c = couple(x, fs, cp)[:, pad:]
            aux[b : b + n] = x[:, :, pad:]
            coupled[b : b + n] = c
            strain[b : b + n] = c + detector_noise(rng, n, m, fs, a.noise)


if __name__ == "__main__":
    main(sys.argv[1:])
