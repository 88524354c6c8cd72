"""ResNet-18 for scripts/gpu/check.sh: writes the TorchScript model itwin trains, and times
the same training in PyTorch eager (host batches in pinned memory, copied non_blocking,
SGD with momentum, optional bf16/fp16 autocast). Prints one JSON line.

  python3 resnet.py script OUT.pt
  python3 resnet.py eager --precision bf16 --batch 256 --steps 60 --epochs 3
"""
import argparse, json, time
import torch, torchvision


class Flat2Image(torch.nn.Module):
    """itwin's synthetic dataset yields flat features; the model sees 3x64x64 images."""

    def __init__(self):
        super().__init__()
        self.net = torchvision.models.resnet18(num_classes=10)

    def forward(self, x):
        return self.net(x.view(-1, 3, 64, 64))


def eager(a):
    torch.manual_seed(1)
    dev = torch.device("cuda")
    model = Flat2Image().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    n = a.batch * a.steps
    x = torch.randn(n, 3 * 64 * 64).pin_memory()
    y = torch.randint(0, 10, (n,)).pin_memory()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.precision)
    scaler = torch.amp.GradScaler("cuda", enabled=a.precision == "fp16")
    rates = []
    for _ in range(a.epochs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(a.steps):
            xb = x[i * a.batch:(i + 1) * a.batch].to(dev, non_blocking=True)
            yb = y[i * a.batch:(i + 1) * a.batch].to(dev, non_blocking=True)
            with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
                loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        torch.cuda.synchronize()
        rates.append(n / (time.perf_counter() - t0))
    print(json.dumps({"precision": a.precision, "samples_per_s_by_epoch": rates, "last_epoch": rates[-1]}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["script", "eager"])
    p.add_argument("out", nargs="?")
    p.add_argument("--precision", default="fp32")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args()
    if a.what == "script":
        torch.jit.script(Flat2Image()).save(a.out)
    else:
        eager(a)
