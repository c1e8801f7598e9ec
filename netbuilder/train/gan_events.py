"""What a GAN run reports besides the common events: small, frozen, picklable.

A GAN run yields the usual :mod:`~netbuilder.train.events` (``RunStarted``,
``BatchEnd``, ``EpochEnd``, ``CheckpointSaved``, ``Finished``, ``Failed``) so the
progress bar, the Runs list and the CLI work unchanged, plus these, which only a GAN
view reads. They hold plain numbers and a small ``uint8`` numpy array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GanBatch:
    """The figures of the batches since the previous report (means): D loss, G loss,
    D(x) (the discriminator's belief that real samples are real) and D(G(z))."""

    epoch: int
    step: int
    steps: int
    global_step: int
    d_loss: float
    g_loss: float
    d_real: float
    d_fake: float


@dataclass(frozen=True)
class GanSamples:
    """The generator's samples for the run's fixed noise batch at the end of ``epoch``:
    ``grid`` is one ``uint8`` picture, ``(H, W)`` grey or ``(H, W, 3)``. ``variety``
    compares their spread with the real data's (1: as varied; near 0: collapsed)."""

    epoch: int
    grid: np.ndarray
    variety: float


@dataclass(frozen=True)
class GanWarning:
    """Something has gone wrong with the adversarial game: ``kind`` is
    ``discriminator_wins`` or ``mode_collapse``; ``message`` says what usually helps."""

    epoch: int
    kind: str
    message: str
