#!/usr/bin/env python3
"""The Virgo noise-subtraction network in PyTorch: the twin of itwin's built-in
unet1d (src/models/unet1d.cpp), the same layers under the same parameter
names, so that a state dict moves between itwin and Python; and a script that
saves it as TorchScript for itwin to train (arch: torchscript).

  python3 use-cases/virgo/models.py --out ts/unet1d.ts.pt                   # 4 aux channels, width 16, depth 3
  python3 use-cases/virgo/models.py --out ts/unet1d.ts.pt --aux 4 --channels 8 --depth 2 --kernel 7

Loading weights itwin trained:
  from models import Unet1d
  m = Unet1d(aux=4, channels=16, depth=3, kernel=7)
  m.load_state_dict(torch.load("runs/virgo/model.pt"), strict=True)
  coupled = m(aux_normalised)        # [N, C, T] -> [N, T]
Needs Debian's python3-torch only.
"""

import argparse
import os
import sys
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout, kernel):
    """conv + ReLU, twice (same padding)."""
    return nn.Sequential(nn.Conv1d(cin, cout, kernel, padding=kernel // 2), nn.ReLU(),
                         nn.Conv1d(cout, cout, kernel, padding=kernel // 2), nn.ReLU())


class Unet1d(nn.Module):
    """[N, C, T] -> [N, T]; level i has channels * 2^i filters (see src/models/unet1d.hpp)."""

    def __init__(self, aux=4, channels=16, depth=3, kernel=7):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError("kernel must be odd")
        self.depth = depth
        self.down = nn.ModuleList()
        cin = aux
        for i in range(depth):
            self.down.append(block(cin, channels << i, kernel))
            cin = channels << i
        self.bottom = block(cin, channels << depth, kernel)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in reversed(range(depth)):
            self.up.append(nn.ConvTranspose1d(channels << (i + 1), channels << i, 2, stride=2))
            self.dec.append(block(2 * (channels << i), channels << i, kernel))
        self.head = nn.Conv1d(channels, 1, 1)

    def forward(self, x):
        t = x.size(2)
        m = 1 << self.depth
        if t % m:
            x = F.pad(x, [0, m - t % m])
        skips: List[torch.Tensor] = []
        for level in self.down:
            x = level(x)
            skips.append(x)
            x = F.max_pool1d(x, 2)
        x = self.bottom(x)
        i = 0
        for up, dec in zip(self.up, self.dec):
            x = torch.cat([up(x), skips[len(skips) - 1 - i]], 1)
            x = dec(x)
            i += 1
        return self.head(x).squeeze(1)[:, :t]


def main(argv):
    p = argparse.ArgumentParser(description="Save the Virgo unet1d as TorchScript for itwin "
                                "(arch: torchscript, path: the file written).")
    p.add_argument("--out", required=True, help="TorchScript file to write (e.g. ts/unet1d.ts.pt)")
    p.add_argument("--aux", type=int, default=4, help="input channels: the aux channels (default 4)")
    p.add_argument("--channels", type=int, default=16, help="filters of the first level (default 16)")
    p.add_argument("--depth", type=int, default=3, help="down-sampling levels (default 3)")
    p.add_argument("--kernel", type=int, default=7, help="convolution kernel, odd (default 7)")
    p.add_argument("--seed", type=int, default=0, help="initial weights' seed (default 0)")
    a = p.parse_args(argv)
    if a.aux < 1 or a.channels < 1 or not 1 <= a.depth <= 8 or a.kernel < 1 or a.kernel % 2 == 0:
        p.error("need --aux >= 1, --channels >= 1, 1 <= --depth <= 8 and an odd --kernel")
    torch.manual_seed(a.seed)
    model = torch.jit.script(Unet1d(a.aux, a.channels, a.depth, a.kernel))
    out_dir = os.path.dirname(a.out)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    tmp = f"{a.out}.tmp{os.getpid()}"
    try:
        model.save(tmp)
        os.replace(tmp, a.out)
    except OSError as e:
        sys.exit(f"models.py: cannot write {a.out}: {e.strerror or e}")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    n = sum(q.numel() for q in model.parameters())
    print(f"wrote {a.out}: unet1d aux {a.aux}, channels {a.channels}, depth {a.depth}, "
          f"kernel {a.kernel}, {n} parameters")


if __name__ == "__main__":
    main(sys.argv[1:])
