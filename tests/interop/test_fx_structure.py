"""forward taking and returning tuples of tensors: ``forward(self, x, state)`` with ``state = (h, c)``.

The tuple argument becomes one Input per tensor (``state_0``, ``state_1``), a nested
result one Output per tensor in order; the import is built, exported, run standalone
and imported again, and every result equals the original's.
"""

import subprocess
import sys

import torch
from torch import nn

from netbuilder import import_module
from netbuilder.cli import main
from netbuilder.core.export import export_python
from netbuilder.interop.structure import flat_results
from netbuilder.interop.userfile import instantiate, run_file


class GatedState(nn.Module):
    """A step that reads a state pair and returns the new pair beside its output, as recurrent code does."""

    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(6, 6)
        self.out = nn.Linear(6, 3)

    def forward(self, x, state):
        h, c = state
        c = c * torch.sigmoid(self.gate(x + h))
        h = torch.tanh(c)
        return self.out(h), (h, c)


def _example():
    generator = torch.Generator().manual_seed(0)
    return torch.randn(2, 6, generator=generator), (torch.randn(2, 6, generator=generator),
                                                    torch.randn(2, 6, generator=generator))


def _same(expected, got) -> None:
    expected, got = flat_results(expected), flat_results(got)
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        assert a.shape == b.shape and ((a - b).abs().max() / a.abs().max()).item() <= 1e-5


def test_a_state_tuple_in_and_out_imports_exports_and_comes_back(tmp_path):
    torch.manual_seed(0)
    module = GatedState().eval()
    x, state = _example()
    with torch.no_grad():
        expected = module(x, state)
    imported = import_module(module, (x, state))
    doc = imported.document
    assert [i for i, n in doc.nodes.items() if n.type == "Input"] == ["x", "state_0", "state_1"]
    assert sum(n.type == "Output" for n in doc.nodes.values()) == 3
    with torch.no_grad():
        _same(expected, imported.build().eval()(x, *state))

    path = tmp_path / "exported.py"
    path.write_text(export_python(doc, class_name="Exported"), encoding="utf-8")
    torch.save(imported.state_dict, path.with_suffix(".pt"))
    run = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    exported = instantiate(run_file(path), "Exported")
    exported.load_state_dict(imported.state_dict)
    with torch.no_grad():
        _same(expected, exported.eval()(x, *state))
    again = import_module(exported, (x, *state))
    assert again.document.to_dict()["nodes"] == doc.to_dict()["nodes"]


def test_pieces_returned_whole_are_an_output_each():
    class Halves(nn.Module):
        def forward(self, x):
            return x.chunk(2, 1)

    doc = import_module(Halves(), torch.randn(2, 4)).document
    assert [n.type for n in doc.nodes.values()] == ["Input", "Chunk", "Output", "Output"]


def test_the_import_in_blocks_falls_back_to_flat_with_a_note():
    x, state = _example()
    imported = import_module(GatedState(), (x, state), blocks=True)
    assert not imported.document.blocks and "imported as one flat graph" in imported.notes[0]


def test_more_input_shapes_than_forward_arguments_make_its_last_argument_a_tuple(tmp_path, capsys):
    path = tmp_path / "stateful.py"
    path.write_text("from torch import nn\n\n\nclass Step(nn.Module):\n    def forward(self, x, state):\n"
                    "        h, c = state\n        return x + h, (h, c * x)\n")
    code = main(["import", f"{path}:Step", "--input-shape", "5", "--input-shape", "5", "--input-shape", "5",
                 "-o", str(tmp_path / "g.json")])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "outputs match the original module" in out and "Input ×3" in out and "Output ×3" in out
