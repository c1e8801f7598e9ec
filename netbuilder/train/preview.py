"""The live preview: one sample through every node of a graph, and a picture of each output.

:class:`PreviewEngine` runs in the preview process (:mod:`.preview_worker`), not
in the GUI: it compiles the graph the way training does (:mod:`~netbuilder.core.
codegen`), then runs the generated ``forward`` one node at a time. Each node's
statements are cut out of the class source by the line map codegen keeps
(``line_of``), so the preview sees every node's output, functional ones
(``x + relu1``, a Flatten written as a view) included, with no hook to arm and
no second interpreter that could disagree with the exported code.

Weights: a graph edited while previewing keeps, node by node, the random
weights it had (:mod:`.transplant`), so editing one layer changes the pictures
from that layer on and nothing upstream; with ``weights`` set (a checkpoint or
run folder), every node that fits takes the trained tensors.
"""

from __future__ import annotations

import ast
import json
import time

import torch
from torch import nn

from ..core.codegen import generate
from ..core.compiler import compile_class
from ..core.errors import NetbuilderError
from ..core.fileformat import load_graph, loads
from ..core.shapes import infer_shapes
from ..core.tokens import smallest_vocabulary
from .pictures import picture
from .preview_messages import NodePicture, PreviewRequest, PreviewResult
from .transplant import transplant

RANDOM_SEED = 0


def _target(statement: ast.stmt) -> str | None:
    """The variable a node's last statement binds its first output to."""
    target = statement.targets[0] if isinstance(statement, ast.Assign) else getattr(statement, "target", None)
    while isinstance(target, (ast.Tuple, ast.List)) and target.elts:
        target = target.elts[0]
    return target.id if isinstance(target, ast.Name) else None


def node_steps(class_source: str, line_of: dict[int, str]) -> list[tuple[str, object, str | None]]:
    """``forward``'s statements grouped by node, compiled: ``(node id, code, output variable)``."""
    tree = ast.parse(class_source)
    forward = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "forward")
    groups: list[tuple[str, list[ast.stmt]]] = []
    for statement in forward.body:
        if isinstance(statement, ast.Return):
            continue
        node = line_of.get(statement.lineno)
        if groups and groups[-1][0] == node:
            groups[-1][1].append(statement)
        else:
            groups.append((node, [statement]))
    return [(node, compile(ast.Module(body, []), "<netbuilder preview>", "exec"), _target(body[-1]))
            for node, body in groups]


def _first_tensor(value):
    while isinstance(value, (tuple, list)) and value:
        value = value[0]
    return value if isinstance(value, torch.Tensor) else None


