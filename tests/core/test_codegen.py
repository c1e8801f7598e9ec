"""Generated code: parses, is ruff-clean, runs as a script, needs no netbuilder,
and is the same model as ``build_model`` (same state_dict, bit-identical outputs)."""

import ast
import subprocess
import sys

import pytest
import torch
from core_helpers import EXAMPLES, as_tuple, chain, load_exported, random_inputs, run_as_script, wire
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_torch_agreement import CASES, case_id, one_layer_graph

from netbuilder.core.codegen import generate
from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import load_graph
from netbuilder.core.layers import TensorType
from netbuilder.core.shapes import ShapeInference, infer_shapes

ROOT = EXAMPLES[0].parents[1]


def ruff(*paths) -> subprocess.CompletedProcess:
    """ruff with its default rules, then with the repository's configuration."""
    for config in (["--isolated"], ["--config", str(ROOT / "pyproject.toml")]):
        result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *config, *map(str, paths)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def top_level_shape(source: str) -> list[str]:
    """What an exported module is made of, statement by statement."""
    kinds = []
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            kinds.append("docstring")
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            kinds.append(ast.unparse(statement))
        elif isinstance(statement, ast.ClassDef):
            kinds.append("class")
        elif isinstance(statement, ast.If) and ast.unparse(statement.test) == "__name__ == '__main__'":
            kinds.append("main")
        else:
            kinds.append(ast.unparse(statement))
    return kinds


EXPECTED_TOP_LEVEL = ["docstring", "from pathlib import Path", "import torch", "from torch import nn", "class", "main"]


def assert_same_model(doc: GraphDocument, tmp_path, class_name: str = "Exported") -> None:
    """Exported class == build_model's module: state_dict keys and shapes, then bit-identical outputs."""
    compiled = build_model(doc).eval()
    exported = load_exported(export_python(doc, class_name), tmp_path, class_name)().eval()
    want = {k: v.shape for k, v in compiled.state_dict().items()}
    assert {k: v.shape for k, v in exported.state_dict().items()} == want
    exported.load_state_dict(compiled.state_dict())
    inputs = random_inputs(doc, compiled.netbuilder_inputs)
    with torch.no_grad():
        for a, b in zip(as_tuple(compiled(*inputs)), as_tuple(exported(*inputs)), strict=True):
            assert torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=0, equal_nan=True)  # log(-1) is nan


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_export_to_clean_standalone_modules(path, tmp_path, capsys):
    doc = load_graph(path)
    source = export_python(doc)
    kinds = top_level_shape(source)  # a class per block (or per network of a GAN) before the model's
    assert kinds[:4] == EXPECTED_TOP_LEVEL[:4] and kinds[-1] == "main" and set(kinds[4:-1]) == {"class"}
    assert "netbuilder" not in "".join(ast.unparse(s) for s in ast.parse(source).body[1:3])
    script = tmp_path / "model.py"
    script.write_text(source, encoding="utf-8")
    ruff(script)
    printed = run_as_script(script, capsys)
    report = infer_shapes(doc)
    assert printed.split("\n")[:-1] == [str((2, *t.shape)) for t in report.output_types()]
    assert_same_model(doc, tmp_path)


