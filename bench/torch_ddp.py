"""PyTorch's own DDP on the same work as itwin, for bench/ddp_vs_torchrun.sh.

torchrun --standalone --nproc_per_node N bench/torch_ddp.py MODEL BATCH STEPS OUT.json
MODEL: cnn (the itwinai tutorial CNN) or mlp10m (784-2560-2560-512-10, 9.9M parameters).
Writes rank 0's wall-clock time at the end of the first optimizer step and the
samples/s over the STEPS steps (all ranks together).
"""
import gzip
import json
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.conv2_drop = nn.Dropout2d(0.25)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.dropout(F.relu(self.fc1(x.flatten(1))), 0.25, self.training)
        return self.fc2(x)


def mlp10m():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 2560), nn.ReLU(), nn.Linear(2560, 2560), nn.ReLU(),
                         nn.Linear(2560, 512), nn.ReLU(), nn.Linear(512, 10))


def load():
    d = "/usr/share/datasets/fashion-mnist/"
    with gzip.open(d + "train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(d + "train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    x = (torch.from_numpy(x.astype(np.float32) / 255.0) - 0.286) / 0.353
    return TensorDataset(x[5000:], torch.from_numpy(y.astype(np.int64))[5000:])


def main(model_name, batch, steps, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(42)
    ds = load()
    loader = DataLoader(ds, batch_size=int(batch), sampler=DistributedSampler(ds, shuffle=True, seed=42))
    model = DDP(Cnn() if model_name == "cnn" else mlp10m())
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    first, n, t0 = None, 0, time.time()
    for i, (x, y) in enumerate(loader):
        if i == int(steps):
            break
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
        n += x.size(0)
        if first is None:
            first = time.time()
    secs = time.time() - t0
    if rank == 0:
        with open(out, "w") as f:
            json.dump({"first_step_unix": first, "samples_per_s": n * world / secs, "steps": int(steps)}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
