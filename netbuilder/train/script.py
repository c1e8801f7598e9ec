"""``export_training_script``: one standalone ``train.py`` that needs no netbuilder.

The script is assembled, not generated line by line: the model class comes from
:func:`netbuilder.core.codegen.generate` (the class the engine compiles), the
training steps from :mod:`recipe` (the functions the engine calls), the loop from
:mod:`script_main`, the data loading from :mod:`script_data`, each copied as source
text below one merged block of imports. Only the settings are rendered, as a
``CONFIG`` dict at the top that a user can edit. So there is no second code
generator to keep in step, and the tests check that the script's losses equal the
engine's.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
from pathlib import Path

from ..core.codegen import generate, safe_text
from ..core.document import GraphDocument
from ..core.freeze import freeze_paths
from ..core.shapes import ShapeReport, infer_shapes
from . import recipe, script_data, script_main, tagger_main, tagging
from .config import TrainingConfig
from .datasets import CLASSIFICATION, TAGGING, DataSet, builtin_info, builtin_names
from .metrics import better_mode
from .prepare import TrainingError, check_graph, load_dataset
from .session import metric_names
from .userdata import load_csv, load_image_folder

SCRIPT_METRICS = ("val_loss", "train_loss", "accuracy", "mse", "mae")  # and top-k accuracies


def export_training_script(doc: GraphDocument, base_dir: str | Path | None = None) -> str:
    """Source of a runnable training script for ``doc`` and its ``training`` settings.

    ``python train.py`` trains in one process; ``torchrun --nproc_per_node N
    train.py`` trains data-parallel. Raises the same errors as starting a run
    (:class:`~netbuilder.train.prepare.TrainingError`, ``ConfigError``,
    ``DataError``, ``GraphError``) when the graph cannot train on its data.
    """
    config = TrainingConfig.from_dict(doc.training)
    ds = load_dataset(config, base_dir)
    report = infer_shapes(doc)
    check_graph(doc, report, ds, config)
    if ds.task == TAGGING:
        return tagging_script(doc, config, ds, report, base_dir)
    model = generate(doc, report=report)
    settings = _settings(config, ds, freeze_paths(doc, config.freeze, model.attr_of)[0], base_dir)
    call, data_functions = _data_call(config, ds, base_dir)
    chosen = _Source(script_data).select([*data_functions, "split_indices", "standardise"])
    parts = [_Source(recipe).whole(), _Source(script_main).whole(), chosen]
    imports = _merge_imports([p.imports for p in parts] + [["import torch", "from torch import nn"]])
    wrapper = (f"def load_data(config):\n    \"\"\"The configured data: {safe_text(ds.name)}.\"\"\"\n"
               f"    return {call}\n")
    sections = [
        _docstring(doc, config, ds, model.class_name, imports),
        "\n".join(imports) + "\n\nCONFIG = " + _literal(settings),
        model.class_source.rstrip(),
        wrapper.rstrip(),
        chosen.text,
        parts[0].text,
        parts[1].text,
        f'if __name__ == "__main__":\n    main(CONFIG, {model.class_name}, load_data)',
    ]
    return "\n\n\n".join(sections) + "\n"


def _literal(value, indent: str = "") -> str:
    """A Python literal for plain settings: one key per line, lists on one line."""
    if isinstance(value, dict):
        items = [f'{indent}    {json.dumps(key)}: {_literal(item, indent + "    ")},' for key, item in value.items()]
        return "{\n" + "\n".join(items) + f"\n{indent}}}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _docstring(doc: GraphDocument, config: TrainingConfig, ds, class_name: str, imports: list[str]) -> str:
    what = f"{ds.num_classes} classes" if ds.task == CLASSIFICATION else "regression"
    packages = {"sklearn": "scikit-learn", "PIL": "Pillow"}
    needs = "".join(f", {name}" for module, name in packages.items()
                    if any(line.split()[1].split(".")[0] == module for line in imports if line))
    return f'''"""{safe_text(doc.name)}: a training script exported by netbuilder.

Trains {class_name} on {safe_text(ds.name)} ({len(ds)} samples, {what}) with {config.optimizer.name}
for {config.epochs} epochs. Needs PyTorch, NumPy{needs}; not netbuilder.

    python train.py                          # one process: CPU or one GPU
    torchrun --nproc_per_node 4 train.py     # data-parallel over 4 processes (one GPU each)
    python train.py --help                   # epochs, learning rate, output folder...

