"""The exported script's main program: one process, or data-parallel under torchrun.

:mod:`netbuilder.train.script` copies this below the model class and the
:mod:`recipe` into every ``train.py``; the imports from them here only serve
linting and tests. ``main`` follows the engine's order step for step (data, seed,
model, shuffling generator, loaders, loss, optimiser, schedule; then per epoch:
train, evaluate, schedule, record), which is why one CPU process reproduces the
engine's losses exactly. Under torchrun each process trains on its share of every
epoch (``DistributedSampler``) and evaluates its share of the validation set, and
the numbers printed are summed over all processes.
"""

import argparse
import json
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from .recipe import (
    Batches,
    Monitor,
    checkpoint,
    end_epoch,
    evaluate,
    make_loader,
    make_loss,
    make_optimizer,
    make_scheduler,
    predictions,
    restore,
    seed_everything,
    train_epoch,
)
from .script_data import split_indices, standardise


def parse_args(config):
    parser = argparse.ArgumentParser(description="Train the model; run under torchrun for several processes.")
    parser.add_argument("--epochs", type=int, default=config["epochs"])
    parser.add_argument("--batch-size", type=int, default=config["batch_size"], help="per process")
    parser.add_argument("--lr", type=float, default=config["optimizer"]["lr"])
    parser.add_argument("--seed", type=int, default=config["seed"])
    parser.add_argument("--device", default=config["device"], choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--data", default=config["data"]["source"], help="data file (for file data sets)")
    parser.add_argument("--out", default="checkpoints", help="folder for last.pt, best.pt and history.json")
    parser.add_argument("--resume", help="checkpoint (last.pt) to continue from")
    return parser.parse_args()


def pick_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    return torch.device(name)


def start_distributed(device):
    """Join torchrun's process group when launched by it (RANK and WORLD_SIZE are set):
    NCCL with one GPU per process, Gloo on CPUs. Returns ``(rank, world size, device)``."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return 0, 1, device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


def summed(values, device):
    """``values`` added up over all processes (unchanged in a single process)."""
    if not dist.is_initialized():
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def score_sums(outputs, y, task, top_k):
    """Sums of per-sample scores on this process's validation share, which add up across processes."""
    if task == "classification":
        sums = {"accuracy": (predictions(outputs) == y).sum().item()}
        for k in top_k:
            if 1 < k < outputs.shape[1]:
                sums[f"top{k}_accuracy"] = (outputs.topk(k, dim=1).indices == y[:, None]).any(dim=1).sum().item()
        return sums
    error = outputs.double() - y.double()
    return {"mse": (error**2).mean(dim=1).sum().item(), "mae": error.abs().mean(dim=1).sum().item()}


def main(config, model_class, load_data):
    args = parse_args(config)
    config = {**config, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "optimizer": {**config["optimizer"], "lr": args.lr}, "data": {**config["data"], "source": args.data}}
    data, seed = config["data"], config["seed"]
    rank, world, device = start_distributed(pick_device(args.device))
    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)

    x, y = load_data(config)
    train_index, val_index = split_indices(y, data["val_fraction"], seed,
                                           data["stratify"] and data["task"] == "classification")
    x_train, x_val = x[train_index], x[val_index]
    if data["standardise"]:
        x_train, x_val = standardise(x_train, x_val, data["kind"])
    x_train, x_val = torch.from_numpy(x_train), torch.from_numpy(x_val)
    y_train, y_val = torch.from_numpy(y[train_index]), torch.from_numpy(y[val_index])

    seed_everything(seed)
    net = model_class()
    for name in config["freeze"]:
        getattr(net, name).requires_grad_(False)
    net.to(device)
    generator = torch.Generator().manual_seed(seed)
    model = net
    if world > 1:
        model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = DistributedSampler(Batches(x_train, y_train), shuffle=True, seed=seed) if world > 1 else None
    pin = device.type == "cuda"
    train_loader = make_loader(x_train, y_train, config["batch_size"], generator=generator, sampler=sampler,
                               pin_memory=pin)
    val_loader = make_loader(x_val[rank::world], y_val[rank::world], config["batch_size"],
                             pin_memory=pin) if len(val_index) else None
    loss = config["loss"]
    loss_fn = make_loss(loss["name"], data["task"], device, loss["label_smoothing"], loss["class_weights"],
                        loss["focal_gamma"])
    opt = config["optimizer"]
    optimizer = make_optimizer(opt["name"], net, opt["lr"], opt["weight_decay"], opt["momentum"], opt["nesterov"],
                               opt["betas"])
    s = config["scheduler"]
    scheduler = make_scheduler(s["name"], optimizer, config["epochs"], len(train_loader), s["step_size"],
                               s["gamma"], s["min_lr"], s["pct_start"], s["factor"], s["patience"])
    scaler = torch.amp.GradScaler("cuda") if config["amp"] and device.type == "cuda" else None
    stopping = config["early_stopping"]
    monitor = Monitor(stopping["mode"], stopping["patience"], stopping["min_delta"])
    start, history = 0, []
    if args.resume:
        state = torch.load(args.resume, map_location="cpu", weights_only=True)
        start, history = restore(state, net, optimizer, scheduler, scaler, generator)
        for row in history:
            monitor.update(row[stopping["metric"]], row["epoch"])

    for epoch in range(start + 1, config["epochs"] + 1):
        started = time.perf_counter()
        if sampler is not None:
            sampler.set_epoch(epoch)
        total, count = 0.0, 0
        for n, batch_loss in train_epoch(model, train_loader, loss_fn, optimizer, scheduler, config["grad_clip"],
                                         scaler, device):
            total += batch_loss * n
            count += n
        total, count = summed([total, count], device)
        train_loss, val_loss, scores = total / count, None, {}
        if val_loader is not None:
            val_sum, val_count, outputs = evaluate(net, val_loader, loss_fn, device, scaler is not None)
            sums = score_sums(outputs, y_val[rank::world], data["task"], config["metrics"]["top_k"])
            val_sum, val_count, *values = summed([val_sum, val_count, *sums.values()], device)
            val_loss = val_sum / val_count
            scores = {name: value / val_count for name, value in zip(sums, values, strict=True)}
        lr = optimizer.param_groups[0]["lr"]
        end_epoch(scheduler, val_loss if val_loss is not None else train_loss)
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, **scores, "lr": lr,
               "duration": time.perf_counter() - started}
        history.append(row)
        best = monitor.update(row[stopping["metric"]], epoch)
        if rank == 0:
            shown = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch" and v is not None)
            print(f"epoch {epoch}/{config['epochs']}  {shown}", flush=True)
            state = checkpoint(net, optimizer, scheduler, scaler, generator, epoch, history)
            torch.save(state, out / "last.pt")
            if best:
                torch.save(state, out / "best.pt")
            (out / "history.json").write_text(json.dumps(history, indent=2))
        if monitor.should_stop:
            if rank == 0:
                print(f"stopping early: {stopping['metric']} has not improved for {stopping['patience']} epochs")
            break
    if world > 1:
        dist.barrier()  # rank 0 may still be saving: leaving early aborts the group under it
        dist.destroy_process_group()
