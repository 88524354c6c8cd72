#!/usr/bin/env python3
"""The 3DGAN networks in PyTorch, twins of itwin's built-in gan3d_generator and
gan3d_discriminator (src/models/gan3d.cpp): the same layers under the same
parameter names, so that a state dict moves between itwin and Python, and a
script that saves them as TorchScript for itwin to train (arch: torchscript).

  python3 use-cases/3dgan/models.py --out-dir ts/                     # 25^3 grid, latent 64, 1 condition
  python3 use-cases/3dgan/models.py --out-dir ts/ --grid 8,8,8 --latent 16 --conditions 1

Loading weights itwin trained:
  from models import Generator
  g = Generator(latent=64, conditions=1, shape=(25, 25, 25), channels=(32, 16, 8))
  g.load_state_dict(torch.load("runs/3dgan/generator.pt"), strict=True)
  showers = g(torch.cat([torch.randn(10, 64), torch.full((10, 1), 100.0 / 100)], 1))   # E = 100 GeV, condition_scale 100
Needs Debian's python3-torch only.
"""

import argparse
import math
import os
import sys
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    """[N, latent + conditions] -> [N, X, Y, Z] energies >= 0 (see src/models/gan3d.hpp)."""

    def __init__(self, latent=64, conditions=1, shape=(25, 25, 25), channels=(32, 16, 8)):
        super().__init__()
        k = len(channels) - 1
        self.shape: List[int] = list(shape)
        self.base: List[int] = [-(-s // 2**k) for s in shape]
        self.width0 = channels[0]
        self.fc = nn.Linear(latent + conditions, channels[0] * math.prod(self.base))
        self.bn0 = nn.BatchNorm3d(channels[0])
        layers = []
        for i in range(1, len(channels)):
            layers += [nn.ConvTranspose3d(channels[i - 1], channels[i], 4, stride=2, padding=1),
                       nn.BatchNorm3d(channels[i]), nn.LeakyReLU(0.2)]
        self.up = nn.Sequential(*layers)
        self.out = nn.Conv3d(channels[-1], 1, 3, padding=1)

    def forward(self, x):
        h = self.fc(x).view(x.size(0), self.width0, self.base[0], self.base[1], self.base[2])
        h = F.leaky_relu(self.bn0(h), 0.2)
        h = self.up(h)
        h = self.out(h)[:, 0, : self.shape[0], : self.shape[1], : self.shape[2]]
        return F.relu(h)


class Discriminator(nn.Module):
    """[N, X, Y, Z] -> [N, 1 + conditions]: a score, then the regressed conditions."""

    def __init__(self, conditions=1, shape=(25, 25, 25), channels=(8, 16, 32)):
        super().__init__()
        layers, prev, size = [], 1, list(shape)
        for c in channels:
            layers += [nn.Conv3d(prev, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            prev, size = c, [(s + 2 - 4) // 2 + 1 for s in size]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(prev * math.prod(size), 1 + conditions)

    def forward(self, x):
        return self.head(self.features(x.unsqueeze(1)).flatten(1))


def ints(text, what):
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        sys.exit(f"models.py: {what} '{text}' is not a comma-separated list of integers")


def main(argv):
    p = argparse.ArgumentParser(description="Save the 3DGAN generator and discriminator as TorchScript "
                                "(generator.ts.pt, discriminator.ts.pt) for itwin (arch: torchscript).")
    p.add_argument("--out-dir", required=True, help="directory for generator.ts.pt and discriminator.ts.pt")
    p.add_argument("--grid", default="25,25,25", help="cells X,Y,Z (default 25,25,25)")
    p.add_argument("--latent", type=int, default=64, help="noise dimensions (default 64)")
    p.add_argument("--conditions", type=int, default=1, help="conditioning values: 1 energy, 2 energy and angle")
    p.add_argument("--g-channels", default="32,16,8", help="generator stage widths (default 32,16,8)")
    p.add_argument("--d-channels", default="8,16,32", help="discriminator stage widths (default 8,16,32)")
    p.add_argument("--seed", type=int, default=0, help="initial weights (default 0)")
    a = p.parse_args(argv)
    torch.manual_seed(a.seed)
    grid = ints(a.grid, "--grid")
    os.makedirs(a.out_dir, exist_ok=True)
    g = Generator(a.latent, a.conditions, grid, ints(a.g_channels, "--g-channels"))
    d = Discriminator(a.conditions, grid, ints(a.d_channels, "--d-channels"))
    torch.jit.script(g).save(os.path.join(a.out_dir, "generator.ts.pt"))
    torch.jit.script(d).save(os.path.join(a.out_dir, "discriminator.ts.pt"))
    print(f"wrote {a.out_dir}/generator.ts.pt and discriminator.ts.pt (grid {grid}, latent {a.latent}, "
          f"{a.conditions} condition(s))")


if __name__ == "__main__":
    main(sys.argv[1:])
