"""Before a GAN trains: find its two networks, check they fit each other and the data.

Each check says, in one sentence a beginner can act on, what differs and where
(``the generator makes (64,) but the discriminator 'image' takes (1, 8, 8)``), and
carries the node to point at. The engine, the CLI and the script export all start
from :func:`plan_gan`, so they refuse the same things with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from ..core.document import GraphDocument
from ..core.networks import NetworkError, network, output_ids
from ..core.shapes import infer_shapes
from .config import GanConfig, TrainingConfig
from .datasets import DataSet
from .prepare import TrainingError, load_dataset

OUTPUT_RANGES = {"Tanh": (-1.0, 1.0), "Sigmoid": (0.0, 1.0)}  # the last layer of a generator -> its range


@dataclass
class GanPlan:
    """What a GAN run needs to know about its graph and data."""

    generator: GraphDocument
    discriminator: GraphDocument
    latent_size: int
    output_range: tuple[float, float] | None  # the generator's, where its last layer fixes it
    probabilities: bool  # the discriminator ends in a Sigmoid (BCE), else logits (bce_with_logits)
    data: DataSet
    real: np.ndarray  # float32 (n, *discriminator input), scaled to output_range
    image_shape: tuple[int, int, int] | None  # (C, H, W) of one sample, for the sample grid

    def describe(self) -> dict:
        return {"name": self.data.name, "task": "gan", "kind": self.data.kind,
                "input_shape": list(self.real.shape[1:]), "class_names": [], "train_size": len(self.real),
                "val_size": 0, "latent_size": self.latent_size,
                "image_shape": list(self.image_shape) if self.image_shape else None}


def _last_layer(doc: GraphDocument, output_id: str) -> tuple[str | None, str | None]:
    edges = doc.in_edges(output_id)
    if not edges:
        return None, None
    source = edges[0].source
    return source, doc.nodes[source].type


def _one_input(part: GraphDocument, role: str) -> tuple[str, tuple]:
    inputs = [n for n, node in part.nodes.items() if part.spec_for(node.type).is_input]
    if len(inputs) != 1:
        raise TrainingError(f"the {role} '{part.name}' needs exactly one Input node; it has {len(inputs)}",
                            part.name)
    return inputs[0], tuple(part.nodes[inputs[0]].params["shape"])


def _no_network(doc: GraphDocument, name: str, role: str) -> str:
    names = ", ".join(map(repr, output_ids(doc))) or "none"
    return f"training.gan.{role}: there is no Output node {name!r} to be the {role} (the Output nodes here: {names})"


def _latent_mismatch(latent_size: int, z_id: str, latent: int) -> str:
    return (f"training.gan.latent_size is {latent_size} but the generator's Input '{z_id}' takes {latent} values: "
            "make them the same (or leave latent_size empty)")


@dataclass(frozen=True)
class SettingProblem:
    """A GAN setting that does not fit the graph: ``field`` is its path under ``training``."""

    field: str
    message: str
    node_id: str | None = None


def setting_problems(doc: GraphDocument, gan: GanConfig) -> list[SettingProblem]:
    """The GAN settings that name what the graph lacks: a role naming no Output node, a
    latent size other than the generator Input's. Cheap (no data, no shape inference), so
    the training form checks every edit with it; :func:`plan_gan` refuses the same, in the
    same words."""
    problems = []
    names = output_ids(doc)
    for role in ("generator", "discriminator"):
        if getattr(gan, role) not in names:
            problems.append(SettingProblem(f"gan.{role}", _no_network(doc, getattr(gan, role), role)))
    if gan.latent_size is not None and gan.generator in names:
        part = network(doc, gan.generator)
        inputs = [n for n, node in part.nodes.items() if part.spec_for(node.type).is_input]
        shape = tuple(part.nodes[inputs[0]].params["shape"]) if len(inputs) == 1 else ()
        if len(shape) == 1 and shape[0] != gan.latent_size:
            problems.append(SettingProblem("gan.latent_size", _latent_mismatch(gan.latent_size, inputs[0], shape[0]),
                                           inputs[0]))
    return problems


def _network(doc: GraphDocument, name: str, role: str) -> GraphDocument:
    try:
        part = network(doc, name)
    except NetworkError:
        raise TrainingError(_no_network(doc, name, role)) from None
    report = infer_shapes(part)
    if report.errors:
        first = report.errors[0]
        raise TrainingError(f"the {role} has errors; fix them first: {first.message}", first.node_id)
    return part


def image_shape_of(shape: tuple) -> tuple[int, int, int] | None:
    """How one sample is drawn: ``(C, H, W)`` images, ``(H, W)`` grey, or a square vector."""
    if len(shape) == 3 and shape[0] in (1, 3):
        return tuple(shape)
    if len(shape) == 2:
        return (1, *shape)
    side = int(round(prod(shape) ** 0.5))
    return (1, side, side) if side * side == prod(shape) else None


def plan_gan(doc: GraphDocument, config: TrainingConfig, base_dir: str | Path | None = None,
             data: DataSet | None = None) -> GanPlan:
    """Check the GAN settings against the graph and the data; raises :class:`TrainingError`."""
    gan = config.gan
    generator = _network(doc, gan.generator, "generator")
    discriminator = _network(doc, gan.discriminator, "discriminator")
    shared = set(generator.nodes) & set(discriminator.nodes)
    if shared:
        raise TrainingError(f"the generator and the discriminator share node {sorted(shared)[0]!r}: draw them "
                            "as two separate networks", sorted(shared)[0])
    z_id, z_shape = _one_input(generator, "generator")
    if len(z_shape) != 1:
        raise TrainingError(f"the generator's Input '{z_id}' is {z_shape}: the noise is one vector per sample, "
                            "so give it a shape like (100,)", z_id)
    latent = z_shape[0]
    if gan.latent_size is not None and gan.latent_size != latent:
        raise TrainingError(_latent_mismatch(gan.latent_size, z_id, latent), z_id)
    g_report, d_report = infer_shapes(generator), infer_shapes(discriminator)
    made = g_report.nodes[gan.generator].outputs[0].shape
    x_id, x_shape = _one_input(discriminator, "discriminator")
    if tuple(made) != x_shape:
        raise TrainingError(f"the generator makes {tuple(made)} per sample but the discriminator's Input "
                            f"'{x_id}' takes {x_shape}: make the generator's last layer produce {x_shape}", x_id)
    judged = d_report.nodes[gan.discriminator].outputs[0].shape
    if prod(judged) != 1:
        raise TrainingError(f"the discriminator returns {tuple(judged)} per sample; it must return one score "
                            "(end it with Linear(…, 1), and a Sigmoid or nothing)", gan.discriminator)
    data = data if data is not None else load_dataset(config, base_dir)
    if prod(data.input_shape) != prod(x_shape) or data.dtype != "float32":
        raise TrainingError(f"the real samples of {data.name} are {data.input_shape} ({prod(data.input_shape)} "
                            f"values) but the discriminator's Input '{x_id}' takes {x_shape} ({prod(x_shape)}): "
                            "resize the images or change the networks' sizes", x_id)
    _, g_last = _last_layer(generator, gan.generator)
    _, d_last = _last_layer(discriminator, gan.discriminator)
    output_range = OUTPUT_RANGES.get(g_last)
    scaled = data.x.astype(np.float32).reshape(len(data.x), *x_shape)
    if output_range is not None and data.kind == "image":  # pixels in [0, 1]
        low, high = output_range
        scaled = scaled * (high - low) + low
    return GanPlan(generator, discriminator, latent, output_range, d_last == "Sigmoid", data, scaled,
                   image_shape_of(data.input_shape))
