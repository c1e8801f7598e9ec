"""ONNX export of a graph document, with a dynamic batch dimension.

torch's TorchScript-based exporter (``dynamo=False``) is used: it needs only
the ``onnx`` package, where the newer exporter also needs ``onnxscript``.
Inputs and outputs are named by node id, so the ONNX graph reads like the
canvas. :func:`compare_with_onnxruntime` is the proof that the batch
dimension really is dynamic: it runs batches of other sizes than the one
exported with, through onnxruntime when installed, against PyTorch.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from ..core.compiler import build_model
from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.layers import TensorType
from ..core.shapes import infer_shapes
from ..core.tokens import smallest_vocabulary
from .values import evaluating

OPSET = 17


@dataclass
class OnnxModel:
    """What was exported: the model as PyTorch ran it, and the ONNX names."""

    model: nn.Module
    input_names: list[str]
    output_names: list[str]
    input_types: list[TensorType]
    vocab_sizes: list[int]  # for int64 inputs: ids stay below this, so examples are valid tokens


def example_batch(exported: OnnxModel, batch: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random inputs of the exported model's types, ``batch`` samples each."""
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for t, vocab in zip(exported.input_types, exported.vocab_sizes):
        shape = (batch, *t.shape)
        if t.dtype == "int64":
            tensors.append(torch.randint(0, vocab, shape, generator=generator))
        else:
            tensors.append(torch.randn(shape, generator=generator))
    return tuple(tensors)


def export_onnx(doc: GraphDocument, path: str | os.PathLike, state_dict: dict | None = None) -> OnnxModel:
    """Write ``doc`` (with ``state_dict`` loaded, if given) as ONNX and check it with onnx's checker."""
    try:
        import onnx
    except ImportError:
        raise NetbuilderError("ONNX export needs the onnx package: pip install 'netbuilder[onnx]'") from None
    report = infer_shapes(doc)
    model = build_model(doc, report)
    if state_dict is not None:
        try:
            model.load_state_dict(state_dict)
        except RuntimeError as err:
            raise NetbuilderError(f"the weights do not fit {doc.name} (edited since they were saved?): "
                                  f"{str(err).splitlines()[-1].strip()}") from None
    inputs = list(model.netbuilder_inputs)
    exported = OnnxModel(model, inputs, list(report.outputs), [report.value_type(i) for i in inputs],
                         [smallest_vocabulary(doc, i) for i in inputs])
    axes = {name: {0: "batch"} for name in exported.input_names + exported.output_names}
    model.eval()  # with autograd on: under no_grad attention takes fused kernels ONNX has no operator for
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter announces its retirement
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", "Exporting a model to ONNX with a batch_size other than 1")  # checked
        torch.onnx.export(model, example_batch(exported, 2), os.fspath(path), dynamo=False, opset_version=OPSET,
                          input_names=exported.input_names, output_names=exported.output_names, dynamic_axes=axes)
    try:
        onnx.checker.check_model(os.fspath(path), full_check=True)
    except onnx.checker.ValidationError as err:
        raise NetbuilderError(f"the exported ONNX file does not pass onnx's checker: {err}") from None
    return exported


def compare_with_onnxruntime(exported: OnnxModel, path: str | os.PathLike, batches=(1, 5)) -> float | None:
    """Largest difference between onnxruntime and PyTorch over ``batches``, relative to the
    output's scale (its largest magnitude): ResNet logits near 48 differ by a few 1e-6 in
    float32 as a matter of course, which says nothing against the file. None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch in batches:
        inputs = example_batch(exported, batch, seed=batch)
        with evaluating(exported.model):
            expected = exported.model(*inputs)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = session.run(exported.output_names, {n: t.numpy() for n, t in zip(exported.input_names, inputs)})
        for want, have in zip(expected, got):
            if tuple(have.shape) != tuple(want.shape):
                raise NetbuilderError(f"onnxruntime gives shape {tuple(have.shape)} for batch {batch}, "
                                      f"PyTorch {tuple(want.shape)}")
            difference = (torch.from_numpy(have) - want).abs().max().item()
            scale = want.abs().max().item() if want.numel() else 0.0
            worst = max(worst, difference / scale if scale > 0 else difference)
    return worst
