"""Python side of itwin's generative-training tests (Debian's python3-torch, -h5py, -numpy).

  mixture OUT.h5 N             a 1-D Gaussian mixture, x [N, 1] and a constant condition c [N] = 1
  showers FILE.h5 N GRID E...  FILE holds ECAL [N, *GRID] >= 0 and energy [N]: each of E..., N/len(E) times, in order
  same-h5 A.h5 B.h5 NAME       dataset NAME is equal in both files (within 1e-5)
  builtin G.pt D.pt LATENT GRID
                               itwin's gan3d state dicts load strictly into models.py's Generator and Discriminator
  check-ts ORIG.ts.pt STATE.pt TRAINED.ts.pt LATENT
                               itwin's state dict loaded into the original scripted generator computes what
                               itwin's exported TorchScript computes, and training changed it
"""
import os
import sys

import numpy as np


def grid(text):
    return tuple(int(v) for v in text.split(","))


def main(cmd, *args):
    if cmd == "mixture":
        import h5py
        n = int(args[1])
        rng = np.random.default_rng(0)
        x = (rng.integers(0, 2, n) * 4 - 2 + 0.5 * rng.standard_normal(n)).astype("f4")[:, None]
        with h5py.File(args[0], "w") as f:
            f["x"] = x
            f["c"] = np.ones(n, "f4")
    elif cmd == "showers":
        import h5py
        n, shape, energies = int(args[1]), grid(args[2]), [float(e) for e in args[3:]]
        with h5py.File(args[0], "r") as f:
            ecal, e = f["ECAL"][...], f["energy"][...]
        assert ecal.shape == (n, *shape), f"ECAL has shape {ecal.shape}"
        assert ecal.min() >= 0, "negative energies"
        assert ecal.reshape(n, -1).sum(1).min() > 0, "an empty shower"
        want = np.repeat(np.array(energies, "f4"), n // len(energies))
        assert np.array_equal(e, want), f"energies {e[:5]}... are not {want[:5]}..."
    elif cmd == "same-h5":
        import h5py
        with h5py.File(args[0], "r") as a, h5py.File(args[1], "r") as b:
            x, y = a[args[2]][...], b[args[2]][...]
        assert x.shape == y.shape, f"shapes {x.shape} and {y.shape}"
        worst = np.abs(x - y).max()
        print(f"largest difference {worst:.3g}")
        assert np.allclose(x, y, rtol=1e-5, atol=1e-5), "the files differ"
    elif cmd == "builtin":
        import torch
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../use-cases/3dgan"))
        from models import Discriminator, Generator
        latent, shape = int(args[2]), grid(args[3])
        gc, dc = grid(args[4]), grid(args[5])  # stage widths, as the run's config
        g, d = Generator(latent, 1, shape, gc), Discriminator(1, shape, dc)
        g.load_state_dict(torch.load(args[0]), strict=True)
        d.load_state_dict(torch.load(args[1]), strict=True)
        g.eval()
        x = g(torch.cat([torch.randn(4, latent), torch.ones(4, 1)], 1))
        assert x.shape == (4, *shape) and d(x).shape == (4, 2)
    elif cmd == "check-ts":
        import torch
        latent = int(args[3])
        orig = torch.jit.load(args[0])
        untrained = torch.jit.load(args[0]).fc.weight.clone()
        orig.load_state_dict(torch.load(args[1]), strict=True)
        trained = torch.jit.load(args[2])
        orig.eval()
        trained.eval()
        z = torch.cat([torch.randn(3, latent), torch.ones(3, 1)], 1)
        assert torch.equal(orig(z), trained(z)), "state dict and TorchScript export disagree"
        assert not torch.equal(untrained, trained.fc.weight), "training did not change the generator"
    else:
        raise SystemExit(f"unknown command {cmd}")
    print("ok")


if __name__ == "__main__":
    main(*sys.argv[1:])
