"""``netbuilder export FILE --onnx``: checked by onnx, dynamic batch, same outputs as PyTorch."""

from pathlib import Path

import pytest
import torch

from netbuilder import load_graph
from netbuilder.cli import main
from netbuilder.interop.onnx_export import example_batch, export_onnx
from netbuilder.interop.weights import load_weights

onnx = pytest.importorskip("onnx", reason="onnx not installed (optional extra 'onnx'): ONNX export is not tested")

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))
MODELS = Path(__file__).parent / "models"


def _batch_dims(path: Path) -> list[str]:
    graph = onnx.load(str(path)).graph
    return [value.type.tensor_type.shape.dim[0].dim_param for value in [*graph.input, *graph.output]]


@pytest.fixture(scope="module")
def imported_resnet(tmp_path_factory):
    """The residual network imported through the CLI: a graph file with a weights file beside it."""
    folder = tmp_path_factory.mktemp("resnet")
    assert main(["import", f"{MODELS / 'resnet.py'}:SmallResNet", "--input-shape", "3,16,16",
                 "-o", str(folder / "resnet.json")]) == 0
    return folder / "resnet.json"


def test_cli_export_writes_a_checked_file_with_a_dynamic_batch(imported_resnet, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(imported_resnet), "--onnx", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "onnx checker passed" in printed and "imported weights" in printed
    onnx.checker.check_model(str(out), full_check=True)
    assert _batch_dims(out) == ["batch", "batch"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_exports(path, tmp_path):
    exported = export_onnx(load_graph(path), tmp_path / "model.onnx")
    assert set(_batch_dims(tmp_path / "model.onnx")) == {"batch"}
    assert exported.input_names == list(exported.model.netbuilder_inputs)


def test_onnxruntime_matches_pytorch_for_other_batch_sizes(imported_resnet, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (optional): ONNX files are "
                                                    "checked but not run")
    doc = load_graph(imported_resnet)
    path = tmp_path / "model.onnx"
    exported = export_onnx(doc, path, load_weights(doc, imported_resnet))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 5):
        (x,) = example_batch(exported, batch, seed=batch)
        with torch.no_grad():
            want = exported.model.eval()(x)
        (got,) = session.run(None, {"x": x.numpy()})
        assert got.shape == (batch, 10)
        assert torch.allclose(torch.from_numpy(got), want, atol=1e-5, rtol=1e-5)


def test_missing_weights_file_is_an_error_not_random_weights(imported_resnet, tmp_path, capsys):
    moved = tmp_path / "alone.json"
    moved.write_text(imported_resnet.read_text())
    assert main(["export", str(moved), "--onnx", str(tmp_path / "m.onnx")]) == 1
    assert "alone.json names weights file resnet.weights.pt, which is missing" in capsys.readouterr().err


def test_onnx_and_python_export_are_separate_calls(imported_resnet, tmp_path, capsys):
    assert main(["export", str(imported_resnet), "--onnx", str(tmp_path / "m.onnx"), "-o", "x.py"]) == 1
    assert "separate call" in capsys.readouterr().err


def test_parameter_nodes_export_with_a_dynamic_batch(tmp_path):
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (optional): ONNX files are not run")
    from netbuilder.core.document import Edge, GraphDocument
    from netbuilder.interop.onnx_export import compare_with_onnxruntime

    doc = GraphDocument("learned offset")
    doc.add_node("Input", {"shape": [4, 3]}, node_id="x")
    doc.add_node("Parameter", {"shape": [1, 3], "init": "randn"}, node_id="token")
    doc.add_node("Concat", {"dim": 1}, node_id="joined")
    doc.connect(Edge("token", "joined", 0, 0))
    doc.connect(Edge("x", "joined", 0, 1))
    exported = export_onnx(doc, tmp_path / "model.onnx")
    assert set(_batch_dims(tmp_path / "model.onnx")) == {"batch"}
    assert compare_with_onnxruntime(exported, tmp_path / "model.onnx", batches=(1, 5)) < 1e-6


def test_onnxruntime_is_compared_relative_to_the_outputs_scale(tmp_path):
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (optional): ONNX files are not run")
    from netbuilder.core.compiler import build_model
    from netbuilder.core.document import Edge, GraphDocument
    from netbuilder.interop.onnx_export import compare_with_onnxruntime

    doc = GraphDocument("large logits")
    doc.add_node("Input", {"shape": [64]}, node_id="x")
    doc.add_node("Linear", {"out_features": 10}, node_id="head")
    doc.connect(Edge("x", "head"))
    state = {k: v * 1e4 for k, v in build_model(doc).state_dict().items()}  # logits in the tens of thousands
    exported = export_onnx(doc, tmp_path / "model.onnx", state)
    inputs = torch.randn(5, 64, generator=torch.Generator().manual_seed(5))
    assert exported.model(inputs).abs().max() > 1e4
    assert compare_with_onnxruntime(exported, tmp_path / "model.onnx") < 1e-5
