"""The training recipe: plain PyTorch that the engine runs and the exported script copies.

Nothing here imports netbuilder, on purpose: :mod:`netbuilder.train.script` pastes the
source below the imports into every exported ``train.py``. The GUI, the CLI and a script
on a cluster therefore build losses, optimisers and schedulers and take their steps by
the same lines, and a fixed seed gives the same losses everywhere by construction rather
than by keeping two copies in step. Keep it readable: users copy it.
"""

import contextlib
import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

OPTIMIZERS = ("sgd", "adam", "adamw", "adagrad", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")
LOSSES = ("auto", "cross_entropy", "nll", "focal", "multi_margin", "multilabel_margin", "bce_with_logits",
          "soft_margin", "multilabel_soft_margin", "kl_div", "mse", "l1", "smooth_l1", "huber", "poisson_nll",
          "gaussian_nll", "cosine_embedding", "margin_ranking", "triplet_margin", "triplet_margin_with_distance",
          "hinge_embedding", "ctc")
CLASS_LOSSES = ("cross_entropy", "nll", "focal", "multi_margin", "multilabel_margin",  # need class ids, not values
                "soft_margin", "multilabel_soft_margin")
VALUE_LOSSES = ("poisson_nll", "gaussian_nll")  # need target values, not classes
SINGLE_LOGIT_LOSSES = ("bce_with_logits", "soft_margin", "multilabel_soft_margin")  # take 2 classes as one logit
WEIGHTED_LOSSES = ("auto", "cross_entropy", "nll", "focal", "multi_margin", "multilabel_soft_margin")  # class weights
POSITIVE_OUTPUT_LOSSES = ("poisson_nll",)  # read the output as a rate, which must not be negative
# What the losses made for other data need: samples of one input and one target each cannot feed them.
NEEDS_OTHER_DATA = {
    "cosine_embedding": "pairs of inputs, each pair labelled 1 (alike) or -1 (unlike), to compare two embeddings",
    "margin_ranking": "pairs of samples labelled with which of the two should score higher",
    "triplet_margin": "triplets of samples (anchor, positive of its kind, negative of another kind)",
    "triplet_margin_with_distance": "triplets of samples (anchor, positive of its kind, negative of another "
                                    "kind) and a distance function",
    "hinge_embedding": "one distance per pair of samples, labelled 1 (alike) or -1 (unlike)",
    "ctc": "a score per class at every time step (N, T, classes) and a target sequence of labels per sample, "
           "shorter than the input (speech or handwriting transcripts)",
}


EXPLODED = 1e4  # a loss this many times its first value in the epoch has diverged


class Diverged(FloatingPointError):
    """The loss became NaN, infinite or exploded at ``step`` (1-based) of an epoch.

    An exploding loss counts too: with Adam a far too high learning rate keeps
    the loss finite (1e28) for many steps, and training on would only waste time."""

    def __init__(self, loss, step):
        super().__init__(f"the loss became {loss} at step {step}: the learning rate is probably too high "
                         "(or the data holds NaN or infinite values)")
        self.loss, self.step = loss, step


def seed_everything(seed):
    """Seed every generator a run may draw from, before the model is built."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Batches:
    """Batches of ``(x, y)`` cut from two whole tensors: a fresh permutation from
    ``generator`` each epoch, the order ``sampler`` draws (a ``DistributedSampler``),
    or in order.

    Data that fits in memory needs no ``DataLoader``: one gather per batch is all
    the work, where a loader's machinery costs a small model a tenth of its epoch.
    The shuffling has its own generator, so it never draws from torch's global one
    (which dropout uses): shuffling and dropout stay independent streams. On a GPU
    the tensors move there once, unless they are too large to.
    """

    ON_DEVICE_BYTES = 2**30

    def __init__(self, x, y, batch_size, generator=None, sampler=None, device="cpu"):
        device = torch.device(device)
        if device.type != "cpu" and x.nbytes + y.nbytes <= self.ON_DEVICE_BYTES:
            x, y = x.to(device), y.to(device)
        self.x, self.y = standard_strides(x), standard_strides(y)
        self.batch_size, self.generator, self.sampler = batch_size, generator, sampler

    def __len__(self):
        size = len(self.sampler) if self.sampler is not None else len(self.x)
        return (size + self.batch_size - 1) // self.batch_size

    def set_epoch(self, epoch):
        """A distributed sampler shuffles by epoch number (the same on every process)."""
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)

    def __iter__(self):
        if self.sampler is not None:
            order = torch.tensor(list(self.sampler), dtype=torch.int64)
        elif self.generator is not None:
            order = torch.randperm(len(self.x), generator=self.generator)
        else:
            order = torch.arange(len(self.x))
        for index in order.split(self.batch_size):
            yield self.x[index], self.y[index]


def freeze(model, path):
    """Keep what ``path`` names fixed while training: a submodule (``fc``, ``layer2.0.conv1``)
    or a parameter (``cls_token``)."""
    owner, _, name = path.rpartition(".")
    getattr(model.get_submodule(owner) if owner else model, name).requires_grad_(False)


def standard_strides(tensor):
    """``tensor`` with the strides of a fresh contiguous tensor.

    NumPy gives an added axis of size 1 (``images[:, None]``) any stride, and a
    batch gathered from it keeps that layout: a convolution then computes its weight
    gradient channels-last, and DistributedDataParallel warns on every process that
    "grad strides do not match bucket view strides"."""
    expected, stride = [], 1
    for size in reversed(tensor.shape):
        expected.append(stride)
        stride *= size
    if tuple(reversed(expected)) == tensor.stride():
        return tensor
    return tensor.clone(memory_format=torch.contiguous_format)


def make_loss(name, task, device="cpu", label_smoothing=0.0, class_weights=None, focal_gamma=2.0, delta=1.0,
              margin=1.0, margin_p=1, variance=1.0, full=False):
    """A function ``(output, target) -> loss``; ``target`` holds class ids for
    classification, values for regression. ``auto`` is cross-entropy or MSE by task.

    Losses that compare distributions or values (BCE, KL, MSE…) get one-hot targets
    for classification (smoothed by ``label_smoothing``), or the 0/1 label for a single
    binary logit; ``soft_margin`` gets the same as -1/+1. ``multilabel_margin`` gets
    each sample's one class (its list of classes, -1 padded). ``kl_div`` and ``focal``
    take logits, like cross-entropy. ``poisson_nll`` reads the output as the rate
    itself, ``gaussian_nll`` as the mean, with one fixed ``variance`` for every value.
    """
    if name == "auto":
        name = "cross_entropy" if task == "classification" else "mse"
    if name in NEEDS_OTHER_DATA:
        raise ValueError(f"the {name} loss needs {NEEDS_OTHER_DATA[name]}")
    if name in CLASS_LOSSES and task != "classification":
        raise ValueError(f"the {name} loss needs class labels; use mse, l1 or smooth_l1 for regression")
    if name in VALUE_LOSSES and task == "classification":
        raise ValueError(f"the {name} loss needs target values; use cross_entropy for classes")
    weight = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float32, device=device)

    def targets_like(output, target):
        if task != "classification":
            return target
        if output.shape[1] == 1:
            return target.to(output.dtype).unsqueeze(1)
        hot = F.one_hot(target, output.shape[1]).to(output.dtype)
        return hot * (1 - label_smoothing) + label_smoothing / output.shape[1]

    def signs_like(output, target):
        if output.shape[1] == 1:
            return target.to(output.dtype).unsqueeze(1) * 2 - 1
        return F.one_hot(target, output.shape[1]).to(output.dtype) * 2 - 1

    def class_lists(output, target):
        lists = torch.full_like(output, -1, dtype=torch.int64)
        lists[:, 0] = target
        return lists

    def focal(output, target):
        log_p = F.log_softmax(output, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        loss = -((1 - log_p.exp()) ** focal_gamma) * log_p
        return (loss * weight[target]).sum() / weight[target].sum() if weight is not None else loss.mean()

    losses = {
        "cross_entropy": lambda out, t: F.cross_entropy(out, t, weight=weight, label_smoothing=label_smoothing),
        "nll": lambda out, t: F.nll_loss(out, t, weight=weight),
        "focal": focal,
        "multi_margin": lambda out, t: F.multi_margin_loss(out, t, p=margin_p, margin=margin, weight=weight),
        "multilabel_margin": lambda out, t: F.multilabel_margin_loss(out, class_lists(out, t)),
        "bce_with_logits": lambda out, t: F.binary_cross_entropy_with_logits(out, targets_like(out, t)),
        "soft_margin": lambda out, t: F.soft_margin_loss(out, signs_like(out, t)),
        "multilabel_soft_margin": lambda out, t: F.multilabel_soft_margin_loss(out, targets_like(out, t),
                                                                               weight=weight),
        "kl_div": lambda out, t: F.kl_div(F.log_softmax(out, dim=1), targets_like(out, t), reduction="batchmean"),
        "mse": lambda out, t: F.mse_loss(out, targets_like(out, t)),
        "l1": lambda out, t: F.l1_loss(out, targets_like(out, t)),
        "smooth_l1": lambda out, t: F.smooth_l1_loss(out, targets_like(out, t), beta=delta),
        "huber": lambda out, t: F.huber_loss(out, targets_like(out, t), delta=delta),
        "poisson_nll": lambda out, t: F.poisson_nll_loss(out, t, log_input=False, full=full),
        "gaussian_nll": lambda out, t: F.gaussian_nll_loss(out, t, torch.full_like(out, variance), full=full),
    }
    return losses[name]


def make_optimizer(name, model, lr, weight_decay=0.0, momentum=0.9, nesterov=False, betas=(0.9, 0.999)):
    """The optimiser over the parameters that are not frozen."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("every parameter is frozen: there is nothing to train")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)


def make_scheduler(name, optimizer, epochs, steps_per_epoch, step_size=10, gamma=0.1, min_lr=0.0,
                   pct_start=0.3, factor=0.1, patience=5):
    """The learning-rate schedule, or None. ``onecycle`` steps after every batch (in
    :func:`train_epoch`), the others once per epoch (in :func:`end_epoch`)."""
    lr_scheduler = torch.optim.lr_scheduler
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=min_lr)
    if name == "onecycle":
        max_lr = [group["lr"] for group in optimizer.param_groups]
        return lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=epochs * steps_per_epoch,
                                       pct_start=pct_start)
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=factor, patience=patience, min_lr=min_lr)
    return None


