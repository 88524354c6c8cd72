#!/usr/bin/env python3
"""Electromagnetic showers in a sampling calorimeter for the 3DGAN use case.

A parametric shower model in the spirit of GFLASH (Grindhammer and Peters):
each shower is a Poisson number of energy "spots" whose depth follows a Gamma
longitudinal profile with its maximum at ln(E/Ec) - 0.5 radiation lengths,
whose distance from the shower axis follows a core + halo exponential profile,
and whose visible energies are Gamma distributed (sampling fluctuations).
Equations in use-cases/3dgan/README.md, section "Data".

HDF5 output, the layout of the 3DGAN training files (Khattak et al., arXiv:2109.07388):
  ECAL   [N, X, Y, Z] float32  visible energy per cell in GeV, Z = depth (layers)
  energy [N]          float32  primary energy in GeV
  theta  [N]          float32  polar angle of incidence in radians (with --angle)
Needs only Debian's python3-numpy and python3-h5py.
"""

import argparse
import os
import sys

import numpy as np

CRITICAL_GEV = 0.0080  # critical energy of tungsten
MOLIERE_CELLS = 1.8  # Moliere radius of tungsten (9.3 mm) in cells of 5.1 mm
B = 0.5  # Gamma profile slope per radiation length (one layer = one X0)
SPOT_SHAPE = 2.0  # Gamma shape of the spot energies
BATCH = 64


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Write parametric electromagnetic calorimeter showers (3DGAN layout: ECAL, "
        "energy, theta) to an HDF5 file.")
    p.add_argument("--out", required=True, help="output HDF5 file (overwritten)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--samples", type=int, default=1000, help="number of showers N (default 1000)")
    p.add_argument("--grid", default="25,25,25", help="cells X,Y,Z; Z = layers in depth (default 25,25,25)")
    p.add_argument("--emin", type=float, default=2.0, help="lowest primary energy in GeV (default 2)")
    p.add_argument("--emax", type=float, default=500.0, help="highest primary energy in GeV (default 500)")
    p.add_argument("--angle", action="store_true",
                   help="draw the polar angle theta uniformly in [60, 120] degrees and write 'theta' "
                   "(default: perpendicular incidence, no 'theta')")
    p.add_argument("--sampling-fraction", type=float, default=0.02,
                   help="visible fraction of the deposited energy (default 0.02)")
    p.add_argument("--stochastic", type=float, default=0.17,
                   help="stochastic term a of the resolution a/sqrt(E/GeV) (default 0.17)")
    p.add_argument("--threshold", type=float, default=1e-4,
                   help="cells below this visible energy in GeV read 0 (default 1e-4)")
    p.add_argument("--small", action="store_true", help="test size: 16 showers on a 25x25x25 grid")
    a = p.parse_args(argv)
    if a.small:
        a.samples, a.grid = 16, "25,25,25"
    try:
        a.shape = tuple(int(v) for v in a.grid.split(","))
    except ValueError:
        p.error(f"--grid '{a.grid}' is not three integers X,Y,Z")
    if len(a.shape) != 3 or min(a.shape) < 1:
        p.error(f"--grid '{a.grid}' is not three positive integers X,Y,Z")
    if a.samples < 1 or not 0 < a.emin <= a.emax or not 0 < a.sampling_fraction <= 1 or a.stochastic <= 0:
        p.error("need --samples >= 1, 0 < --emin <= --emax, 0 < --sampling-fraction <= 1, --stochastic > 0")
    return a


