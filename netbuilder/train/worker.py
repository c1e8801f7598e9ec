"""The training process: one :class:`~.engine.Trainer` run for a GUI, in a process of its own.

A GUI must not train in its own process: PyTorch's OpenMP threads spin between
batches and take the core the event loop needs, and a batch holds the GIL in
long stretches, so the window stutters and training runs slower than from the
CLI. The GUI therefore spawns :func:`serve` (with ``multiprocessing``'s *spawn*
start method: no forked Qt state) as soon as its window is up. The child sets
its thread policy (the CLI's, see :func:`configure_threads`) before PyTorch loads, imports the engine, says
:class:`Ready` and waits, so pressing Train starts at once.

The protocol is two one-way pipes of plain picklable objects. The GUI sends
``("run", request)`` once, then any of ``"pause"``, ``"resume"``, ``"stop"`` and
``("lr", value)``; the child sends the engine's events, then closes its end. A
command thread applies the commands (the engine's controls are thread-safe and
act between batches). If the GUI goes away (its end of the pipe closes), the
run is stopped like a user's Stop and the child exits, so no worker outlives
its window.

Nothing here imports Qt; nothing imports torch before :func:`configure_threads`.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

ORPHAN_GRACE_S = 30.0  # an orphaned run gets this long to save its checkpoint, then the process ends


@dataclass(frozen=True)
class Ready:
    """The worker has PyTorch and the engine loaded and waits for a run.
    ``torch_preloaded`` says whether torch was already imported before the thread
    policy could be set (it should never be)."""

    pid: int
    threads: int
    wait_policy: str
    torch_preloaded: bool


@dataclass(frozen=True)
class RunRequest:
    """One run, as the GUI asks for it. ``graph`` is the document as saved JSON
    (the file format is the contract between the two processes); ``factory`` names
    ``"module:function"`` making the trainer, so a test can swap in its own."""

    graph: str
    config: object  # a TrainingConfig
    runs_dir: str
    resume: str | None = None
    base_dir: str | None = None
    factory: str = "netbuilder.train.worker:make_trainer"
    by_node_id: bool = False  # resuming a graph edited while paused (see netbuilder.train.graph_versions)
    init_from: str | None = None  # a new run's starting weights (see netbuilder.train.initial_weights)


GUI_WAIT_POLICY = "NETBUILDER_GUI_OMP_WAIT_POLICY"  # the GUI's mark: "OMP_WAIT_POLICY is mine, not the user's"


def own_wait_policy(policy: str = "PASSIVE") -> None:
    """For the GUI's process, before PyTorch loads: its OpenMP threads (shape checks)
    sleep when idle instead of spinning against the event loop. The mark beside it
    lets :func:`configure_threads` tell this setting, which its children inherit,
    from one the user made."""
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = os.environ[GUI_WAIT_POLICY] = policy


def configure_threads() -> tuple[int, str, bool]:
    """Train as ``netbuilder train`` does; must run before torch is imported.

    That is PyTorch's own thread count (one per core) and OpenMP's default wait
    policy (spin a little after a parallel region, then sleep). On two cores the
    digits CNN took 1.28 times as long with one thread as the CLI, and 2.1 times
    with two threads and ``OMP_WAIT_POLICY=PASSIVE`` (every one of a batch's parallel
    regions then starts by waking its threads), so a worker that gave up either ran
    slower than the CLI. The GUI does not need them: its process computes nothing
    while a run goes on (it draws what arrives, 30 times a second), its own OpenMP
    threads sleep (:func:`own_wait_policy`), and the kernel gives a thread waking
    from sleep, like its event loop, a core ahead of threads that have been busy.
    So the GUI's PASSIVE, which this child inherited, is dropped here; a policy or
    thread count the user set in the environment is kept, and :func:`run_threads`
    gives a run fewer threads while other programs keep cores busy. Returns (threads, wait
    policy, whether torch was already loaded).
    """
    preloaded = "torch" in sys.modules
    if os.environ.pop(GUI_WAIT_POLICY, None) == os.environ.get("OMP_WAIT_POLICY"):
        os.environ.pop("OMP_WAIT_POLICY", None)
    import torch

    return torch.get_num_threads(), os.environ.get("OMP_WAIT_POLICY", "default"), preloaded


def run_threads(threads: int) -> int:
    """The intra-op threads for a run starting now: ``threads`` (PyTorch's own count),
    less the cores other programs keep busy (the load average, rounded), at least one.
    Two threads that spin at OpenMP's barriers run several times slower than one as
    soon as another program takes a core from them (measured on two cores: 0.6 s
    quiet, 5 to 13 s beside other jobs, where one thread took 0.75 s either way). A
    count the user exported (``OMP_NUM_THREADS``) is theirs and kept."""
    if "OMP_NUM_THREADS" in os.environ or not hasattr(os, "getloadavg"):
        return threads
    free = (os.cpu_count() or threads) - int(os.getloadavg()[0] + 0.5)
    return max(1, min(threads, free))


def make_trainer(doc, config, runs_dir, resume, base_dir, by_node_id=False, init_from=None):
    """The real engine. Every finished epoch is written at once (``save_every_s=0``, not
    the CLI's throttle): a worker can die without warning (the out-of-memory killer,
    ``kill -9``) and must still leave every finished epoch on disk. The panel shows each
    node's statistics and each epoch's mistakes, so this run reports them (the CLI's does not)."""
    from .gan import make_trainer as for_recipe  # the settings' recipe picks the engine (a GAN's or the usual)

    options = {"by_node_id": True} if by_node_id else {}  # a run resumed after the graph was edited
    if init_from:
        options["init_from"] = init_from  # a new run starting from an earlier run's weights
    return for_recipe(doc, config, runs_dir=runs_dir, resume=resume, base_dir=base_dir, save_every_s=0, details=True,
                      **options)


def _warm_up() -> None:
    """Load now what a first run would load lazily, so Train starts at once: the
    engine, the built-in data sets (scikit-learn, ~1.2 s) and what PyTorch imports on
    its first optimizer (torch._dynamo, ~1.4 s)."""
    import torch

    from . import engine, gan, script_data  # noqa: F401

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def _factory(name: str) -> Callable:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def serve(commands, events) -> None:
    """The worker process's main function (see the module docstring)."""
    threads, policy, preloaded = configure_threads()
    _warm_up()
    from ..core.fileformat import loads

    events.send(Ready(os.getpid(), threads, policy, preloaded))
    try:
        message = commands.recv()
    except (EOFError, OSError):
        return  # the GUI closed without training
    if not (isinstance(message, tuple) and message[0] == "run"):
        return
    request: RunRequest = message[1]
    import torch

    torch.set_num_threads(run_threads(threads))
    try:
        doc = loads(request.graph)
        edited = {"by_node_id": True} if request.by_node_id else {}  # a test's factory may not take these
        if request.init_from:
            edited["init_from"] = request.init_from
        trainer = _factory(request.factory)(doc, request.config, request.runs_dir, request.resume,
                                            request.base_dir, **edited)
    except Exception as err:  # noqa: BLE001 - a refusal, said like the engine says it
        from .events import Failed

        events.send(Failed(str(err), getattr(err, "node_id", None), 0, 0))
        return
    threading.Thread(target=_obey, args=(commands, trainer), name="netbuilder-commands", daemon=True).start()
    for event in trainer.run():
        try:
            events.send(event)
        except (BrokenPipeError, OSError):  # the GUI is gone: stop like a Stop, keep the checkpoint
            trainer.stop()


def _obey(commands, trainer) -> None:
    """Apply the GUI's commands until it closes its end of the pipe."""
    actions = {"pause": trainer.pause, "resume": trainer.resume, "stop": trainer.stop}
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):
            break
        if isinstance(message, tuple) and message[0] == "lr":
            trainer.set_lr(message[1])
        elif message in actions:
            actions[message]()
    trainer.stop()  # orphaned: save what finished, then make sure the process ends
    timer = threading.Timer(ORPHAN_GRACE_S, os._exit, args=(0,))
    timer.daemon = True
    timer.start()