def test_exported_file_runs_as_a_script_in_a_fresh_python(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(export_python(load_graph(ROOT / "examples" / "digits_cnn.json"), "Net"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "(2, 10)\n"


def test_every_layer_exports_ruff_clean_code(tmp_path):
    paths = []
    for i, case in enumerate(CASES):
        path = tmp_path / f"layer_{i}.py"
        path.write_text(export_python(one_layer_graph(*case)), encoding="utf-8")
        paths.append(path)
    ruff(*paths)


@pytest.mark.parametrize("case", CASES[::3], ids=[case_id(c) for c in CASES[::3]])
def test_every_kind_of_layer_has_parity(case, tmp_path):
    assert_same_model(one_layer_graph(*case), tmp_path)


def forward_of(doc: GraphDocument) -> str:
    return generate(doc).class_source.split("    def forward")[1]


def test_forward_reads_like_hand_written_code():
    doc = load_graph(ROOT / "examples" / "residual_cnn.json")
    assert forward_of(doc) == """(self, image):
        x = self.conv1(image)
        relu1 = self.relu1(x)
        x = self.conv2(relu1)
        x = self.relu2(x)
        x = self.conv3(x)
        x = x + relu1  # node: add
        x = self.relu3(x)
        x = self.pool(x)
        x = self.flatten(x)
        x = self.fc(x)
        return x
"""


def test_recurrent_ports_and_output_nodes_named_in_the_code():
    doc = chain(("Input", {"shape": [12, 3]}, "tokens"), ("LSTM", {"hidden_size": 8, "output": "last"}, "lstm"),
                ("Linear", {"out_features": 4}, "head"), ("Output", {}, "scores"))
    doc.add_node("Output", node_id="state")
    wire(doc, ("lstm", "state", 1, 0))
    assert "self.lstm = nn.LSTM(input_size=3, hidden_size=8, batch_first=True)" in generate(doc).class_source
    assert forward_of(doc) == """(self, tokens):
        x, (lstm_h_n, _) = self.lstm(tokens)
        x = x[:, -1]
        lstm_h_n = lstm_h_n[-1]
        x = self.head(x)
        scores = x
        state = lstm_h_n
        return scores, state
"""


@pytest.mark.parametrize("steps, line", [
    ([("Input", {"shape": [4, 6]}), ("Permute", {"dims": [0, 2, 1]}, "swap")],
     "x = input_.permute(0, 2, 1)  # node: swap"),
    ([("Input", {"shape": [12]}), ("Reshape", {"shape": [3, 4]}, "grid")],
     "x = input_.reshape(input_.shape[0], 3, 4)  # node: grid"),
    ([("Input", {"shape": [5, 8]}), ("MultiheadAttention", {"num_heads": 2}, "attn")],
     "x, _ = self.attn(input_, input_, input_, need_weights=False)"),
])
def test_expression_layers_become_one_plain_line(steps, line):
    assert f"        {line}\n" in generate(chain(*steps)).class_source


def test_graph_errors_refuse_generation():
    doc = chain(("Input", {"shape": [64]}), ("Conv2d", {"out_channels": 2}, "conv1"))
    with pytest.raises(GraphError) as caught:
        export_python(doc)
    assert caught.value.problems == ["Conv2d 'conv1': expects (N, C, H, W), got (N, 64) — did you mean Linear?"]


@pytest.mark.parametrize("name", ["torch", "nn", "print", "class", "__main__", "My Net", "Nét", "", "x;y"])
def test_unusable_class_names_are_refused(name):
    with pytest.raises(ParamError, match="class_name"):
        export_python(chain(("Input", {"shape": [2]}), ("ReLU", {})), name)


# -- random valid graphs --------------------------------------------------------
def layer_options(t: TensorType) -> list[tuple[str, dict]]:
    """Layers that accept a tensor of type ``t`` (N, *t.shape)."""
    rank = len(t.shape) + 1
    options = [("ReLU", {}), ("GELU", {}), ("Tanh", {}), ("Dropout", {"p": 0.3}), ("Identity", {}),
               ("LayerNorm", {}), ("Softmax", {"dim": -1}), ("Sigmoid", {})]
    if rank == 2:
        options += [("Linear", {"out_features": 3}), ("Linear", {"out_features": 5}), ("BatchNorm1d", {}),
                    ("PReLU", {}), ("Unflatten", {"dim": 1, "unflattened_size": [1, t.shape[0]]})]
    if rank == 3:
        options += [("Conv1d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("MaxPool1d", {"kernel_size": 1}),
                    ("LSTM", {"hidden_size": 4}), ("GRU", {"hidden_size": 3, "output": "last"}),
                    ("RNN", {"hidden_size": 2, "bidirectional": True}), ("Flatten", {}),
                    ("Permute", {"dims": [0, 2, 1]}), ("Linear", {"out_features": 4}),
                    ("MultiheadAttention", {"num_heads": 1}), ("BatchNorm1d", {}),
                    ("TransformerEncoderLayer", {"nhead": 1, "dim_feedforward": 8})]
    if rank == 4:
        options += [("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("BatchNorm2d", {}),
                    ("MaxPool2d", {"kernel_size": 2}), ("AvgPool2d", {"kernel_size": 1}), ("Flatten", {}),
                    ("AdaptiveAvgPool2d", {"output_size": 2}), ("Upsample", {"scale_factor": 2.0}),
                    ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 2, "stride": 2}), ("Dropout2d", {}),
                    ("InstanceNorm2d", {"affine": True})]
    return options


@st.composite
def valid_graphs(draw):
    doc = GraphDocument("random")
    inference = ShapeInference(doc)
    shapes = [[6], [3, 8], [2, 6, 6], [5, 4]]
    for i in range(draw(st.integers(1, 2))):
        doc.add_node("Input", {"shape": draw(st.sampled_from(shapes))}, node_id=f"in{i}")
    for step in range(draw(st.integers(1, 8))):
        report = inference.refresh()
        values = [(n, port) for n in report.order for port, _ in enumerate(report.nodes[n].outputs)]
        source = draw(st.sampled_from(values))
        t = report.value_type(*source)
        node_id = f"n{step}"
        twins = [v for v in values if v != source and report.value_type(*v) == t]
        if twins and draw(st.integers(0, 3)) == 0:
            doc.add_node(draw(st.sampled_from(["Add", "Multiply", "Concat"])), node_id=node_id)
            wire(doc, (source[0], node_id, source[1], 0), (twins[0][0], node_id, twins[0][1], 1))
        else:
            layer_type, params = draw(st.sampled_from(layer_options(t)))
            doc.add_node(layer_type, params, node_id=node_id)
            doc.connect(Edge(source[0], node_id, source[1], 0))
        if not inference.refresh().ok:
            doc.remove_node(node_id)
    report = inference.refresh()
    assume(report.ok and not any(p.severity == "warning" and "not connected" in p.message for p in report.problems))
    inference.close()
    return doc


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(valid_graphs())
def test_random_graphs_export_with_parity(tmp_path, doc):
    source = export_python(doc, "Random")
    assert top_level_shape(source) == EXPECTED_TOP_LEVEL
    assert_same_model(doc, tmp_path, "Random")
