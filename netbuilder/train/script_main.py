"""The exported script's main program: one process, or data-parallel under torchrun.

:mod:`netbuilder.train.script` copies this below the model class and the
:mod:`recipe` into every ``train.py``; the imports from them here only serve
linting and tests. :func:`train` builds the run in the engine's order (data, seed,
model, shuffling generator, batches, loss, optimiser, schedule) and then runs the
very epoch loop the engine runs, :func:`recipe.fit`, which is why one CPU process
reproduces the engine's weights exactly. Under torchrun each process trains on its share of every
epoch (``DistributedSampler``) and evaluates its share of the validation set, and
the numbers printed are summed over all processes.
"""

import argparse
import json
import os
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.nn  # before the group exists: see start_distributed
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from .recipe import (
    Batches,
    EpochDone,
    Monitor,
    SupervisedStep,
    checkpoint,
    evaluate,
    fit,
    freeze,
    make_loss,
    make_optimizer,
    make_scheduler,
    predictions,
    restore,
    seed_everything,
)
from .script_data import split_indices, standardise


def parse_args(config):
    return run_arguments(config, "Train the model; run under torchrun for several processes.", "data file",
                         "folder for last.pt, best.pt and history.json").parse_args()


def run_arguments(config, description, data_help, out_help):
    """The flags every exported training script takes, defaulting to its settings."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=config["epochs"])
    parser.add_argument("--batch-size", type=int, default=config["batch_size"], help="per process")
    parser.add_argument("--lr", type=float, default=config["optimizer"]["lr"])
    parser.add_argument("--seed", type=int, default=config["seed"])
    parser.add_argument("--device", default=config["device"], choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--data", default=config["data"]["source"], help=f"{data_help} (for file data sets)")
    parser.add_argument("--out", default="checkpoints", help=out_help)
    parser.add_argument("--resume", help="checkpoint (last.pt) to continue from")
    return parser


def pick_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    return torch.device(name)


def start_distributed(device):
    """Join torchrun's process group when launched by it (RANK and WORLD_SIZE are set):
    NCCL with one GPU per process, Gloo on CPUs. Returns ``(rank, world size, device)``.

    ``torch.distributed.nn`` is imported at the top, before this: its functions take
    ``group=group.WORLD`` as a default argument, evaluated when the module is imported,
    and torch imports it on its own later (building the optimiser imports
    ``torch._dynamo``, which imports it). Imported once the group exists, those defaults
    would hold the group past :func:`leave_distributed`, to be torn down while the
    interpreter exits, under Gloo's running threads: the process then aborts with
    "terminate called without an active exception".
    """
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
    rank, world, device = start_distributed(pick_device(args.device))
    train(config, model_class, load_data, args, rank, world, device)
    if dist.is_initialized():
        leave_distributed()


def train(config, model_class, load_data, args, rank, world, device):
    """Build the run in the engine's order and train it with :func:`fit`."""
    data, seed = config["data"], config["seed"]
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
    for path in config["freeze"]:  # paths into the model: "fc", "layer2.0.conv1"
        freeze(net, path)
    net.to(device)
    generator = torch.Generator().manual_seed(seed)
    model = net
    if world > 1:
        model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = DistributedSampler(range(len(x_train)), shuffle=True, seed=seed) if world > 1 else None
    batches = Batches(x_train, y_train, config["batch_size"], generator, sampler, device)
    loss_fn = make_loss(task=data["task"], device=device, **config["loss"])
    optimizer, scheduler, scaler, monitor, history = run_parts(config, net, len(batches), device, args.resume,
                                                               generator)
    stopping = config["early_stopping"]
    validate = None
    if len(val_index):
        val_batches = Batches(x_val[rank::world], y_val[rank::world], config["batch_size"], device=device)
        validate = validation(net, val_batches, loss_fn, data["task"], config["metrics"]["top_k"], scaler, device)

    step = SupervisedStep(model, loss_fn, optimizer, scheduler, config["grad_clip"], scaler)
    for done in fit(step, batches, validate, scheduler, monitor, stopping["metric"], history, config["epochs"],
                    device, summed=lambda values: summed(values, device)):
        if rank == 0 and isinstance(done, EpochDone):
            save(done, out, config["epochs"], checkpoint(net, optimizer, scheduler, scaler, generator,
                                                         done.row["epoch"], history))
    if rank == 0 and monitor.should_stop:
        print(f"stopping early: {stopping['metric']} has not improved for {stopping['patience']} epochs")


def validation(net, batches, loss_fn, task, top_k, scaler, device):
    """``validate()`` for :func:`fit`: this process's share of the validation set,
    its loss and scores added up over all processes."""
    def validate():
        val_sum, val_count, outputs = evaluate(net, batches, loss_fn, device, scaler is not None)
        sums = score_sums(outputs, batches.y.cpu(), task, top_k)
        val_sum, val_count, *values = summed([val_sum, val_count, *sums.values()], device)
        return val_sum / val_count, {name: value / val_count for name, value in zip(sums, values, strict=True)}
    return validate


def save(done, out, epochs, state):
    """Print the epoch's row; write last.pt (best.pt too if it is the best) and history.json."""
    row = done.row
    shown = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch" and v is not None)
    print(f"epoch {row['epoch']}/{epochs}  {shown}", flush=True)
    torch.save(state, out / "last.pt")
    if done.best:
        torch.save(state, out / "best.pt")
    (out / "history.json").write_text(json.dumps(state["history"], indent=2))


def leave_distributed():
    """Leave the process group so that no process exits under another's feet.

    The barrier waits for rank 0 to finish saving. The group is destroyed here, while
    the interpreter is whole, once nothing holds it any more: :func:`train` has
    returned, which frees the DistributedDataParallel wrapper, and no module keeps
    the group as a default argument (see :func:`start_distributed`).
    """
    dist.barrier()
    dist.destroy_process_group()


def run_parts(config, net, steps_per_epoch, device, resume, generator):
    """The optimizer, schedule, AMP scaler, early-stopping monitor and history of a run
    with ``config``: a new one, or the checkpoint ``resume`` continued."""
    opt = config["optimizer"]
    optimizer = make_optimizer(opt["name"], net, opt["lr"], opt["weight_decay"], opt["momentum"], opt["nesterov"],
                               opt["betas"])
    s = config["scheduler"]
    scheduler = make_scheduler(s["name"], optimizer, config["epochs"], steps_per_epoch, s["step_size"],
                               s["gamma"], s["min_lr"], s["pct_start"], s["factor"], s["patience"])
    scaler = torch.amp.GradScaler("cuda") if config["amp"] and device.type == "cuda" else None
    stopping = config["early_stopping"]
    monitor = Monitor(stopping["mode"], stopping["patience"], stopping["min_delta"])
    history = []
    if resume:
        state = torch.load(resume, map_location="cpu", weights_only=True)
        _, history = restore(state, net, optimizer, scheduler, scaler, generator)
        for row in history:
            monitor.update(row[stopping["metric"]], row["epoch"])
    return optimizer, scheduler, scaler, monitor, history
