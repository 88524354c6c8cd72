#!/usr/bin/python3
"""The reference study for bench/hpo_vs_optuna.sh: Optuna 3.1's TPESampler and
SuccessiveHalvingPruner tuning the same Fashion-MNIST MLP as bench/hpo_study.yaml
(the same data subset sizes, normalisation, model, optimizer, epochs, search
space, trials and concurrency), training in PyTorch.

usage: hpo_optuna.py DATA_DIR SEED TRIALS EPOCHS LIMIT VALIDATION STARTUP JOBS OUT.json
Prints nothing on success; OUT.json gets the best value and the wall time.
"""
import gzip
import json
import sys
import time

import numpy as np
import optuna
import torch
import torch.nn as nn
import torch.nn.functional as F

T0 = time.time()  # after the imports; bench/hpo_vs_optuna.sh times the whole process itself


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, limit, validation, seed):
    x = idx(f"{data_dir}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = idx(f"{data_dir}/train-labels-idx1-ubyte.gz").astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(x))
    val, train = perm[:validation], perm[validation:validation + limit]
    norm = lambda a: torch.from_numpy((a - 0.2860) / 0.3530).unsqueeze(1)  # noqa: E731
    return (norm(x[train]), torch.from_numpy(y[train]), norm(x[val]), torch.from_numpy(y[val]))


class Mlp(nn.Module):  # itwin's `arch: mlp`: [Linear, ReLU, Dropout] per hidden width, Linear
    def __init__(self, hidden, dropout):
        super().__init__()
        layers, prev = [], 784
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout > 0 else [])
            prev = h
        self.net = nn.Sequential(*layers, nn.Linear(prev, 10))

    def forward(self, x):
        return self.net(x.flatten(1))


def main():
    data_dir, seed, trials, epochs, limit, validation, startup, jobs, out = sys.argv[1:10]
    seed, trials, epochs, jobs = int(seed), int(trials), int(epochs), int(jobs)
    torch.set_num_threads(1)  # one core per concurrent trial, as itwin's --threads
    xt, yt, xv, yv = load(data_dir, int(limit), int(validation), seed)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-3, 0.3, log=True)
        hidden = trial.suggest_categorical("hidden", [64, 128, 256])
        batch = trial.suggest_categorical("batch_size", [32, 64, 128])
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        torch.manual_seed(seed * 1000 + trial.number)
        model = Mlp([hidden], dropout)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        gen = torch.Generator().manual_seed(seed * 1000 + trial.number)
        val_loss = float("nan")
        for epoch in range(1, epochs + 1):
            model.train()
            for b in torch.randperm(len(xt), generator=gen).split(batch):
                opt.zero_grad()
                F.cross_entropy(model(xt[b]), yt[b]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                val_loss = F.cross_entropy(model(xv), yv).item()
            if not np.isfinite(val_loss):
                return float("inf")  # diverged: the worst value (itwin: FAILED)
            trial.report(val_loss, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return val_loss

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Optuna 3.1 defaults otherwise (n_ei_candidates 24, prior_weight 1,
    # consider_magic_clip, no endpoints, univariate), as itwin's tpe.
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=int(startup))
    # Asynchronous successive halving: rungs at 1, 3, 9 ... epochs, the top 1/3 go on.
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3,
                                                    min_early_stopping_rate=0)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=trials, n_jobs=jobs)
    # Pruned trials' last reported values count too, as itwin ranks stopped trials.
    values = [t.value for t in study.trials if t.value is not None]
    values += [t.intermediate_values[max(t.intermediate_values)] for t in study.trials
               if t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    with open(out, "w") as f:
        json.dump({"best_completed": min(t.value for t in complete) if complete else None,
                   "best_any": min(values) if values else None,
                   "trials": len(study.trials), "pruned": len(study.trials) - len(complete),
                   "wall_s": time.time() - T0}, f)


if __name__ == "__main__":
    main()
