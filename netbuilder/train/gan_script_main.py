"""The exported GAN script's main program: one process, or data-parallel under torchrun.

:mod:`netbuilder.train.gan_script` copies this below the two network classes,
:mod:`gan_recipe` and the pieces of :mod:`recipe` and :mod:`script_main` it uses; the
imports from them here only serve linting and tests. :func:`train_gan` builds the run
in the engine's order (data, seed, generator, discriminator, optimisers, shuffling and
noise generators, the fixed noise batch) and takes :class:`GanStep`'s steps, so one CPU
process reproduces the engine's losses. Under torchrun both networks are wrapped in
``DistributedDataParallel``, each process trains on its share of every epoch and draws
its own noise, and the figures printed are averaged over all processes.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.nn  # noqa: F401 - before the group exists: see start_distributed
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from .gan_recipe import GanStep, gan_epoch, generate_samples, image_grid, make_noise, save_png, scale_real
from .recipe import Batches, rng_state, seed_everything, set_rng_state
from .script_main import leave_distributed, pick_device, start_distributed, summed

FIGURES = ("d_loss", "g_loss", "d_real", "d_fake")


def parse_gan_args(config):
    parser = argparse.ArgumentParser(description="Train the GAN; run under torchrun for several processes.")
    parser.add_argument("--epochs", type=int, default=config["epochs"])
    parser.add_argument("--batch-size", type=int, default=config["batch_size"], help="per process")
    parser.add_argument("--seed", type=int, default=config["seed"])
    parser.add_argument("--device", default=config["device"], choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--data", default=config["data"]["source"], help="image folder (for folder data)")
    parser.add_argument("--out", default="checkpoints", help="folder for last.pt, history.json and samples.png")
    parser.add_argument("--resume", help="checkpoint (last.pt) to continue from")
    return parser.parse_args()


def main(config, generator_class, discriminator_class, load_data):
    args = parse_gan_args(config)
    config = {**config, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "data": {**config["data"], "source": args.data}}
    rank, world, device = start_distributed(pick_device(args.device))
    train_gan(config, generator_class, discriminator_class, load_data, args, rank, world, device)
    if dist.is_initialized():
        leave_distributed()


def adam(net, settings):
    return torch.optim.Adam(net.parameters(), lr=settings["lr"], betas=tuple(settings["betas"]))


def train_gan(config, generator_class, discriminator_class, load_data, args, rank, world, device):
    """Build the run in the engine's order and train it, saving a grid of samples every epoch."""
    gan, seed = config["gan"], config["seed"]
    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    x, _ = load_data(config)
    real = x.astype(np.float32).reshape(len(x), *config["real_shape"])
    if config["data"]["kind"] == "image":  # pixels in [0, 1], moved to the generator's output range
        real = scale_real(real, config["output_range"])
    real = torch.from_numpy(real)

    seed_everything(seed)
    g_net, d_net = generator_class().to(device), discriminator_class().to(device)
    g_optimizer, d_optimizer = adam(g_net, gan["generator_optimizer"]), adam(d_net, gan["discriminator_optimizer"])
    shuffle = torch.Generator().manual_seed(seed)
    noise = torch.Generator().manual_seed(seed + 1 + rank)  # each process draws its own noise
    fixed = make_noise(gan["samples"], config["latent_size"], gan["noise"], torch.Generator().manual_seed(seed + 2),
                       device)
    generator, discriminator = g_net, d_net
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        generator, discriminator = DistributedDataParallel(g_net, ids), DistributedDataParallel(d_net, ids)
    sampler = DistributedSampler(range(len(real)), shuffle=True, seed=seed) if world > 1 else None
    batches = Batches(real, torch.zeros(len(real)), config["batch_size"], shuffle, sampler, device)
    step = GanStep(generator, discriminator, g_optimizer, d_optimizer, config["latent_size"], gan["noise"],
                   gan["d_steps"], gan["label_smoothing"], config["probabilities"], noise)
    history = []
    if args.resume:
        state = torch.load(args.resume, map_location="cpu", weights_only=True)
        g_net.load_state_dict(state["generator"])
        d_net.load_state_dict(state["discriminator"])
        g_optimizer.load_state_dict(state["g_optimizer"])
        d_optimizer.load_state_dict(state["d_optimizer"])
        set_rng_state(state["rng"], shuffle)
        noise.set_state(state["noise"])
        step.batches, history = int(state["batches"]), list(state["history"])
    start = history[-1]["epoch"] if history else 0
    value_range = config["output_range"] or (float(real.min()), float(real.max()))
    for epoch in range(start + 1, config["epochs"] + 1):
        batches.set_epoch(epoch)
        sums = [0.0] * (len(FIGURES) + 1)
        for _, size, figures in gan_epoch(step, batches, device):
            sums = [total + figures[key] * size for total, key in zip(sums, FIGURES)] + [sums[-1] + size]
        *totals, count = summed(sums, device)
        row = {"epoch": epoch, "train_loss": totals[1] / count, "val_loss": None,
               **{key: total / count for key, total in zip(FIGURES, totals)},
               "lr": g_optimizer.param_groups[0]["lr"]}
        history.append(row)
        if rank == 0:
            shown = "  ".join(f"{key} {row[key]:.4f}" for key in FIGURES)
            print(f"epoch {epoch}/{config['epochs']}  {shown}", flush=True)
            samples = generate_samples(g_net, fixed, config["image_shape"])
            save_png(image_grid(samples, value_range), out / "samples.png")
            torch.save({"epoch": epoch, "generator": g_net.state_dict(), "discriminator": d_net.state_dict(),
                        "g_optimizer": g_optimizer.state_dict(), "d_optimizer": d_optimizer.state_dict(),
                        "rng": rng_state(shuffle), "noise": noise.get_state(), "batches": step.batches,
                        "history": history}, out / "last.pt")
            (out / "history.json").write_text(json.dumps(history, indent=2))
    if rank == 0:
        print(f"samples of the last epoch: {out / 'samples.png'}")
