"""``export_python``: a standalone module file that needs only PyTorch."""

from __future__ import annotations

from .codegen import example_input_code, generate, safe_text
from .document import GraphDocument
from .shapes import infer_shapes


def export_python(doc: GraphDocument, class_name: str | None = None) -> str:
    """Source of a runnable ``.py`` file defining the model class.

    ``python model.py`` builds the model, runs a random batch through it and
    prints the output shape(s). Raises ``GraphError`` if the graph has errors.
    """
    report = infer_shapes(doc)
    model = generate(doc, class_name, report)
    examples = example_input_code(doc, model)
    shapes = ", ".join(f"{n} {t.text()}" for n, t in zip(model.input_names, model.input_types))
    outs = ", ".join(t.text() for t in report.output_types() if t is not None)
    header = [
        f'"""{safe_text(doc.name)}: a PyTorch model exported by netbuilder.',
        "",
        f"Inputs: {shapes}. Output: {outs}. Parameters: {report.total_params:,}.",
        "Needs only PyTorch. Run it to build the model and push a random batch through it.",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
        "",
    ]
    many = len(model.output_names) > 1
    main = [
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {model.class_name}()",
        f"    example = ({', '.join(examples)}{',' if len(examples) == 1 else ''})",
        "    output = model(*example)",
        "    for tensor in output:" if many else "    print(tuple(output.shape))",
    ]
    if many:
        main.append("        print(tuple(tensor.shape))")
    return "\n".join(header) + model.class_source + "\n".join(main) + "\n"
