"""Several networks in one document: cut one out by its Output's id, frame them apart."""

from pathlib import Path

import pytest

from netbuilder.core.codegen import generate
from netbuilder.core.fileformat import load_graph
from netbuilder.core.networks import NetworkError, network, network_groups, output_ids
from netbuilder.core.shapes import infer_shapes

GAN = Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"


def test_a_network_is_its_output_and_everything_it_depends_on():
    doc = load_graph(GAN)
    assert output_ids(doc) == ["generator", "discriminator"]
    generator = network(doc, "generator")
    assert generator.name == "generator"
    assert list(generator.nodes) == ["z", "g_fc1", "g_act", "g_fc2", "g_tanh", "generator"]
    assert len(generator.edges) == 5
    assert [t.text() for t in infer_shapes(generator).output_types()] == ["(N, 64)"]
    assert "class Generator" in generate(generator).class_source
    assert network(doc, "discriminator").training == doc.training


def test_a_network_is_a_copy_and_leaves_the_document_alone():
    doc = load_graph(GAN)
    part = network(doc, "discriminator")
    part.set_param("d_fc1", "out_features", 8)
    assert doc.nodes["d_fc1"].params["out_features"] == 256


def test_asking_for_a_network_no_output_names_says_which_there_are():
    with pytest.raises(NetworkError, match="'generator', 'discriminator'"):
        network(load_graph(GAN), "g_fc1")


def test_groups_only_when_several_disconnected_networks():
    doc = load_graph(GAN)
    groups = network_groups(doc)
    assert list(groups) == ["generator", "discriminator"]
    assert groups["discriminator"][0] == "image"
    single = network(doc, "generator")
    assert network_groups(single) == {}
    joined = doc.copy()  # the two outputs now share a node: one connected part, no frames
    from netbuilder.core.document import Edge

    joined.disconnect(next(e for e in joined.edges if e.target == "d_fc1"))
    joined.connect(Edge("g_tanh", "d_fc1"))
    joined.remove_node("image")
    assert network_groups(joined) == {}
