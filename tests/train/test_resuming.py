"""A resumed run keeps its own settings; only its length may follow the panel (issue 18.2)."""

from netbuilder.train.resuming import resume_settings

RUN = {"epochs": 4, "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.01}, "scheduler": {"name": "none"}}


def test_the_runs_settings_win_over_the_panels():
    training, note = resume_settings(RUN, {"epochs": 4, "batch_size": 16, "optimizer": {"lr": 1.0}}, 2)
    assert training == RUN and note == "with its own settings (4 epochs)"


def test_more_epochs_follow_the_panel_unless_the_schedule_is_planned_for_the_length():
    training, note = resume_settings(RUN, {"epochs": 6}, 4)
    assert training["epochs"] == 6 and note == "with its own settings (4 → 6 epochs, as the panel says)"
    cycle = {**RUN, "scheduler": {"name": "onecycle"}}
    training, note = resume_settings(cycle, {"epochs": 6}, 2)
    assert training["epochs"] == 4 and "not the panel's 6: its onecycle schedule is planned for 4" in note
    assert resume_settings(RUN, {"epochs": 1}, 3)[0]["epochs"] == 4  # fewer than done: the run's own


def test_the_resume_dialog_may_change_the_length_and_patience_only():
    from netbuilder.train.resuming import chosen_settings, why_fixed

    assert why_fixed(RUN) == {"epochs": "", "early_stopping.patience": ""}
    training, note = chosen_settings(RUN, 8, 3)
    assert training == {**RUN, "epochs": 8, "early_stopping": {"patience": 3}}
    assert note == "with its own settings (4 → 8 epochs, patience 0 → 3, as chosen)"
    cycle = {**RUN, "scheduler": {"name": "onecycle"}}
    assert "planned for 4 epochs" in why_fixed(cycle)["epochs"]
    assert chosen_settings(cycle, 8, 0) == (cycle, "with its own settings (4 epochs)")