class PreviewEngine:
    """Keeps what a preview can reuse between edits: the random weights by node,
    the data set, the trained weights of a checkpoint (until its file changes)."""

    def __init__(self):
        self._random: tuple[dict, dict] | None = None  # (state, attr_of) of the last random model
        self._data: tuple[str, object] | None = None  # (key, PreparedData or the error text)
        self._trained: tuple[tuple, tuple] | None = None  # ((path, mtime), (state, attr_of, label))

    def run(self, request: PreviewRequest) -> PreviewResult:
        start = time.perf_counter()
        try:
            result = self._run(request)
        except NetbuilderError as err:
            result = PreviewResult(request.number, error=str(err), error_node=getattr(err, "node_id", None))
        return PreviewResult(**{**result.__dict__, "seconds": time.perf_counter() - start})

    def _run(self, request: PreviewRequest) -> PreviewResult:
        doc = loads(request.graph)
        report = infer_shapes(doc)
        if report.errors:
            first = report.errors[0]
            return PreviewResult(request.number, error=f"no preview while the graph has errors: {first.message}",
                                 error_node=first.node_id)
        generated = generate(doc, report=report)
        torch.manual_seed(RANDOM_SEED)
        model = compile_class(generated)().eval()
        weights = self._weights(model, generated.attr_of, request.weights)
        data = self._dataset(doc, request.base_dir)
        inputs, sample, class_names = self._inputs(doc, report, generated.input_ids, data, request.sample)
        pictures, error, error_node = self._forward(model, generated, inputs, report, class_names)
        samples = 0 if isinstance(data, str) or data is None else len(_part(data))
        return PreviewResult(request.number, pictures, sample, samples, weights, error, error_node)

    # -- weights ---------------------------------------------------------------------------
    def _weights(self, model: nn.Module, attr_of: dict, source: str | None) -> str:
        if self._random is not None:
            transplant(model, attr_of, *self._random)
        state = model.state_dict()  # this model's own tensors: no later model writes into them
        if source is None:
            self._random = (state, dict(attr_of))
            return "random weights (not trained yet)"
        self._random = ({k: v.clone() for k, v in state.items()}, dict(attr_of))  # trained ones go in next
        try:
            state, source_attr_of, label = self._checkpoint(source)
        except (OSError, ValueError, NetbuilderError, RuntimeError) as err:
            return f"random weights: the trained ones could not be read ({err})"
        moved = transplant(model, attr_of, state, source_attr_of)
        if moved.reset:
            return f"{label}; not trained yet: {', '.join(moved.reset)}"
        return label

    def _checkpoint(self, source: str) -> tuple[dict, dict, str]:
        from .checkpoints import load_checkpoint
        from .export import trained_weights

        path = trained_weights(source)
        key = (str(path), path.stat().st_mtime_ns)
        if self._trained is None or self._trained[0] != key:
            checkpoint = load_checkpoint(path)
            state = checkpoint.get("model", checkpoint)
            epoch = checkpoint.get("epoch")
            run_doc = load_graph(path.parent / "graph.json")
            attr_of = generate(run_doc, report=infer_shapes(run_doc)).attr_of
            label = f"trained weights ({path.parent.name}, {path.stem}" + (f", epoch {epoch})" if epoch else ")")
            self._trained = (key, (state, attr_of, label))
        return self._trained[1]

    # -- the sample --------------------------------------------------------------------------
    def _dataset(self, doc, base_dir: str | None):
        """The graph's data set, split as training splits it (cached); its error text if it fails."""
        from .config import ConfigError, TrainingConfig
        from .prepare import prepare_data

        training = doc.training or {}
        if not (training.get("data") or {}).get("source"):
            return None
        key = json.dumps([training.get("data"), training.get("seed", 0), base_dir], sort_keys=True, default=str)
        if self._data is None or self._data[0] != key:
            try:
                value = prepare_data(TrainingConfig.from_dict(training), base_dir)
            except (NetbuilderError, ConfigError, OSError, ValueError) as err:
                value = str(err)
            self._data = (key, value)
        return self._data[1]

    def _inputs(self, doc, report, input_ids: list[str], data, index: int | None):
        """The model's inputs (a batch of one), what they are, and the class names."""
        usable = data is not None and not isinstance(data, str)
        class_names = list(data.full.class_names) if usable and data.full.task == "classification" else None
        types = [report.value_type(node) for node in input_ids]
        note = ""
        if index is not None and usable and len(input_ids) == 1 and len(_part(data)):
            part = _part(data)
            i = index % len(part)
            x = part.x[i]
            if tuple(x.shape) == tuple(types[0].shape):
                target = part.y[i]
                label = class_names[int(target)] if class_names else ", ".join(f"{v:.3g}" for v in target.ravel())
                sample = f"{data.full.name} sample {i + 1} of {len(part)}: {label}"
                return [torch.from_numpy(x).unsqueeze(0)], sample, class_names
            note = f" (a {data.full.name} sample is {tuple(x.shape)}, the input takes {tuple(types[0].shape)})"
        elif index is not None and isinstance(data, str):
            note = f" (the data set cannot be loaded: {data})"
        generator = torch.Generator().manual_seed(RANDOM_SEED)
        inputs = []
        for node, t in zip(input_ids, types):
            if t.dtype == "int64":
                inputs.append(torch.randint(0, smallest_vocabulary(doc, node), (1, *t.shape), generator=generator))
            else:
                inputs.append(torch.randn((1, *t.shape), generator=generator))
        return inputs, "random tensor" + note, class_names

    # -- the pass -----------------------------------------------------------------------------
    def _forward(self, model, generated, inputs, report, class_names):
        namespace = {"torch": torch, "nn": nn, "self": model}
        pictures: dict[str, NodePicture] = {}
        for node, name, value in zip(generated.input_ids, generated.input_names, inputs):
            namespace[name] = value
            pictures[node] = picture(value[0])
        outputs = set(report.outputs)
        with torch.no_grad():
            for node, code, target in node_steps(generated.class_source, generated.line_of):
                try:
                    exec(code, namespace)  # the generated model's own statements for this node
                except Exception as err:  # noqa: BLE001 - said as the node's failure
                    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                    return pictures, f"'{node}' failed on this sample: {text}", node
                value = _first_tensor(namespace.get(target)) if target else None
                if value is not None and node is not None:
                    pictures[node] = picture(value[0], class_names if node in outputs else None)
        return pictures, None, None


def _part(data):
    """Where preview samples come from: the validation part, else the training part."""
    return data.val if len(data.val) else data.train

