"""The GUI's training worker trains with the CLI's thread policy, not the GUI's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = ("import sys; from netbuilder.train.worker import configure_threads, own_wait_policy\n"
         "if sys.argv[1] == 'gui': own_wait_policy()  # what the GUI's process does before it spawns workers\n"
         "print(*configure_threads())")


def worker_policy(role: str, **env) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")
             and not k.startswith("NETBUILDER_")}
    done = subprocess.run([sys.executable, "-c", PROBE, role], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT), **env}, check=True)
    return done.stdout.split()


def test_the_worker_drops_the_guis_passive_policy_and_keeps_the_users():
    cli_threads = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                                 capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    # the GUI's PASSIVE is inherited by its child, then dropped: the run spins briefly, as the CLI's does
    assert worker_policy("gui") == [cli_threads, "default", "False"]
    # a policy and thread count the user exported are theirs, for the GUI's runs too
    assert worker_policy("gui", OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1") == ["1", "PASSIVE", "False"]


def test_a_run_leaves_the_cores_other_programs_keep_busy(monkeypatch):
    from netbuilder.train import worker

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(worker.os, "cpu_count", lambda: 4)
    for load, threads in ((0.2, 4), (1.4, 3), (2.6, 1), (9.0, 1)):
        monkeypatch.setattr(worker.os, "getloadavg", lambda load=load: (load, load, load))
        assert worker.run_threads(4) == threads
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # the user's own count is kept, however busy the machine
    assert worker.run_threads(4) == 4
