"""``netbuilder import FILE.py:Class`` and ``netbuilder export FILE --onnx PATH``.

Thin: parse, call the library, print what happened in plain words. Errors are
one message on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import sys
from collections import Counter

from ..core.errors import NetbuilderError
from ..core.fileformat import load_graph
from ..core.shapes import infer_shapes
from .model_import import import_module
from .onnx_export import compare_with_onnxruntime
from .onnx_export import export_onnx as write_onnx
from .userfile import example_input, forward_arguments, instantiate, parse_input, run_file, split_source
from .weights import load_weights, save_with_weights

_TOLERANCE = 1e-5


def _fail(command: str, err: Exception) -> int:
    print(f"netbuilder {command}: {err}", file=sys.stderr)
    return 1


def import_model(args) -> int:
    """Import a model class from the user's file; write the graph and its weights."""
    try:
        path, class_name = split_source(args.source)
        model = instantiate(run_file(path), class_name)
        shapes = args.input_shape if isinstance(args.input_shape, list) else [args.input_shape]
        tensors = tuple(example_input(model, *parse_input(text, args.input_dtype)) for text in shapes)
        example = forward_arguments(model, tensors)
        result = import_module(model, example, keep_unsupported=args.keep_unsupported, blocks=not args.flat)
        result.document.set_meta("imported_from", f"{path.name}:{class_name}")
        weights = save_with_weights(result.document, result.state_dict, args.output)
    except (NetbuilderError, OSError) as err:
        return _fail("import", err)
    doc = result.document
    counts = Counter(node.type for node in doc.nodes.values())
    layers = ", ".join(f"{t} ×{n}" if n > 1 else t for t, n in counts.items())
    params = infer_shapes(doc).total_params
    print(f"Imported {class_name} from {path.name}: {len(doc.nodes)} nodes, {len(doc.edges)} edges, "
          f"{params:,} parameters; outputs match the original module.")
    print(f"  nodes: {layers}")
    if doc.blocks:
        print("  blocks: " + ", ".join(f"{name}({', '.join(block.parameters)})" for name, block in doc.blocks.items()))
    for note in result.notes:
        print(f"  note: {note}")
    print(f"Wrote {args.output} and its weights {weights}")
    return 0


def export_onnx(args) -> int:
    """Write the graph (and the weights it names, if any) as ONNX with a dynamic batch."""
    if getattr(args, "train", False) or getattr(args, "output", None):
        return _fail("export", NetbuilderError("--onnx writes only the ONNX file; export Python code "
                                               "(-o, --train) in a separate call"))
    try:
        doc = load_graph(args.file)
        state = load_weights(doc, args.file)
        exported = write_onnx(doc, args.onnx, state)
        difference = compare_with_onnxruntime(exported, args.onnx)
    except (NetbuilderError, OSError) as err:
        return _fail("export", err)
    weights = "imported weights" if state is not None else "fresh random weights (the graph names no weights file)"
    print(f"Wrote {args.onnx} with {weights}: inputs {', '.join(exported.input_names)}, outputs "
          f"{', '.join(exported.output_names)}; batch dimension dynamic; onnx checker passed.")
    if difference is None:
        print("  onnxruntime is not installed: the file was not run (pip install onnxruntime to check it).")
    elif difference > _TOLERANCE:
        return _fail("export", NetbuilderError(f"onnxruntime differs from PyTorch by {difference:.2g} of the "
                                               f"output's scale (more than {_TOLERANCE:g})"))
    else:
        print(f"  onnxruntime gives PyTorch's outputs for batches of 1 and 5 (largest difference {difference:.1g} "
              "of the output's scale).")
    return 0