The settings are in CONFIG below. With the same seed, one CPU process gives the same
losses as netbuilder. Under torchrun --batch-size is per process, so each step sees
that many samples times the number of processes.
"""'''


def _settings(config: TrainingConfig, ds, freeze: list[str], base_dir) -> dict:
    """The CONFIG dict: the file's settings with everything netbuilder resolves at
    run time (loss, watched metric, node ids, data path) resolved."""
    settings = config.to_dict(full=True)
    del settings["version"]
    metric = config.early_stopping.metric
    if metric == "val_loss" and config.data.val_fraction == 0:
        metric = "train_loss"
    names = [n for n in metric_names(ds.task, ds.num_classes, config.data.val_fraction > 0, config.metrics.top_k)
             if n in SCRIPT_METRICS or n.endswith("_accuracy")]
    if metric not in names:
        raise TrainingError(f"training.early_stopping.metric: the exported script can watch "
                            f"{', '.join(names)}, not {metric!r}")
    mode = config.early_stopping.mode
    settings["early_stopping"].update(metric=metric, mode=better_mode(metric) if mode == "auto" else mode)
    loss = config.loss.name
    settings["loss"]["name"] = ("cross_entropy" if ds.task == CLASSIFICATION else "mse") if loss == "auto" else loss
    settings["freeze"] = freeze  # paths into the model (netbuilder.core.freeze), for recipe.freeze
    settings["metrics"] = {"top_k": config.metrics.top_k}
    source = config.data.source
    if source not in builtin_names():
        source = str(_resolve(source, base_dir))
    settings["data"] = {"source": source, "val_fraction": config.data.val_fraction,
                        "stratify": config.data.stratify, "standardise": config.data.standardise,
                        "task": ds.task, "kind": ds.kind, "class_names": list(ds.class_names)}
    return settings


def _resolve(source: str, base_dir) -> Path:
    path = Path(source).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path.resolve()


def _defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _data_call(config: TrainingConfig, ds, base_dir) -> tuple[str, list[str]]:
    """The expression loading the data inside ``load_data(config)``, and the
    script_data functions it calls."""
    source, options = config.data.source, config.data.options
    if source in builtin_names():
        return f'{source}(config["seed"])', [source]
    path = _resolve(source, base_dir)
    if path.is_dir():
        settings = {**_defaults(load_image_folder), **options}
        size = tuple(settings["image_size"])
        return (f'read_image_folder(config["data"]["source"], image_size={size!r}, '
                f'grayscale={settings["grayscale"]!r})'), ["read_image_folder"]
    if path.suffix.lower() == ".npz":
        return f'read_npz(config["data"]["source"], task={ds.task!r})', ["read_npz"]
    settings = {**_defaults(load_csv), **options}
    classes = list(ds.class_names) if ds.task == CLASSIFICATION else None
    skip = ", skip_bad_rows=True" if settings["skip_bad_rows"] else ""
    return (f'read_csv(config["data"]["source"], target={settings["target"]!r}, features={settings["features"]!r}, '
            f'class_names={classes!r}, delimiter={settings["delimiter"]!r}{skip})'), ["read_csv"]


class _Source:
    """A module's source split into its imports and its top-level definitions."""

    def __init__(self, module):
        self.source = inspect.getsource(module)
        self.tree = ast.parse(self.source)
        self.imports: list[str] = []
        self.definitions: dict[str, ast.stmt] = {}
        for node in self.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if getattr(node, "level", 0) == 0 and getattr(node, "module", None) != "__future__":
                    self.imports.append(ast.unparse(node))
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                self.definitions[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self.definitions[getattr(target, "id", "")] = node
        self.text = ""

    def _segment(self, node: ast.stmt) -> str:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        return "\n".join(self.source.splitlines()[first - 1:node.end_lineno])

    def whole(self) -> _Source:
        """Everything after the imports, as written (the docstring and imports dropped)."""
        body = [n for n in self.tree.body if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))]
        self.text = "\n".join(self.source.splitlines()[body[0].lineno - 1:]).strip()
        return self

    def select(self, roots: list[str]) -> _Source:
        """Just ``roots``, the definitions they use, and the imports those need."""
        wanted, stack = set(), list(roots)
        while stack:
            name = stack.pop()
            if name in wanted or name not in self.definitions:
                continue
            wanted.add(name)
            stack.extend(n.id for n in ast.walk(self.definitions[name]) if isinstance(n, ast.Name))
        nodes = [n for n in self.tree.body if any(self.definitions.get(w) is n for w in wanted)]
        used = {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}
        self.imports = [line for line in self.imports if _bound(line) & used]
        self.text = "\n\n\n".join(self._segment(n) for n in nodes)
        return self


