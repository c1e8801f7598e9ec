"""Grouping nodes into a block and back, as plain plans an undo command applies.

:func:`group`, :func:`ungroup` and :func:`make_unique` change nothing: they
return a :class:`Plan` (blocks to define, nodes and edges to remove and add).
:func:`apply` carries a plan out through the document's own mutations and
returns the inverse plan, so an undo command is "apply the plan; on undo,
apply what it returned" and holds only plain data, never Qt items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .blockparams import REPEAT, resolve
from .document import Edge, GraphDocument, Node
from .errors import EditError
from .library import check_block_name, snake_case
from .records import fresh_id

_COPY_SPACING = 240.0  # between the copies a repeated instance expands into
_GAP = 220.0  # how far the new Input/Output nodes sit left/right of the grouped nodes


@dataclass
class Plan:
    """An edit of ``doc`` (and of its library's blocks), applied in this order:
    define ``add_blocks``, remove ``remove_edges``, remove ``remove_nodes`` (with
    their edges), add ``add_nodes`` then ``add_edges`` (each at its index in the
    document order, ``None`` last), forget ``remove_blocks``."""

    add_blocks: list[tuple[str, GraphDocument, int | None]] = field(default_factory=list)
    remove_edges: list[Edge] = field(default_factory=list)
    remove_nodes: list[str] = field(default_factory=list)
    add_nodes: list[tuple[Node, int | None]] = field(default_factory=list)
    add_edges: list[tuple[Edge, int | None]] = field(default_factory=list)
    remove_blocks: list[str] = field(default_factory=list)
    instance: str | None = None  # the node the plan is about (the new instance, for a group)


def apply(doc: GraphDocument, plan: Plan) -> Plan:
    """Carry ``plan`` out on ``doc``; returns the plan that undoes it."""
    undo = Plan(instance=plan.instance)
    for name, definition, index in plan.add_blocks:
        doc.add_block(name, definition.copy(), index)
        undo.remove_blocks.insert(0, name)
    removed_edges: list[tuple[int, Edge]] = []
    for edge in plan.remove_edges:
        removed_edges.append((doc.edges.index(edge), edge))
        doc.disconnect(edge)
    removed_nodes: list[tuple[int, Node]] = []
    for node_id in plan.remove_nodes:
        index = doc.node_index(node_id)
        for edge in [e for e in doc.edges if node_id in (e.source, e.target)]:
            removed_edges.append((doc.edges.index(edge), edge))
            doc.disconnect(edge)
        node, _ = doc.remove_node(node_id)
        removed_nodes.append((index, node))
    for node, index in plan.add_nodes:
        doc.restore_node(node, index)
        undo.remove_nodes.insert(0, node.id)
    for edge, index in plan.add_edges:
        doc.connect(edge, index)
        undo.remove_edges.insert(0, edge)
    for name in plan.remove_blocks:
        definition, index = doc.remove_block(name)
        undo.add_blocks.insert(0, (name, definition, index))
    undo.add_nodes = [(node, index) for index, node in reversed(removed_nodes)]
    undo.add_edges = [(edge, index) for index, edge in reversed(removed_edges)]
    return undo


# -- group ----------------------------------------------------------------------
def group(doc: GraphDocument, node_ids, block_name: str, report=None) -> Plan:
    """The plan turning ``node_ids`` into one instance of a new block ``block_name``.

    The block gets an input port for each value that enters the selection
    (one per source, however many nodes read it) and an output port for each
    value that leaves it; its Input nodes take the example shapes of those
    values (``report``: the document's shape report, inferred if not given).
    """
    chosen = [n for n in doc.nodes if n in set(node_ids)]
    missing = sorted(set(node_ids) - set(chosen))
    if missing:
        raise EditError(f"no node with id {missing[0]!r}")
    if not chosen:
        raise EditError("select the nodes to group into a block")
    check_block_name(block_name)
    if block_name in doc.library.blocks:
        raise EditError(f"a block named {block_name!r} already exists")
    for node_id in chosen:
        spec = doc.spec_for(doc.nodes[node_id].type)
        if spec.is_input or spec.is_output:
            raise EditError(f"{doc.nodes[node_id].type} '{node_id}' cannot go into a block: a block's Inputs and "
                            "Outputs are its ports, made from the wires that enter and leave it")
    inside = set(chosen)
    entering = [e for e in doc.edges if e.target in inside and e.source not in inside]
    leaving = [e for e in doc.edges if e.source in inside and e.target not in inside]
    sources = list(dict.fromkeys((e.source, e.source_port) for e in entering))
    results = list(dict.fromkeys((e.source, e.source_port) for e in leaving))
    if report is None:
        from .shapes import infer_shapes

        report = infer_shapes(doc)

    definition = GraphDocument(block_name)
    xs = [doc.nodes[n].pos[0] for n in chosen]
    ys = [doc.nodes[n].pos[1] for n in chosen]
    taken = set(chosen)
    port_in: dict[tuple[str, int], str] = {}
    for i, (source, port) in enumerate(sources):
        wanted = "x" if len(sources) == 1 else (source if not port else f"{source}_{port}")
        port_in[(source, port)] = input_id = fresh_id(wanted, taken)
        taken.add(input_id)
        value = report.value_type(source, port)
        params = {"shape": list(value.shape), "dtype": value.dtype} if value is not None else {}
        definition.nodes[input_id] = Node(input_id, "Input", doc.spec_for("Input").validate_params(params),
                                          (min(xs) - _GAP, ys[0] + 120.0 * i))
    for node_id in chosen:
        definition.nodes[node_id] = doc.nodes[node_id].__deepcopy__({})
    port_out: dict[tuple[str, int], int] = {}
    output_ids = []
    for j, (source, port) in enumerate(results):
        wanted = "out" if len(results) == 1 else f"{source}_out" if not port else f"{source}_{port}_out"
        output_id = fresh_id(wanted, taken)
        taken.add(output_id)
        port_out[(source, port)] = j
        output_ids.append(output_id)
        definition.nodes[output_id] = Node(output_id, "Output", {}, (max(xs) + _GAP, ys[0] + 120.0 * j))
    definition.edges = (
        [Edge(port_in[(e.source, e.source_port)], e.target, 0, e.target_port) for e in entering]
        + [e for e in doc.edges if e.source in inside and e.target in inside]
        + [Edge(source, output_ids[j], port, 0) for (source, port), j in port_out.items()]
    )
    if not sources:
        raise EditError("no wire enters the selection: a block needs an input")
    if not results:
        raise EditError("no wire leaves the selection: a block needs an output")

    instance_id = doc.unique_id(snake_case(block_name))
    if instance_id in inside:  # its id is free once the grouped nodes are gone
        instance_id = fresh_id(instance_id, set(doc.nodes) - inside)
    center = (sum(xs) / len(xs), sum(ys) / len(ys))
    first = min(doc.node_index(n) for n in chosen)
    instance = Node(instance_id, block_name, {}, center)
    plan = Plan(add_blocks=[(block_name, definition, None)], remove_nodes=chosen, instance=instance_id)
    plan.add_nodes = [(instance, first)]
    order = {e: i for i, e in enumerate(doc.edges)}
    rewired = [(Edge(e.source, instance_id, e.source_port, sources.index((e.source, e.source_port))), order[e])
               for e in entering]
    rewired = list({edge: index for edge, index in rewired}.items())
    rewired += [(Edge(instance_id, e.target, port_out[(e.source, e.source_port)], e.target_port), order[e])
                for e in leaving]
    plan.add_edges = [(edge, None) for edge, _ in sorted(rewired, key=lambda pair: pair[1])]
    plan.instance = instance_id
    _fill_instance_params(doc, plan, definition)
    return plan


def _fill_instance_params(doc: GraphDocument, plan: Plan, definition: GraphDocument) -> None:
    """The instance's params as ``add_node`` would store them: its block's defaults."""
    node, index = plan.add_nodes[0]
    params = {name: p.default for name, p in definition.parameters.items()}
    if len(_ports(definition, "is_input")) == 1 and len(_ports(definition, "is_output")) == 1:
        params[REPEAT] = 1
    plan.add_nodes[0] = (Node(node.id, node.type, params, node.pos), index)


def _ports(definition: GraphDocument, role: str) -> list[str]:
    return [n for n, node in definition.nodes.items() if getattr(definition.spec_for(node.type), role)]


# -- ungroup ----------------------------------------------------------------------
def ungroup(doc: GraphDocument, instance_id: str) -> Plan:
    """The plan replacing block instance ``instance_id`` by the nodes of its
    definition (with the instance's parameter values in place of ``"$name"``).

    The definition stays in the library. A repeated instance (``× N``, an
    ``nn.Sequential`` of copies) becomes its N copies, chained: instances with
    repeat 1, the first keeping its id (:func:`expand_repeat`).
    """
    node = doc.node(instance_id)
    if not doc.is_block(node.type):
        raise EditError(f"{node.type} '{instance_id}' is not a block instance")
    definition = doc.library.blocks[node.type]
    if node.params.get(REPEAT, 1) != 1:
        return expand_repeat(doc, instance_id)
    args = {name: node.params.get(name, p.default) for name, p in definition.parameters.items()}
    inputs, outputs = _ports(definition, "is_input"), _ports(definition, "is_output")
    inner = [n for n in definition.nodes if n not in inputs and n not in outputs]
    taken = set(doc.nodes) - {instance_id}
    renamed: dict[str, str] = {}
    for node_id in inner:
        renamed[node_id] = fresh_id(node_id, taken)
        taken.add(renamed[node_id])
    xs = [definition.nodes[n].pos[0] for n in inner] or [0.0]
    ys = [definition.nodes[n].pos[1] for n in inner] or [0.0]
    dx, dy = node.pos[0] - sum(xs) / len(xs), node.pos[1] - sum(ys) / len(ys)
    index = doc.node_index(instance_id)
    plan = Plan(remove_nodes=[instance_id])
    for offset, node_id in enumerate(inner):
        original = definition.nodes[node_id]
        params = resolve(original.params, args)
        if params != original.params:  # references replaced: validated and normalised as any node is
            params = doc.validate_node_params(original.type, params, node_id=renamed[node_id])
        plan.add_nodes.append((Node(renamed[node_id], original.type, params,
                                    (original.pos[0] + dx, original.pos[1] + dy)), index + offset))
    feeders = {e.target_port: (e.source, e.source_port) for e in doc.in_edges(instance_id)}

    def outside_source(source: str, port: int):
        """Where a value inside comes from once the instance is gone."""
        if source in inputs:
            return feeders.get(inputs.index(source))
        return renamed[source], port

    edges: list[Edge] = []
    for e in definition.edges:
        if e.target in outputs:
            continue
        found = outside_source(e.source, e.source_port)
        if found is not None:
            edges.append(Edge(found[0], renamed[e.target], found[1], e.target_port))
    fed_outputs = {e.target: (e.source, e.source_port) for e in definition.edges if e.target in outputs}
    for e in doc.out_edges(instance_id):
        inner_source = fed_outputs.get(outputs[e.source_port])
        found = outside_source(*inner_source) if inner_source is not None else None
        if found is not None:
            edges.append(Edge(found[0], e.target, found[1], e.target_port))
    plan.add_edges = [(edge, None) for edge in edges]
    return plan


def expand_repeat(doc: GraphDocument, instance_id: str) -> Plan:
    """The plan replacing ``name × N`` by N instances of ``name`` wired one after another
    (``encoder``, ``encoder_2``…, side by side): what the repeat stood for, one step less nested."""
    node = doc.node(instance_id)
    count = node.params[REPEAT]
    params = doc.validate_node_params(node.type, {k: v for k, v in node.params.items() if k != REPEAT},
                                      node_id=instance_id)
    taken = set(doc.nodes) - {instance_id}
    ids = []
    for _ in range(count):
        ids.append(fresh_id(instance_id, taken))
        taken.add(ids[-1])
    index = doc.node_index(instance_id)
    plan = Plan(remove_nodes=[instance_id], instance=ids[0])
    for i, copy_id in enumerate(ids):
        pos = (node.pos[0] + i * _COPY_SPACING, node.pos[1])
        plan.add_nodes.append((Node(copy_id, node.type, dict(params), pos), index + i))
    edges = [Edge(e.source, ids[0], e.source_port, e.target_port) for e in doc.in_edges(instance_id)]
    edges += [Edge(a, b) for a, b in zip(ids, ids[1:])]
    edges += [Edge(ids[-1], e.target, e.source_port, e.target_port) for e in doc.out_edges(instance_id)]
    plan.add_edges = [(edge, None) for edge in edges]
    return plan


# -- make unique, instances ----------------------------------------------------
def make_unique(doc: GraphDocument, instance_id: str, new_name: str) -> Plan:
    """The plan giving instance ``instance_id`` its own copy of its definition, named ``new_name``."""
    node = doc.node(instance_id)
    if not doc.is_block(node.type):
        raise EditError(f"{node.type} '{instance_id}' is not a block instance")
    check_block_name(new_name)
    if new_name in doc.library.blocks:
        raise EditError(f"a block named {new_name!r} already exists")
    blocks = list(doc.library.blocks)
    plan = Plan(add_blocks=[(new_name, doc.library.blocks[node.type], blocks.index(node.type) + 1)],
                remove_nodes=[instance_id], instance=instance_id)
    plan.add_nodes = [(Node(node.id, new_name, dict(node.params), node.pos), doc.node_index(instance_id))]
    plan.add_edges = [(e, i) for i, e in enumerate(doc.edges) if instance_id in (e.source, e.target)]
    return plan


def plan_fragment_blocks(doc: GraphDocument, fragment: dict) -> Plan:
    """The plan defining, in ``doc``'s library, the blocks a pasted ``fragment`` uses and
    ``doc`` lacks (run it before adding the pasted nodes). A block of the same name that
    differs is refused: the paste would silently change what it means."""
    from .fileformat import read_blocks  # the file's own reader, with its checks

    problems: list[str] = []
    source = GraphDocument("fragment")
    read_blocks(source, fragment.get("blocks", {}), problems)
    if problems:
        raise EditError("the pasted blocks are invalid: " + "; ".join(problems))
    plan = Plan()
    for name, theirs in source.blocks.items():  # read innermost first, kept in the fragment's order
        mine = doc.library.blocks.get(name)
        if mine is None:
            plan.add_blocks.append((name, theirs, None))
        elif mine.definition_dict() != theirs.definition_dict():
            raise EditError(f"the graph already has a different block named {name!r}: rename it to paste these "
                            "nodes")
    order = {name: i for i, name in enumerate(_innermost_first(source))}
    plan.add_blocks.sort(key=lambda item: order[item[0]])
    return plan


def _innermost_first(library: GraphDocument) -> list[str]:
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for node in library.blocks[name].nodes.values():
            if node.type in library.blocks:
                visit(node.type)
        order.append(name)

    for name in library.blocks:
        visit(name)
    return order


def instances_of(doc: GraphDocument, block_name: str) -> list[str]:
    """Every instance of ``block_name`` in ``doc``'s library: ``stage1``, ``Outer/inner``."""
    return doc.instances_of(block_name)
