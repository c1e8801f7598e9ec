"""The exported tagging script's main program: train a tagger, or tag a sentence with it.

:func:`netbuilder.train.script.tagging_script` copies this, :mod:`tagging` and :mod:`recipe`
into ``train.py``; the imports from them here only serve linting and tests. It builds
the run in the engine's order (sentences, split, vocabulary of the training part,
seed, model, shuffling generator, batches, loss, optimiser, schedule) and runs the
engine's epoch loop, :func:`recipe.fit`, so one process gives the app's losses. The
vocabulary goes to ``vocabulary.json`` beside the checkpoints; ``--tag "a sentence"``
reads both back and prints each word with its tag. A tagger trains in one process.
"""

import argparse
import json
import os
import re
from pathlib import Path

import numpy as np
import torch

from .recipe import (
    Batches,
    EpochDone,
    Monitor,
    SupervisedStep,
    checkpoint,
    evaluate,
    fit,
    make_loss,
    make_optimizer,
    make_scheduler,
    restore,
    seed_everything,
)
from .tagging import TrimmedBatches, build_vocabulary, encode, tag_words, token_loss, token_scores


def parse_args(config):
    parser = argparse.ArgumentParser(description="Train the tagger, or tag a sentence with the trained one.")
    parser.add_argument("--epochs", type=int, default=config["epochs"])
    parser.add_argument("--batch-size", type=int, default=config["batch_size"])
    parser.add_argument("--lr", type=float, default=config["optimizer"]["lr"])
    parser.add_argument("--seed", type=int, default=config["seed"])
    parser.add_argument("--device", default=config["device"], choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--data", default=config["data"]["source"], help="token file (for file data sets)")
    parser.add_argument("--out", default="checkpoints", help="folder for last.pt, best.pt, history.json and "
                                                             "vocabulary.json")
    parser.add_argument("--resume", help="checkpoint (last.pt) to continue from")
    parser.add_argument("--tag", metavar="SENTENCE", help="tag SENTENCE with the trained model in --out, "
                                                          "instead of training")
    return parser.parse_args()


def pick_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    return torch.device(name)


def main(config, model_class, load_sentences):
    args = parse_args(config)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise SystemExit("this tagging script trains in one process: run it with python, not torchrun")
    config = {**config, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "optimizer": {**config["optimizer"], "lr": args.lr}, "data": {**config["data"], "source": args.data}}
    if args.tag is not None:
        print(tag_sentence(model_class, Path(args.out), args.tag))
        return
    train(config, model_class, load_sentences, args, pick_device(args.device))


def split_sentences(count, val_fraction, seed):
    """Train and validation indices, a seeded draw as the app makes it; each part in order."""
    val = np.sort(np.random.default_rng(seed).permutation(count)[:int(round(val_fraction * count))])
    return np.setdiff1d(np.arange(count), val), val.astype(np.int64)


def train(config, model_class, load_sentences, args, device):
    data, seed = config["data"], config["seed"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    sentences = load_sentences(config)
    train_index, val_index = split_sentences(len(sentences), data["val_fraction"], seed)
    vocabulary, tags = build_vocabulary([sentences[i] for i in train_index])
    (out / "vocabulary.json").write_text(json.dumps({"words": vocabulary, "tags": tags}, indent=1))
    x, y = encode(sentences, vocabulary, tags)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    seed_everything(seed)
    net = model_class().to(device)
    generator = torch.Generator().manual_seed(seed)
    batches = TrimmedBatches(Batches(x[train_index], y[train_index], config["batch_size"], generator,
                                     device=device))
    loss_fn = token_loss(make_loss(task="classification", device=device, **config["loss"]))
    opt = config["optimizer"]
    optimizer = make_optimizer(opt["name"], net, opt["lr"], opt["weight_decay"], opt["momentum"], opt["nesterov"],
                               opt["betas"])
    s = config["scheduler"]
    scheduler = make_scheduler(s["name"], optimizer, config["epochs"], len(batches), s["step_size"],
                               s["gamma"], s["min_lr"], s["pct_start"], s["factor"], s["patience"])
    scaler = torch.amp.GradScaler("cuda") if config["amp"] and device.type == "cuda" else None
    stopping = config["early_stopping"]
    monitor = Monitor(stopping["mode"], stopping["patience"], stopping["min_delta"])
    history = []
    if args.resume:
        state = torch.load(args.resume, map_location="cpu", weights_only=True)
        _, history = restore(state, net, optimizer, scheduler, scaler, generator)
        for row in history:
            monitor.update(row[stopping["metric"]], row["epoch"])
    validate = None
    if len(val_index):
        val_batches = Batches(x[val_index], y[val_index], config["batch_size"], device=device)

        def validate():
            val_sum, val_count, outputs = evaluate(net, val_batches, loss_fn, device, scaler is not None)
            accuracy, _, _, _, f1 = token_scores(outputs.numpy(), y[val_index].numpy(), len(tags))
            return val_sum / val_count, {"token_accuracy": accuracy, "macro_f1": float(f1.mean())}

    step = SupervisedStep(net, loss_fn, optimizer, scheduler, config["grad_clip"], scaler)
    for done in fit(step, batches, validate, scheduler, monitor, stopping["metric"], history, config["epochs"],
                    device):
        if isinstance(done, EpochDone):
            save(done, out, config["epochs"], checkpoint(net, optimizer, scheduler, scaler, generator,
                                                         done.row["epoch"], history))
    if monitor.should_stop:
        print(f"stopping early: {stopping['metric']} has not improved for {stopping['patience']} epochs")
    example = sentences[val_index[0] if len(val_index) else 0][0]
    print(tag_sentence(model_class, out, " ".join(example)))


def save(done, out, epochs, state):
    """Print the epoch's row; write last.pt (best.pt too if it is the best) and history.json."""
    row = done.row
    shown = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch" and v is not None)
    print(f"epoch {row['epoch']}/{epochs}  {shown}", flush=True)
    torch.save(state, out / "last.pt")
    if done.best:
        torch.save(state, out / "best.pt")
    (out / "history.json").write_text(json.dumps(state["history"], indent=2))


def tag_sentence(model_class, out, text):
    """``word/TAG word/TAG …`` for ``text``, by the best model saved in ``out``."""
    record = json.loads((out / "vocabulary.json").read_text())
    net = model_class()
    net.load_state_dict(torch.load(out / "best.pt", map_location="cpu", weights_only=True)["model"])
    words = re.findall(r"\w+(?:['’-]\w+)*|[^\w\s]", text)
    if all(w == w.lower() for w in record["words"][2:]):
        words = [w.lower() for w in words]
    return " ".join(f"{w}/{t}" for w, t in zip(words, tag_words(net, words, record["words"], record["tags"])))