def _bound(import_line: str) -> set[str]:
    node = ast.parse(import_line).body[0]
    return {(alias.asname or alias.name).split(".")[0] for alias in node.names}


def _merge_imports(groups: list[list[str]]) -> list[str]:
    """One import block in isort's order: standard library, then third party; plain
    ``import`` lines before ``from`` lines; names merged per module."""
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for line in (line for group in groups for line in group):
        node = ast.parse(line).body[0]
        if isinstance(node, ast.Import):
            plain.update(line.removeprefix("import ").split(", "))
        else:
            names.setdefault(node.module, set()).update(
                a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    def section(module: str) -> int:
        return 0 if module.split(".")[0] in sys.stdlib_module_names else 1

    lines: list[str] = []
    for wanted in (0, 1):
        block = sorted((f"import {p}" for p in plain if section(p) == wanted), key=lambda s: s.lower())
        block += [f"from {m} import {', '.join(sorted(names[m], key=_name_order))}"
                  for m in sorted(names, key=str.lower) if section(m) == wanted]
        if block:
            lines += block + [""]
    return lines[:-1]


def _name_order(name: str) -> tuple:
    """isort's order-by-type: CONSTANTS, then Classes, then functions."""
    bare = name.split(" as ")[0]
    kind = 0 if bare.isupper() else 1 if bare[:1].isupper() else 2
    return kind, bare


# -- a tagging graph: the script reads sentences and builds its vocabulary -----------------------
def _sentences_call(config: TrainingConfig, base_dir) -> str:
    source = config.data.source
    if source in builtin_names():
        count = next(info["n_samples"] for info in builtin_info() if info["name"] == source)
        return f'grammar_sentences({count}, config["seed"])'
    path = _resolve(source, base_dir)
    if path.suffix.lower() == ".csv":
        delimiter = config.data.options.get("delimiter") or ","
        return f'read_token_csv(config["data"]["source"], {delimiter!r})'
    return 'read_conll(config["data"]["source"])'


def tagging_script(doc: GraphDocument, config: TrainingConfig, ds: DataSet, report: ShapeReport,
                   base_dir: str | Path | None = None) -> str:
    """The source of a standalone tagging ``train.py`` (the graph was checked by the caller)."""
    model = generate(doc, report=report)
    settings = _settings(config, ds, freeze_paths(doc, config.freeze, model.attr_of)[0], base_dir)
    if config.loss.name == "auto":
        settings["loss"]["name"] = "cross_entropy"
    del settings["data"]["class_names"]  # the tags come from the training sentences, as the vocabulary does
    parts = [_Source(tagging).whole(), _Source(recipe).whole(),
             _Source(script_main).select(["pick_device", "start_distributed", "summed", "leave_distributed",
                                                 "run_parts", "run_arguments"]),
             _Source(tagger_main).whole()]
    imports = _merge_imports([p.imports for p in parts] + [["import torch", "from torch import nn"]])
    imports = [line + "  # noqa: F401" if line == "import torch.distributed.nn" else line for line in imports]
    wrapper = (f"def load_sentences(config):\n    \"\"\"The configured sentences: {safe_text(ds.name)}, "
               f"as (words, tags) pairs.\"\"\"\n    return {_sentences_call(config, base_dir)}\n")
    docstring = f'''"""{safe_text(doc.name)}: a tagging training script exported by netbuilder.

Trains {model.class_name} to tag every word of {safe_text(ds.name)} ({len(ds)} sentences, {ds.num_classes} tags)
with {config.optimizer.name} for {config.epochs} epochs. Needs PyTorch and NumPy; not netbuilder.

    python train.py                              # train; checkpoints and vocabulary.json in checkpoints/
    torchrun --nproc_per_node 4 train.py         # data-parallel over 4 processes (one GPU each)
    python train.py --tag "the dog sees a bird"  # tag a sentence with the trained model
    python train.py --help                       # epochs, learning rate, data file, output folder...

The vocabulary (with <pad> = 0 and <unk> = 1) and the tag set are built from the training
sentences and saved beside the checkpoints. With the same seed one CPU process gives netbuilder's
losses. Under torchrun --batch-size is per process, so each step sees that many sentences times
the number of processes.
"""'''
    sections = [
        docstring,
        "\n".join(imports) + "\n\nCONFIG = " + _literal(settings),
        model.class_source.rstrip(),
        wrapper.rstrip(),
        parts[0].text,
        parts[1].text,
        parts[2].text,
        parts[3].text,
        f'if __name__ == "__main__":\n    main(CONFIG, {model.class_name}, load_sentences)',
    ]
    return "\n\n\n".join(sections) + "\n"
