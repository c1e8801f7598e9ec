"""``import_module``: a PyTorch module as a graph, one node per layer or with its submodules as blocks.

The one entry that ``netbuilder import``, the Import dialog and ``nb.import_module`` use:
:mod:`.fx_import` does the flat import, :mod:`.block_import` the one in blocks (which
builds on the flat import's steps, so it is chosen here rather than inside it).
"""

from __future__ import annotations

from torch import nn

from .block_import import import_blocks
from .fx_import import _KEEP_UNSUPPORTED, _REWRITE, ImportedModel, _check_float32, _examples
from .fx_import import import_module as import_flat
from .structure import flatten_examples


def import_module(module: nn.Module, example_inputs, keep_unsupported: bool = False,
                  blocks: bool = False) -> ImportedModel:
    """Trace ``module`` on ``example_inputs`` (a tensor or a tuple, batch first)
    and return it as a netbuilder graph with its weights.

    With ``blocks``, each user submodule class (and each ``nn.Sequential``)
    becomes a block and the weights keep the module's own ``state_dict`` keys;
    without, every layer is a node of one flat graph. Raises
    :class:`~.errors.UnsupportedModelError` listing every operation netbuilder
    cannot represent (with its source line), or :class:`~.errors.TraceError`
    when torch.fx cannot trace the code.
    """
    flat, structure = flatten_examples(example_inputs)
    nested = any(shape is not None for shape in structure)
    if not blocks or nested:
        imported = import_flat(module, example_inputs, keep_unsupported)
        if blocks:
            imported.notes.insert(0, "forward takes a tuple of tensors, which the import in blocks does not "
                                     "follow yet: imported as one flat graph")
        return imported
    inputs = _examples(flat)
    _check_float32(module)
    return import_blocks(module, inputs, _KEEP_UNSUPPORTED if keep_unsupported else _REWRITE)
