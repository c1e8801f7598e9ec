"""The settings a resumed run continues with: its own, from its ``config.json``.

Resuming used to take the panel's current settings, so a run started with 400
epochs and resumed after a restart (the panel back at its default) was refused
("OneCycleLR schedule spans 18000 steps, this run's 900", issue 18). A run goes
on as it was started. The one thing that may change is how far it goes: more
epochs, as the panel says, unless its schedule is planned for its length
(cosine and one-cycle, which :func:`recipe.restore` refuses to stretch).
"""

from __future__ import annotations

import copy

PLANNED_FOR_LENGTH = ("cosine", "onecycle")


def resume_settings(run_training: dict, panel_training: dict, epochs_done: int) -> tuple[dict, str]:
    """The settings to resume a run with, and a sentence saying what they are."""
    training = copy.deepcopy(run_training)
    epochs = int(training.get("epochs", 0) or 0)
    wanted = int((panel_training or {}).get("epochs", epochs) or epochs)
    schedule = str((training.get("scheduler") or {}).get("name", "none"))
    note = f"with its own settings ({epochs} epochs"
    if wanted != epochs and wanted > epochs_done:
        if schedule in PLANNED_FOR_LENGTH:
            note += f"; not the panel's {wanted}: its {schedule} schedule is planned for {epochs}"
        else:
            training["epochs"] = wanted
            note = f"with its own settings ({epochs} → {wanted} epochs, as the panel says"
    return training, note + ")"
