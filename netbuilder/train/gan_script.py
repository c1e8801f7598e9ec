"""``export_gan_script``: one standalone GAN ``train.py`` that needs no netbuilder.

Assembled like :mod:`script` assembles the supervised one: the two network classes
from :func:`netbuilder.core.codegen.generate` (the classes the engine compiles), the
steps from :mod:`gan_recipe`, the loop from :mod:`gan_script_main`, the batching and
seeding from :mod:`recipe`, the process-group helpers from :mod:`script_main` and the
data loading from :mod:`script_data`, each copied as source text below one merged
block of imports. Only the settings are rendered, as a ``CONFIG`` dict at the top.
"""

from __future__ import annotations

from pathlib import Path

from ..core.codegen import generate, safe_text
from ..core.document import GraphDocument
from ..core.shapes import infer_shapes
from . import gan_recipe, gan_script_main, recipe, script_data, script_main
from .config import TrainingConfig
from .gan_plan import plan_gan
from .prepare import load_dataset
from .script import _data_call, _literal, _merge_imports, _resolve, _Source, export_training_script


def export_script(doc: GraphDocument, base_dir: str | Path | None = None) -> str:
    """The training script the settings' recipe asks for: a GAN's, or the supervised one."""
    if TrainingConfig.from_dict(doc.training).recipe == "gan":
        return export_gan_script(doc, base_dir)
    return export_training_script(doc, base_dir)


def export_gan_script(doc: GraphDocument, base_dir: str | Path | None = None) -> str:
    """Source of a runnable GAN training script for ``doc`` and its ``training`` settings.
    Raises what starting the run would (a ``TrainingError`` naming the node)."""
    config = TrainingConfig.from_dict(doc.training)
    ds = load_dataset(config, base_dir)
    plan = plan_gan(doc, config, base_dir, data=ds)
    generator = generate(plan.generator, report=infer_shapes(plan.generator))
    discriminator = generate(plan.discriminator, report=infer_shapes(plan.discriminator))
    settings = _settings(config, plan, base_dir)
    call, data_functions = _data_call(config, ds, base_dir)
    parts = [
        _Source(script_data).select(data_functions),
        _Source(recipe).select(["Batches", "seed_everything", "rng_state", "set_rng_state"]),
        _Source(gan_recipe).whole(),
        _Source(script_main).select(["pick_device", "start_distributed", "summed", "leave_distributed"]),
        _Source(gan_script_main).whole(),
    ]
    imports = _merge_imports([p.imports for p in parts] + [["import torch", "from torch import nn"]])
    imports = [line.replace("import torch.distributed.nn", "import torch.distributed.nn  # noqa: F401")
               if line == "import torch.distributed.nn" else line for line in imports]
    wrapper = (f"def load_data(config):\n    \"\"\"The configured data: {safe_text(ds.name)}.\"\"\"\n"
               f"    return {call}\n")
    sections = [
        _docstring(doc, config, ds, generator.class_name, discriminator.class_name),
        "\n".join(imports) + "\n\nCONFIG = " + _literal(settings),
        generator.class_source.rstrip(),
        discriminator.class_source.rstrip(),
        wrapper.rstrip(),
        *(p.text for p in parts if p.text),
        f'if __name__ == "__main__":\n    main(CONFIG, {generator.class_name}, {discriminator.class_name}, load_data)',
    ]
    return "\n\n\n".join(sections) + "\n"


def _settings(config: TrainingConfig, plan, base_dir) -> dict:
    gan = config.gan.__dict__.copy()
    for name in ("generator_optimizer", "discriminator_optimizer"):
        gan[name] = {"lr": gan[name].lr, "betas": list(gan[name].betas)}
    source = config.data.source
    if plan.data.name != source:  # a path: absolute, so the script runs from any folder
        source = str(_resolve(source, base_dir))
    return {"epochs": config.epochs, "batch_size": config.batch_size, "seed": config.seed, "device": config.device,
            "gan": gan, "latent_size": plan.latent_size,
            "output_range": list(plan.output_range) if plan.output_range else None,
            "probabilities": plan.probabilities, "real_shape": list(plan.real.shape[1:]),
            "image_shape": list(plan.image_shape or (1, 1, plan.real[0].size)),
            "data": {"source": source, "kind": plan.data.kind}}


def _docstring(doc: GraphDocument, config: TrainingConfig, ds, generator: str, discriminator: str) -> str:
    return f'''"""{safe_text(doc.name)}: a GAN training script exported by netbuilder.

Trains {generator} against {discriminator} on {safe_text(ds.name)} ({len(ds)} samples) for {config.epochs} epochs
with the non-saturating BCE loss and one Adam per network. Needs PyTorch and NumPy{_needs(ds)}; not netbuilder.

    python train.py                          # one process: CPU or one GPU
    torchrun --nproc_per_node 4 train.py     # data-parallel over 4 processes (DDP on both networks)
    python train.py --help                   # epochs, batch size, output folder...

Every epoch writes a grid of samples from one fixed noise batch to checkpoints/samples.png,
and last.pt (both networks and both optimizers). The settings are in CONFIG below; with the
same seed one CPU process gives the same losses as netbuilder.
"""'''


def _needs(ds) -> str:
    return ", scikit-learn" if ds.name == "digits" else ", Pillow" if ds.kind == "image" else ""
