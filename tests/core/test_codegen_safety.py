"""Node ids and graph names cannot inject code into the generated module."""

import ast
import io
import tokenize

import pytest
from core_helpers import as_tuple, load_exported, random_inputs, run_as_script
from test_codegen import EXPECTED_TOP_LEVEL, assert_same_model, ruff, top_level_shape
from torch import nn

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.export import export_python

HOSTILE_IDS = [
    "__import__('os').system('x')", "'; import os; '", '"""', "'''", "a\nb = 1", "x\\", "# comment",
    "class", "self", "torch", "nn", "super", "print", "None", "True", "_", "__", "__init__",
    "forward", "training", "state_dict", "to", "cuda", "model", "example", "output", "Path", "weights",
    "conv 1", "conv-1", "Conv_1", "conv_1", "1st", "日本語", "café", "a\u2028b", "x" * 300,
]
HOSTILE_NAMES = ['"""; import os; os.system("x"); """', "a\nimport os", "\\", "'''", "日本語 net", "class", "torch"]
SAFE_NAMES = {"self", "torch", "nn", "super", "print", "tuple", "model", "example", "output", "tensor", "__name__",
              "Path", "weights", "__file__"}
MAIN_STRINGS = {"__main__", ".pt", "loaded the trained weights in "}  # the __main__ block's own text


def hostile_graph(name: str) -> GraphDocument:
    """Every hostile id on a node: Inputs, Linear/ReLU layers, an Add and an Output."""
    doc = GraphDocument(name)
    ids = iter(HOSTILE_IDS)
    first, second = next(ids), next(ids)
    doc.add_node("Input", {"shape": [4]}, node_id=first)
    doc.add_node("Input", {"shape": [4]}, node_id=second)
    previous = first
    for i, node_id in enumerate(ids):
        doc.add_node("Linear" if i % 2 else "ReLU", {"out_features": 4} if i % 2 else {}, node_id=node_id)
        doc.connect(Edge(previous, node_id))
        previous = node_id
    doc.add_node("Add", node_id="add'\"")
    doc.add_node("Output", node_id="out\n")
    for edge in (Edge(previous, "add'\""), Edge(second, "add'\"", 0, 1), Edge("add'\"", "out\n")):
        doc.connect(edge)
    return doc


def names_used(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def assigned(tree: ast.AST) -> set[str]:
    """Variables the module binds itself: forward's arguments and assignment targets."""
    out = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for a in node.args}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            out |= {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return out


@pytest.mark.parametrize("graph_name", HOSTILE_NAMES)
def test_hostile_ids_and_names_give_only_the_expected_statements(graph_name, tmp_path, capsys):
    doc = hostile_graph(graph_name)
    source = export_python(doc)
    tree = ast.parse(source)
    assert top_level_shape(source) == EXPECTED_TOP_LEVEL
    [cls] = [s for s in tree.body if isinstance(s, ast.ClassDef)]
    assert [type(s).__name__ for s in cls.body] == ["Expr", "FunctionDef", "FunctionDef"]
    assert [f.name for f in cls.body[1:]] == ["__init__", "forward"]
    init, forward = cls.body[1].body, cls.body[2].body
    assert ast.unparse(init[0]) == "super().__init__()"
    for statement in init[1:]:
        assert isinstance(statement, ast.Assign) and ast.unparse(statement.value).startswith("nn.")
        assert ast.unparse(statement.targets[0]).startswith("self.")
    assert all(isinstance(s, ast.Assign) for s in forward[:-1]) and isinstance(forward[-1], ast.Return)
    assert names_used(tree) <= SAFE_NAMES | assigned(tree) | {cls.name}
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert strings - {ast.get_docstring(tree, clean=False), ast.get_docstring(cls, clean=False)} == MAIN_STRINGS

    comments = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    assert all(c.startswith("# node: ") and c.removeprefix("# node: ") in doc.nodes for c in comments)

    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    ruff(path)
    assert run_as_script(path, capsys) == "(2, 4)\n"
    assert_same_model(doc, tmp_path, "Safe")


def test_ids_that_collide_after_sanitising_stay_distinct(tmp_path):
    doc = hostile_graph("collisions")
    model = build_model(doc)
    keys = list(model.state_dict())
    assert len(keys) == len(set(keys))
    assert all(part.isidentifier() for key in keys for part in key.split("."))
    attrs = [name for name, _ in model.named_children()]
    assert not set(attrs) & set(dir(nn.Module()))  # no nn.Module attribute is shadowed
    cls = load_exported(export_python(doc, "Net"), tmp_path, "Net")
    assert list(cls().state_dict()) == keys
    assert len(as_tuple(model(*random_inputs(doc, model.netbuilder_inputs)))) == 1
