"""``export_python``: a standalone module file that needs only PyTorch."""

from __future__ import annotations

import textwrap

from .codegen import example_input_code, generate
from .document import GraphDocument
from .networks import network, network_groups
from .pysource import fit, safe_text
from .shapes import infer_shapes

WEIGHTS_SUFFIX = ".pt"  # model.py runs with the weights in model.pt when that file exists


def export_python(doc: GraphDocument, class_name: str | None = None) -> str:
    """Source of a runnable ``.py`` file defining the model class.

    ``python model.py`` builds the model (loading ``model.pt`` beside it when it
    exists: the trained weights), runs a random batch through it and prints the
    output shape(s). Raises ``GraphError`` if the graph has errors
    and ``ParamError`` for a ``class_name`` that is not a usable identifier.
    """
    if class_name is None and network_groups(doc):
        return export_networks(doc)
    report = infer_shapes(doc)
    model = generate(doc, class_name, report)
    examples = example_input_code(doc, model)
    shapes = ", ".join(f"{n} {t.text()}" for n, t in zip(model.input_names, model.input_types))
    outs = ", ".join(t.text() for t in report.output_types() if t is not None)
    summary = f"Inputs: {shapes}. Output: {outs}. Parameters: {report.total_params:,}."
    header = [
        f'"""{safe_text(doc.name, 60)}: a PyTorch model exported by netbuilder.',
        "",
        *textwrap.wrap(summary, 99, break_long_words=False, break_on_hyphens=False),
        "Needs only PyTorch. Run it to build the model and push a random batch through it",
        f"(with the trained weights in {WEIGHTS_SUFFIX} file of the same name beside it, when there is one).",
        '"""',
        "",
        "from pathlib import Path",
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
        f'    weights = Path(__file__).with_suffix("{WEIGHTS_SUFFIX}")',
        "    if weights.is_file():",
        "        model.load_state_dict(torch.load(weights, weights_only=True))",
        '        print(f"loaded the trained weights in {weights.name}")',
        "    model.eval()",
        *fit(f"example = ({', '.join(examples)}{',' if len(examples) == 1 else ''})", "    "),
        "    output = model(*example)",
        *(["    for tensor in output:", "        print(tuple(tensor.shape))"] if many
          else ["    print(tuple(output.shape))"]),
    ]
    return "\n".join(header) + model.class_source + "\n".join(main) + "\n"


def export_networks(doc: GraphDocument) -> str:
    """Source of a ``.py`` file with one class per network of ``doc`` (a GAN's
    ``Generator`` and ``Discriminator``), each named after its Output node.

    ``python gan.py`` builds every network (with the trained weights of the ``.pt``
    file beside it, a dict holding each network's ``state_dict`` under its name, when
    there is one), runs a random batch through each and prints the output shapes."""
    names = list(network_groups(doc))
    parts = [network(doc, name) for name in names]
    models = [generate(part, report=infer_shapes(part)) for part in parts]
    listed = ", ".join(f"{m.class_name} ({name})" for m, name in zip(models, names))
    header = [
        f'"""{safe_text(doc.name, 60)}: {len(models)} PyTorch networks exported by netbuilder: {listed}.',
        "",
        "Needs only PyTorch. Run it to build each network and push a random batch through it",
        f"(with the trained weights in the {WEIGHTS_SUFFIX} file of the same name beside it, when there is one:",
        "a dict of each network's state_dict under its name).",
        '"""',
        "",
        "from pathlib import Path",
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
        "",
    ]
    main = ["", "", 'if __name__ == "__main__":', f'    weights = Path(__file__).with_suffix("{WEIGHTS_SUFFIX}")',
            "    state = torch.load(weights, weights_only=True) if weights.is_file() else {}"]
    for name, part, model in zip(names, parts, models):
        var = model.class_name.lower()
        examples = example_input_code(part, model)
        main += [
            f"    {var} = {model.class_name}()",
            f'    if "{name}" in state:',
            f'        {var}.load_state_dict(state["{name}"])',
            f"    {var}.eval()",
            *fit(f"output = {var}({', '.join(examples)})", "    "),
            *(["    for tensor in output:", "        print(tuple(tensor.shape))"] if len(model.output_names) > 1
              else ["    print(tuple(output.shape))"]),
        ]
    classes = "\n\n\n".join(m.class_source.rstrip() for m in models)
    return "\n".join(header) + classes + "\n" + "\n".join(main) + "\n"
