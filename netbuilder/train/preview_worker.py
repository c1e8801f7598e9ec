"""The preview process: :class:`~.preview.PreviewEngine` for a GUI, away from its event loop.

Like training (:mod:`.worker`), the preview never runs PyTorch in the GUI's
process: a forward pass holds the GIL for milliseconds at a time and PyTorch's
OpenMP threads spin after it, which is what makes a canvas stutter while a
node is dragged. This process runs with **one** intra-op thread and
``OMP_WAIT_POLICY=PASSIVE``: one sample through a small network gains nothing
from more threads, and a training run in its own process needs the other
cores.

Requests are coalesced here too: before running one, the process reads every
request already waiting and runs only the newest, so edits faster than the
preview skip stale work at both ends of the pipe.

Nothing here imports Qt; nothing imports torch before :func:`configure_threads`.
"""

from __future__ import annotations

import os


def configure_threads() -> None:
    """One intra-op thread, sleeping when idle; must run before torch is imported."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def newest(requests, first):
    """``first`` or, if more requests are waiting, the newest of them (the rest are stale)."""
    request = first
    while requests.poll():
        request = requests.recv()
    return request


def serve(requests, replies) -> None:
    """The preview process's main function: a request in, a :class:`~.preview.PreviewResult` out,
    until the GUI closes its end."""
    configure_threads()
    from .preview import PreviewEngine
    from .preview_messages import PreviewResult

    engine = PreviewEngine()
    replies.send("ready")
    while True:
        try:
            request = newest(requests, requests.recv())
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            result = engine.run(request)
        except Exception as err:  # noqa: BLE001 - a preview must never take its process down
            result = PreviewResult(request.number, error=f"the preview failed: {type(err).__name__}: {err}")
        try:
            replies.send(result)
        except (BrokenPipeError, OSError):
            return
