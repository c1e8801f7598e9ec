"""A run continued with an edited graph: what it learned moves over by node id.

Pausing a run, editing the graph (a layer added, a head widened, an activation
replaced, a node frozen) and resuming continues the same run folder from its
last finished epoch with the new graph. :func:`continue_edited` loads that
checkpoint node by node (:mod:`.transplant`): a node whose id and tensor
shapes are unchanged keeps its weights and its optimizer state (Adam's moments,
a momentum buffer) exactly; a new or reshaped one starts as a new run would.
The schedule, the random generators and the history continue as in any resume.

Each version of the graph is kept in the run folder (``graph-v1.json``,
``graph-v2.json``…), and ``graphs.json`` lists them with the epoch each took
over at and what it kept and reset, so the history of a run says which graph
trained which epochs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..core.codegen import generate
from ..core.compiler import build_model
from ..core.document import GraphDocument
from ..core.fileformat import dumps, load_graph
from ..core.freeze import freeze_paths
from ..core.shapes import infer_shapes
from .checkpoints import write_json
from .prepare import TrainingError
from .recipe import freeze as freeze_path
from .recipe import set_rng_state
from .transplant import Transplant, optimizer_state_by_node, transplant

VERSIONS_FILE = "graphs.json"


@dataclass(frozen=True)
class GraphChange:
    """The graph a resumed run trains differs from the one it was trained with."""

    version: int
    from_epoch: int  # the first epoch the new version trains
    kept: list[str]
    reset: list[str]

    def message(self) -> str:
        return (f"graph version {self.version} trains from epoch {self.from_epoch}: "
                + Transplant(self.kept, self.reset).summary())


def network_form(doc: GraphDocument) -> dict:
    """What decides the network: nodes' ids, types and parameters, and the wiring (not positions, not settings)."""
    form = doc.to_dict()
    return {"nodes": [{k: v for k, v in n.items() if k != "pos"} for n in form["nodes"]], "edges": form["edges"]}


def same_network(a: GraphDocument, b: GraphDocument) -> bool:
    return network_form(a) == network_form(b)


def trained_graph(run_dir: Path) -> tuple[GraphDocument, list[str]] | None:
    """The graph the run folder's checkpoint was trained with, and its frozen nodes."""
    try:
        doc = load_graph(run_dir / "graph.json")
        freeze = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))["training"].get("freeze", [])
    except (OSError, ValueError, KeyError):
        return None
    return doc, list(freeze)


def _trainable_names(doc: GraphDocument, freeze: list[str]) -> tuple[list[str], dict[str, str]]:
    """The parameter names an optimizer over ``doc`` with ``freeze`` holds, in its order, and attr_of."""
    report = infer_shapes(doc)
    attr_of = generate(doc, report=report).attr_of
    model = build_model(doc, report)
    for path in freeze_paths(doc, freeze, attr_of)[0]:
        freeze_path(model, path)
    return [name for name, p in model.named_parameters() if p.requires_grad], attr_of


def continue_edited(session, checkpoint: dict, old_doc: GraphDocument, old_freeze: list[str]) -> Transplant:
    """Load ``checkpoint`` (trained with ``old_doc``) into ``session`` (built for the edited graph)."""
    scheduler = session.scheduler
    saved_schedule = checkpoint.get("scheduler")
    if scheduler is not None and saved_schedule is not None:
        planned = scheduler.state_dict()
        for key in ("T_max", "total_steps"):
            if key in planned and planned[key] != saved_schedule.get(key):
                raise TrainingError("this run's schedule was planned for another length: resume with the number "
                                    "of epochs it was started with")
    names, old_attr_of = _trainable_names(old_doc, old_freeze)
    moved = transplant(session.model, session.attr_of, checkpoint["model"], old_attr_of)
    optimizer_state_by_node(session.optimizer, session.model, session.attr_of, checkpoint["optimizer"], names,
                            old_attr_of, moved.kept)
    for group, saved in zip(session.optimizer.param_groups, checkpoint["optimizer"].get("param_groups", [])):
        group.update({k: v for k, v in saved.items() if k != "params"})  # the rate the schedule had reached
    if scheduler is not None and saved_schedule is not None:
        scheduler.load_state_dict(saved_schedule)
    if session.scaler is not None and checkpoint.get("scaler") is not None:
        session.scaler.load_state_dict(checkpoint["scaler"])
    set_rng_state(checkpoint["rng"], session.generator)
    session.start_epoch, session.history = checkpoint["epoch"], list(checkpoint["history"])
    for row in session.history:
        session.monitor.update(row[session.metric], row["epoch"])
    return moved


def record_version(run_dir: Path, old_doc: GraphDocument, new_doc: GraphDocument, from_epoch: int,
                   moved: Transplant) -> GraphChange:
    """Keep both versions in the run folder and list the change in ``graphs.json``."""
    path = run_dir / VERSIONS_FILE
    try:
        versions = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        versions = []
    if not versions:
        versions = [{"version": 1, "from_epoch": 1, "file": "graph-v1.json"}]
        (run_dir / "graph-v1.json").write_text(dumps(old_doc), encoding="utf-8")
    version = versions[-1]["version"] + 1
    name = f"graph-v{version}.json"
    (run_dir / name).write_text(dumps(new_doc), encoding="utf-8")
    versions.append({"version": version, "from_epoch": from_epoch, "file": name, "kept": moved.kept,
                     "reset": moved.reset})
    write_json(path, versions)
    return GraphChange(version, from_epoch, moved.kept, moved.reset)


def graph_versions(run_dir: str | Path) -> list[dict]:
    """The versions a run's graph went through (one entry, version 1, if it was never edited)."""
    try:
        return json.loads((Path(run_dir) / VERSIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [{"version": 1, "from_epoch": 1, "file": "graph.json"}]