def shower(rng, e, theta, a):
    """One shower: visible energy per cell, shape a.shape."""
    nx, ny, nz = a.shape
    # Longitudinal: depth t (X0) ~ Gamma(alpha, 1/B), maximum at (alpha - 1) / B.
    t_max = max(np.log(e / CRITICAL_GEV) - 0.5, 0.5) * np.exp(rng.normal(0, 0.08))
    alpha = 1 + B * t_max
    # Spots: mean count so that the relative resolution is stochastic / sqrt(E).
    n = rng.poisson(e * (1 + 1 / SPOT_SHAPE) / a.stochastic**2)
    depth = rng.gamma(alpha, 1 / B, n)
    # Transverse: a narrow core and a wide halo, both widening with depth; the core dominates early.
    tau = depth / t_max
    in_core = rng.random(n) < np.clip(0.9 - 0.25 * tau, 0.4, 0.9)
    radius = np.where(in_core, 0.18 + 0.12 * tau, 0.7 + 0.4 * tau) * MOLIERE_CELLS
    r = rng.gamma(2.0, 1.0, n) * radius  # 2D exponential density exp(-r / radius)
    phi = rng.uniform(0, 2 * np.pi, n)
    # Inclined incidence: the axis leans by (pi/2 - theta) in the x-z plane; centred at the maximum.
    lean = np.pi / 2 - theta
    x0 = nx / 2 + rng.uniform(-0.5, 0.5) - t_max * np.sin(lean)
    y0 = ny / 2 + rng.uniform(-0.5, 0.5)
    x = x0 + depth * np.sin(lean) + r * np.cos(phi) / np.cos(lean)
    y = y0 + r * np.sin(phi)
    z = depth * np.cos(lean)
    ix, iy, iz = np.floor(x).astype(int), np.floor(y).astype(int), np.floor(z).astype(int)
    inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny) & (iz >= 0) & (iz < nz)  # leakage is lost
    spot_mean = a.sampling_fraction * a.stochastic**2 / (1 + 1 / SPOT_SHAPE)
    energy = rng.gamma(SPOT_SHAPE, spot_mean / SPOT_SHAPE, n)
    flat = np.ravel_multi_index((ix[inside], iy[inside], iz[inside]), a.shape)
    cells = np.bincount(flat, weights=energy[inside], minlength=nx * ny * nz)
    cells[cells < a.threshold] = 0.0
    return cells.reshape(a.shape)


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
    write_atomically(a.out, lambda tmp: write(tmp, a, np.random.default_rng(a.seed)))
    print(f"wrote {a.out}: {a.samples} showers on a {'x'.join(map(str, a.shape))} grid (seed {a.seed})")


def write(path, a, rng):
    import h5py

    rows = min(a.samples, 16)
    with h5py.File(path, "w") as f:
        f.attrs["description"] = "Parametric EM showers in a sampling calorimeter (itwin, 3DGAN layout)"
        f.attrs["source"] = "use-cases/3dgan/generate.py"
        f.attrs["seed"] = np.int64(a.seed)
        f.attrs["sampling_fraction"] = a.sampling_fraction
        f.attrs["stochastic_term"] = a.stochastic
        f.attrs["threshold_gev"] = a.threshold
        ecal = f.create_dataset("ECAL", (a.samples, *a.shape), "f4", chunks=(rows, *a.shape),
                                compression="gzip", compression_opts=4, shuffle=True)
        ecal.attrs["units"] = "GeV"
        ecal.attrs["long_name"] = "visible energy per cell; axes: shower, x, y, layer"
        energy = rng.uniform(a.emin, a.emax, a.samples)
        theta = rng.uniform(np.pi / 3, 2 * np.pi / 3, a.samples) if a.angle else np.full(a.samples, np.pi / 2)
        e = f.create_dataset("energy", data=energy.astype("f4"), chunks=(min(a.samples, 1024),))
        e.attrs["units"] = "GeV"
        e.attrs["long_name"] = "primary energy"
        if a.angle:
            t = f.create_dataset("theta", data=theta.astype("f4"), chunks=(min(a.samples, 1024),))
            t.attrs["units"] = "rad"
            t.attrs["long_name"] = "polar angle of incidence (pi/2 = perpendicular)"
        for b in range(0, a.samples, BATCH):
            n = min(BATCH, a.samples - b)
            ecal[b : b + n] = np.stack([shower(rng, energy[i], theta[i], a) for i in range(b, b + n)])


if __name__ == "__main__":
    main(sys.argv[1:])
