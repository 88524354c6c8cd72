"""PyTorch side of itwin's interoperability tests (Debian's python3-torch).

  make-ts OUT.pt IN OUT        script a small MLP (IN features -> OUT classes), torch.jit.save it
  check-ts ORIG.pt STATE.pt TRAINED_TS.pt
                               load itwin's state dict into the original scripted module and check it
                               computes exactly what itwin's exported TorchScript computes
  cnn-predict STATE.pt PRED.csv N
                               load itwin's CNN weights into the itwinai tutorial CNN defined here and
                               check its predictions on the first N t10k images equal itwin's
  same-state A.pt B.pt         the two state dicts hold identical tensors
  close-state A.pt B.pt RTOL ATOL
                               the two state dicts agree within tolerance (prints the largest difference)
"""
import csv
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.fc1 = nn.Linear(n_in, 32)
        self.drop = nn.Dropout(0.1)
        self.fc2 = nn.Linear(32, n_out)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x.flatten(1)))))


class Cnn(nn.Module):  # the itwinai MNIST tutorial network
    def __init__(self, dropout: float = 0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(dropout)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.dropout = dropout

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.dropout(x, p=self.dropout, training=self.training)
        return self.fc2(x)


def t10k_images(n):
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    x = torch.from_numpy(data[: n * 784].astype(np.float32) / 255.0).view(n, 1, 28, 28)
    return (x - 0.2860) / 0.3530


def main(cmd, *args):
    torch.manual_seed(0)
    if cmd == "make-ts":
        torch.jit.script(Mlp(int(args[1]), int(args[2]))).save(args[0])
    elif cmd == "check-ts":
        orig = torch.jit.load(args[0])
        state = torch.load(args[1])
        orig.load_state_dict(state, strict=True)
        trained = torch.jit.load(args[2])
        orig.eval()
        trained.eval()
        x = torch.randn(8, *[p for p in orig.fc1.weight.shape[1:]])
        assert torch.equal(orig(x), trained(x)), "state dict and TorchScript export disagree"
        changed = not torch.equal(torch.jit.load(args[0]).fc1.weight, trained.fc1.weight)
        assert changed, "training did not change the weights"
    elif cmd == "cnn-predict":
        net = Cnn()
        net.load_state_dict(torch.load(args[0]), strict=True)
        net.eval()
        n = int(args[2])
        with torch.no_grad():
            ours = net(t10k_images(n)).argmax(1).tolist()
        with open(args[1]) as f:
            theirs = [int(r["prediction"]) for r in csv.DictReader(f)][:n]
        assert ours == theirs, f"predictions differ at {sum(a != b for a, b in zip(ours, theirs))} of {n} images"
    elif cmd == "same-state":
        a, b = torch.load(args[0]), torch.load(args[1])
        assert a.keys() == b.keys(), "different parameter names"
        bad = [k for k in a if not torch.equal(a[k], b[k])]
        assert not bad, f"tensors differ: {bad}"
    elif cmd == "close-state":
        a, b = torch.load(args[0]), torch.load(args[1])
        assert a.keys() == b.keys(), "different parameter names"
        rtol, atol = float(args[2]), float(args[3])
        worst = max((a[k] - b[k]).abs().max().item() for k in a)
        bad = [k for k in a if not torch.allclose(a[k], b[k], rtol=rtol, atol=atol)]
        print(f"largest difference {worst:.3g}")
        assert not bad, f"tensors differ beyond rtol={rtol} atol={atol}: {bad}"
    else:
        raise SystemExit(f"unknown command {cmd}")
    print("ok")


if __name__ == "__main__":
    main(*sys.argv[1:])