def autocast(device, enabled):
    """Mixed precision if ``enabled``, else nothing at all (even a disabled
    ``torch.autocast`` costs time on every batch)."""
    return torch.autocast(device.type) if enabled else contextlib.nullcontext()


class SupervisedStep:
    """One training step on a batch of inputs and targets: forward, loss, backward,
    clipping, optimiser step (and a one-cycle schedule's step); returns the loss.

    This is the part of :func:`fit` a kind of training replaces: any callable
    ``step(x, y) -> loss tensor`` with ``model`` and ``optimizer`` attributes plugs in (a GAN's
    alternating discriminator and generator updates, a tagger's masked loss).
    ``scaler`` (a ``GradScaler``) turns on mixed precision.
    """

    def __init__(self, model, loss_fn, optimizer, scheduler=None, grad_clip=None, scaler=None):
        self.model, self.loss_fn, self.optimizer, self.grad_clip, self.scaler = \
            model, loss_fn, optimizer, grad_clip, scaler
        self.per_batch_schedule = scheduler if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR) else None
        self.device = next(model.parameters()).device

    def __call__(self, x, y):
        with autocast(self.device, self.scaler is not None):
            loss = self.loss_fn(self.model(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            if self.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
            self.optimizer.step()
        else:
            self.scaler.scale(loss).backward()
            if self.grad_clip:
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        if self.per_batch_schedule is not None:
            self.per_batch_schedule.step()
        return loss


def train_epoch(step, batches, device="cpu"):
    """Take ``step`` on every batch, yielding ``(batch number, batch size, loss)`` after each.

    A generator, so that a caller can report, pause or stop between batches. A loss
    that is NaN, infinite or :data:`EXPLODED` times the epoch's first raises
    :class:`Diverged` (after the step: the epoch's weights are lost either way, and
    reading the loss first would cost a second wait for the device per batch).
    """
    step.model.train()
    first = None
    for number, (x, y) in enumerate(batches, start=1):
        value = step(x.to(device, non_blocking=True), y.to(device, non_blocking=True)).item()
        first = abs(value) if first is None else first
        if not math.isfinite(value) or abs(value) > EXPLODED * max(first, 1.0):
            raise Diverged(value, number)
        yield number, len(x), value


class EpochDone:
    """What :func:`fit` yields after each epoch: its history ``row`` and whether the
    watched metric is the ``best`` so far."""

    def __init__(self, row, best):
        self.row, self.best = row, best


def fit(step, batches, validate, scheduler, monitor, metric, history, epochs, device="cpu", summed=None):
    """The epoch loop, shared by netbuilder's engine and every exported script.

    Continues after the last epoch in ``history`` up to ``epochs``. Per epoch: train
    (``step`` on each batch), validate (``validate()`` returns the validation loss and
    a dict of scores, or is None), advance the schedule, append the row to
    ``history``, update ``monitor`` on ``metric``. Yields ``(epoch, batch number,
    batch size, loss)`` after every batch and an :class:`EpochDone` after every epoch,
    and ends early when ``monitor`` says so; a caller that wants to stop (or prune)
    simply stops iterating. ``summed`` adds numbers up over the processes of a
    distributed run.
    """
    start = history[-1]["epoch"] if history else 0
    for epoch in range(start + 1, epochs + 1):
        started = time.perf_counter()
        batches.set_epoch(epoch)
        total, count = 0.0, 0
        for number, size, loss in train_epoch(step, batches, device):
            total += loss * size
            count += size
            yield epoch, number, size, loss
        if summed is not None:
            total, count = summed([total, count])
        train_loss = total / count
        val_loss, scores = validate() if validate is not None else (None, {})
        lr = step.optimizer.param_groups[0]["lr"]
        end_epoch(scheduler, val_loss if val_loss is not None else train_loss)
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, **scores, "lr": lr,
               "duration": time.perf_counter() - started}
        history.append(row)
        yield EpochDone(row, monitor.update(row[metric], epoch))
        if monitor.should_stop:
            return


@torch.no_grad()
def evaluate(model, batches, loss_fn, device="cpu", amp=False):
    """``(sum of the batch losses weighted by batch size, sample count, outputs)``.

    Sums rather than a mean, so that processes of a distributed run can add theirs up;
    the outputs (on the CPU, float32) feed the metrics.
    """
    model.eval()
    device = torch.device(device)
    total, count, outputs = 0.0, 0, []
    for x, y in batches:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with autocast(device, amp):
            output = model(x)
            total += loss_fn(output, y).item() * len(x)
        count += len(x)
        outputs.append(output.float().cpu())
    return total, count, torch.cat(outputs) if outputs else torch.empty(0)


def end_epoch(scheduler, monitored_loss):
    """Advance a per-epoch schedule; reduce-on-plateau watches ``monitored_loss``."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(monitored_loss)
    elif scheduler is not None and not isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
        scheduler.step()


def predictions(outputs):
    """Class ids from model outputs: the arg-max, or ``logit > 0`` for a single logit."""
    return (outputs[:, 0] > 0).long() if outputs.shape[1] == 1 else outputs.argmax(dim=1)


class Monitor:
    """Tracks the best value of the watched metric and how long since it improved:
    it picks the best checkpoint and decides early stopping (``patience`` 0: never)."""

    def __init__(self, mode="min", patience=0, min_delta=0.0):
        self.mode, self.patience, self.min_delta = mode, patience, min_delta
        self.best, self.best_epoch, self.bad_epochs = None, None, 0

    def update(self, value, epoch):
        """Record ``value`` for ``epoch``; True if it is the best so far."""
        if self.mode == "min":
            improved = self.best is None or value < self.best - self.min_delta
        else:
            improved = self.best is None or value > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
        else:
            self.bad_epochs += 1
        return improved

    @property
    def should_stop(self):
        return self.patience > 0 and self.bad_epochs >= self.patience


def rng_state(generator):
    """Every random generator a run draws from, as tensors and plain numbers, so a
    checkpoint holding it loads with ``torch.load(weights_only=True)``."""
    _, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "loader": generator.get_state(),
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": version, "internal": torch.from_numpy(np.array(internal, dtype=np.int64)),
                   "gauss": gauss},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state, generator):
    """Undo :func:`rng_state`: the run continues with exactly the numbers it would have drawn."""
    torch.set_rng_state(state["torch"])
    generator.set_state(state["loader"])
    numpy = state["numpy"]
    np.random.set_state(("MT19937", numpy["keys"].numpy().astype(np.uint32), numpy["pos"],
                         numpy["has_gauss"], numpy["cached"]))
    python = state["python"]
    random.setstate((python["version"], tuple(python["internal"].tolist()), python["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint(model, optimizer, scheduler, scaler, generator, epoch, history):
    """Everything needed to continue a run exactly where it is (end of ``epoch``)."""
    return {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        "rng": rng_state(generator),
        "history": history,
    }


def restore(state, model, optimizer, scheduler, scaler, generator):
    """Load a :func:`checkpoint` into a freshly built run; returns ``(epoch, history)``.

    Cosine and one-cycle schedules are planned for a length; a run resumed with
    another number of epochs would restart or overrun them, so that is refused.
    """
    if scheduler is not None and state["scheduler"] is not None:
        planned = scheduler.state_dict()
        for key, unit in (("T_max", "epochs"), ("total_steps", "steps")):
            if key in planned and planned[key] != state["scheduler"].get(key):
                raise ValueError(f"its {type(scheduler).__name__} schedule spans {state['scheduler'].get(key)} "
                                 f"{unit}, this run's {planned[key]}: resume with the number of epochs the run "
                                 "was started with, or start a new run")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    set_rng_state(state["rng"], generator)
    return state["epoch"], list(state["history"])
