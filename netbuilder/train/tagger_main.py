"""The exported tagging script's main program: train a tagger, or tag a sentence with it.

:func:`netbuilder.train.script.tagging_script` copies this, :mod:`tagging` and :mod:`recipe`
into ``train.py``; the imports from them here only serve linting and tests. It builds
the run in the engine's order (sentences, split, vocabulary of the training part,
seed, model, shuffling generator, batches, loss, optimiser, schedule) and runs the
engine's epoch loop, :func:`recipe.fit`, so one process gives the app's losses. The
vocabulary goes to ``vocabulary.json`` beside the checkpoints; ``--tag "a sentence"``
reads both back and prints each word with its tag. Under torchrun the model is wrapped
in ``DistributedDataParallel``, each process trains on its share of every epoch and
tags its share of the validation sentences, and the losses and the per-tag counts
are added up over all processes before they are scored; rank 0 saves and prints.
"""

import json
import re
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.nn  # noqa: F401 - before the group exists: see start_distributed
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from .recipe import (
    Batches,
    EpochDone,
    SupervisedStep,
    checkpoint,
    evaluate,
    fit,
    make_loss,
    seed_everything,
)
from .script_main import leave_distributed, pick_device, run_arguments, run_parts, start_distributed, summed
from .tagging import TrimmedBatches, build_vocabulary, confusion_scores, encode, tag_words, token_loss, token_scores


def parse_args(config):
    parser = run_arguments(config, "Train the tagger, or tag a sentence with the trained one.", "token file",
                           "folder for last.pt, best.pt, history.json and vocabulary.json")
    parser.add_argument("--tag", metavar="SENTENCE", help="tag SENTENCE with the trained model in --out, "
                                                          "instead of training")
    return parser.parse_args()


def main(config, model_class, load_sentences):
    args = parse_args(config)
    config = {**config, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "optimizer": {**config["optimizer"], "lr": args.lr}, "data": {**config["data"], "source": args.data}}
    if args.tag is not None:
        print(tag_sentence(model_class, Path(args.out), args.tag))
        return
    rank, world, device = start_distributed(pick_device(args.device))
    train(config, model_class, load_sentences, args, device, rank, world)
    if dist.is_initialized():
        leave_distributed()


def split_sentences(count, val_fraction, seed):
    """Train and validation indices, a seeded draw as the app makes it; each part in order."""
    val = np.sort(np.random.default_rng(seed).permutation(count)[:int(round(val_fraction * count))])
    return np.setdiff1d(np.arange(count), val), val.astype(np.int64)


def train(config, model_class, load_sentences, args, device, rank=0, world=1):
    data, seed = config["data"], config["seed"]
    out = Path(args.out)
    sentences = load_sentences(config)
    train_index, val_index = split_sentences(len(sentences), data["val_fraction"], seed)
    vocabulary, tags = build_vocabulary([sentences[i] for i in train_index])
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "vocabulary.json").write_text(json.dumps({"words": vocabulary, "tags": tags}, indent=1))
    x, y = encode(sentences, vocabulary, tags)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    seed_everything(seed)
    net = model_class().to(device)
    generator = torch.Generator().manual_seed(seed)
    model = net
    if world > 1:
        model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = DistributedSampler(range(len(train_index)), shuffle=True, seed=seed) if world > 1 else None
    batches = TrimmedBatches(Batches(x[train_index], y[train_index], config["batch_size"], generator, sampler,
                                     device))
    loss_fn = token_loss(make_loss(task="classification", device=device, **config["loss"]))
    optimizer, scheduler, scaler, monitor, history = run_parts(config, net, len(batches), device, args.resume,
                                                               generator)
    stopping = config["early_stopping"]
    validate = None
    if len(val_index):
        share = val_index[rank::world]  # this process's validation sentences
        val_batches = Batches(x[share], y[share], config["batch_size"], device=device)

        def validate():
            val_sum, val_count, outputs = evaluate(net, val_batches, loss_fn, device, scaler is not None)
            confusion = token_scores(outputs.numpy(), y[share].numpy(), len(tags))[1]
            val_sum, val_count, *counts = summed([val_sum, val_count, *confusion.ravel().tolist()], device)
            accuracy, _, _, _, f1 = confusion_scores(np.array(counts).reshape(confusion.shape))
            return val_sum / val_count, {"token_accuracy": accuracy, "macro_f1": float(f1.mean())}

    step = SupervisedStep(model, loss_fn, optimizer, scheduler, config["grad_clip"], scaler)
    for done in fit(step, batches, validate, scheduler, monitor, stopping["metric"], history, config["epochs"],
                    device, summed=lambda values: summed(values, device)):
        if rank == 0 and isinstance(done, EpochDone):
            save(done, out, config["epochs"], checkpoint(net, optimizer, scheduler, scaler, generator,
                                                         done.row["epoch"], history))
    if rank != 0:
        return
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
