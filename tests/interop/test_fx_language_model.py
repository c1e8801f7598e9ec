"""The sequence-first LSTM language model (``models/language_model.py``), as PyTorch's example writes it.

netbuilder's graphs keep the batch first, and its Input and Output nodes cannot yet take or
give (T, N) tokens and (layers, N, hidden) states, so this model cannot come in yet (issue 9):
the refusal must say why and what to do, and the strict xfail below turns into a failure the
day it imports, to be made a plain test.
"""

from pathlib import Path

import pytest
import torch

from netbuilder import NetbuilderError, import_module
from netbuilder.interop.structure import flat_results
from netbuilder.interop.userfile import instantiate, run_file

MODELS = Path(__file__).parent / "models"


def _model_and_example():
    torch.manual_seed(0)
    module = instantiate(run_file(MODELS / "language_model.py"), "RNNModel").eval()
    tokens = torch.randint(0, module.ntoken, (7, 3))
    hidden = tuple(torch.randn(2, 3, module.nhid) for _ in range(2))
    return module, (tokens, hidden)


def test_the_refusal_says_the_inputs_are_sequence_first_and_what_to_import_instead():
    module, example = _model_and_example()
    with pytest.raises(NetbuilderError, match="look sequence-first") as caught:
        import_module(module, example)
    assert "batch_first=True" in str(caught.value)


@pytest.mark.xfail(strict=True, reason="issue 9: sequence-first inputs and outputs are not representable "
                                       "yet (an Input's and Output's batch position)")
def test_the_language_model_imports_with_its_hidden_state():
    module, example = _model_and_example()
    with torch.no_grad():
        expected = flat_results(module(*example))
    imported = import_module(module, example)
    with torch.no_grad():
        got = flat_results(imported.build().eval()(example[0], *example[1]))
    for a, b in zip(expected, got, strict=True):
        assert ((a - b).abs().max() / a.abs().max()).item() <= 1e-5
