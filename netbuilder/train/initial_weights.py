"""A new run that starts from the weights of an earlier one: fine-tuning.

File → Load Weights From Run… (and ``netbuilder train --weights-from``) names a
run folder or a checkpoint file. Its weights are mapped onto the graph about
to train by node id, with the rule a resumed edited run uses
(:mod:`.transplant`): a node whose tensors have the same names and shapes in
both takes them, any other node is initialised as a new run would be. Only the
weights move: the optimizer, the schedule and the history start afresh, and
the run gets a folder of its own.

A checkpoint names its tensors after the attributes of the graph that trained
it, so that graph is read from beside it: the run folder's ``graph.json``, or
``X.json`` beside an imported model's ``X.weights.pt``. A bare ``state_dict``
with no graph beside it is read as named after the current graph's nodes.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..core.codegen import generate
from ..core.compiler import build_model
from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.fileformat import load_graph
from ..core.shapes import infer_shapes
from .checkpoints import load_checkpoint
from .prepare import TrainingError
from .transplant import Transplant, plan, transplant


def _checkpoint_file(source: str | Path) -> Path:
    """A run folder's kept weights (its best epoch, else its last), or the file named."""
    path = Path(source)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
        raise TrainingError(f"{path}: no best.pt or last.pt in this run folder (did its first epoch finish?)")
    if not path.is_file():
        raise TrainingError(f"{path}: no such run folder or checkpoint")
    return path


def _graph_beside(checkpoint: Path) -> Path | None:
    for graph in (checkpoint.parent / "graph.json",
                  checkpoint.with_name(checkpoint.name.removesuffix(".weights.pt") + ".json")):
        if graph.is_file() and graph != checkpoint:
            return graph
    return None


def read_source(source: str | Path, doc: GraphDocument) -> tuple[dict, dict[str, str], Path]:
    """The model weights ``source`` holds, the attributes naming them (node id →
    attribute, from the graph beside it, else ``doc``'s) and the checkpoint file read.
    Raises :class:`TrainingError` with the file and what is wrong."""
    checkpoint = _checkpoint_file(source)
    try:
        state = load_checkpoint(checkpoint)
    except TrainingError:  # torch's own words suggest weights_only=False, which we never do
        raise TrainingError(f"{checkpoint}: cannot be read as a checkpoint of tensors (damaged, not a PyTorch "
                            "file, or holding pickled objects: it is opened with weights_only=True, so no code "
                            "in it runs)") from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):  # an engine checkpoint
        state = state["model"]
    if isinstance(state, dict) and {"generator", "discriminator"} <= set(state):
        raise TrainingError(f"{checkpoint}: a GAN run's weights (two networks) cannot start another run; "
                            "load them into a GAN graph by resuming the run")
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise TrainingError(f"{checkpoint}: holds no model weights (expected a netbuilder checkpoint or a "
                            "state_dict of tensors)")
    graph = _graph_beside(checkpoint)
    if graph is None:
        return state, generate(doc, report=infer_shapes(doc)).attr_of, checkpoint
    try:
        trained = load_graph(graph)
        return state, generate(trained, report=infer_shapes(trained)).attr_of, checkpoint
    except NetbuilderError as err:
        raise TrainingError(f"{graph}: the graph these weights were trained with cannot be read ({err})") from None


def loaded_text(source: str | Path, moved: Transplant) -> str:
    """What a load did, for the user: which nodes took the weights and which did not."""
    if not moved.kept:
        return f"no node's weights in {source} fit this graph: every layer starts as initialised"
    text = f"loaded the weights of {', '.join(moved.kept)} from {source}"
    if moved.reset:
        text += f"; left as initialised (new or reshaped): {', '.join(moved.reset)}"
    return text


def plan_load(doc: GraphDocument, source: str | Path) -> tuple[Transplant, Path]:
    """What loading ``source`` into ``doc`` would keep and reset (nothing is changed),
    and the checkpoint file it reads; raises :class:`TrainingError` if it cannot be read."""
    state, source_attr_of, checkpoint = read_source(source, doc)
    report = infer_shapes(doc)
    target = build_model(doc, report).state_dict()
    return plan(target, generate(doc, report=report).attr_of, state, source_attr_of)[1], checkpoint


def load_initial(model: torch.nn.Module, attr_of: dict[str, str], doc: GraphDocument,
                 source: str | Path) -> Transplant:
    """Copy into ``model`` (built for ``doc``) every node's weights that fit."""
    state, source_attr_of, _ = read_source(source, doc)
    return transplant(model, attr_of, state, source_attr_of)
