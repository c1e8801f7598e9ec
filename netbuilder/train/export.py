"""Export trained model…: the Python module, its trained weights and a training script.

Written into one folder so it travels as a unit:

- ``<name>.py``: the standalone model module (:func:`netbuilder.core.export.export_python`);
- ``<name>.pt``: the model's ``state_dict`` only (no optimiser state), loadable with
  ``torch.load(..., weights_only=True)``;
- ``train.py``: the standalone training script of the training engine, when
  that exporter is available.

The weights are checked against the graph first (a strict ``load_state_dict``
into a freshly built model), so an exported pair always fits.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ..core.atomic import write_atomic
from ..core.compiler import build_model
from ..core.document import GraphDocument
from ..core.export import WEIGHTS_SUFFIX, export_python
from ..core.fileformat import load_graph
from ..core.networks import network, network_groups
from .checkpoints import load_checkpoint


class WeightsError(ValueError):
    """The weights do not fit the graph; the message says how."""


def module_name(doc: GraphDocument) -> str:
    name = re.sub(r"\W+", "_", doc.name.strip().lower()).strip("_") or "model"
    return "m_" + name if name[0].isdigit() else name


def model_state(checkpoint_path: str | Path) -> dict:
    """The model's ``state_dict`` from an engine checkpoint (or a bare state dict file)."""
    state = load_checkpoint(checkpoint_path)
    if isinstance(state, dict) and "model" not in state and {"generator", "discriminator"} <= set(state):
        return {"generator": state["generator"], "discriminator": state["discriminator"]}  # a GAN's run
    return state["model"] if isinstance(state, dict) and "model" in state else state


def trained_weights(run_or_checkpoint: str | Path) -> Path:
    """The checkpoint to export from a run folder (its best epoch, else its last) or a ``.pt`` file."""
    path = Path(run_or_checkpoint)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
        raise WeightsError(f"{path}: no best.pt or last.pt in this run folder (did its first epoch finish?)")
    if not path.is_file():
        raise WeightsError(f"{path}: no such run folder or checkpoint")
    return path


def write_beside(doc: GraphDocument, state: dict, module_path: str | Path, source: str) -> Path:
    """Write ``source`` to ``module_path`` and the checked ``state`` to the ``.pt`` file of the
    same name, which the module's ``__main__`` loads. Raises :class:`WeightsError` (writing
    nothing) when the weights do not fit; returns the weights file."""
    fit_weights(doc, state)
    weights = Path(module_path).with_suffix(WEIGHTS_SUFFIX)
    write_atomic(weights, lambda tmp: torch.save(_on_cpu(state), tmp))
    write_atomic(module_path, source)
    return weights


def fit_weights(doc: GraphDocument, state: dict) -> torch.nn.Module:
    """A model of ``doc`` holding ``state``; raises :class:`WeightsError` if they do not fit.

    For a document of several networks (a GAN) ``state`` holds each network's
    ``state_dict`` under its name, and the model is a ``ModuleDict`` of them."""
    names = list(network_groups(doc))
    if names and set(state) == set(names):
        return torch.nn.ModuleDict({name: fit_weights(network(doc, name), state[name]) for name in names})
    model = build_model(doc)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        detail = " ".join(line.strip() for line in first[1:3]) or first[0]
        raise WeightsError(f"these weights do not fit the current graph: {detail}") from None
    return model


def run_graph(run_dir: str | Path) -> GraphDocument:
    """The graph a run trained (saved by the engine in the run folder)."""
    return load_graph(Path(run_dir) / "graph.json")


def training_script(doc: GraphDocument, base_dir: str | Path | None = None) -> tuple[str | None, str | None]:
    """``(train.py source, None)``, or ``(None, why not)`` when the graph's
    training settings cannot make one (no data set chosen, data missing…)."""
    from .gan_script import export_script  # the recipe's: a GAN's or the supervised one

    try:
        return export_script(doc, base_dir), None
    except Exception as err:  # noqa: BLE001 - the model and weights are still worth writing
        return None, str(err)


def export_trained(doc: GraphDocument, state: dict, folder: str | Path,
                   base_dir: str | Path | None = None) -> tuple[list[Path], str | None]:
    """Write module, weights and training script into ``folder``.

    Returns the files written and, if ``train.py`` could not be made, why.
    Raises :class:`WeightsError` (and writes nothing) if the weights do not fit.
    """
    folder = Path(folder)
    fit_weights(doc, state)
    folder.mkdir(parents=True, exist_ok=True)
    name = module_name(doc)
    written = []
    module = folder / f"{name}.py"
    write_atomic(module, export_python(doc))
    written.append(module)
    weights = folder / f"{name}.pt"
    write_atomic(weights, lambda tmp: torch.save(_on_cpu(state), tmp))
    written.append(weights)
    script, problem = training_script(doc, base_dir)
    if script is not None:
        path = folder / "train.py"
        write_atomic(path, script)
        written.append(path)
    return written, problem


def _on_cpu(state: dict) -> dict:
    """``state`` with every tensor detached on the CPU (nested dicts of a GAN's two networks too)."""
    return {k: _on_cpu(v) if isinstance(v, dict) else v.detach().cpu() for k, v in state.items()}


def usage_text(doc: GraphDocument) -> str:
    """How to load the exported model, shown after exporting."""
    from ..core.codegen import generate

    name = module_name(doc)
    if network_groups(doc):  # one class per network, the weights under each network's name
        classes = {part: generate(network(doc, part)).class_name for part in network_groups(doc)}
        lines = [f"from {name} import {', '.join(classes.values())}", "import torch", "",
                 f"state = torch.load('{name}.pt', weights_only=True)"]
        for part, cls in classes.items():
            lines += [f"{part} = {cls}()", f"{part}.load_state_dict(state['{part}'])"]
        return "\n".join(lines)
    cls = generate(doc).class_name
    lines = [f"from {name} import {cls}", "import torch", "",
             f"model = {cls}()", f"model.load_state_dict(torch.load('{name}.pt', weights_only=True))",
             "model.eval()"]
    return "\n".join(lines)
