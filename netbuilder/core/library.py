"""Block definitions as part of a document: how node types resolve, and the block edits.

A block definition is itself a :class:`~netbuilder.core.document.GraphDocument`
whose Input and Output nodes are its ports (Blender's node groups). The top
document holds every definition in ``blocks`` (one flat namespace, as in the
file); each definition's ``library`` is that top document, so an instance
anywhere resolves its type through :meth:`BlockScope.spec_for`, the one path
every module that has a document uses.

An edit inside a definition is announced on the top document (and every
other definition) as a ``BLOCKS_CHANGED`` change carrying the edit, so views
and shape inference of every instance follow.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from .blockparams import repeat_spec, validate_in_scope
from .errors import EditError, ParamError
from .layers import Emit, LayerSpec, Role, TokenIds, call_module, get_spec, has_spec
from .params import ParamSpec
from .records import Change, ChangeKind, Edge
from .search_space import renamed_block

BLOCK_CATEGORY = "Blocks"


@dataclass(frozen=True)
class BlockSpec(LayerSpec):
    """The type of a block instance, synthesised from its definition.

    Its params are the block's declared parameters (plus ``repeat`` on a block
    with one input and one output); its input ports are the definition's Input
    nodes in document order, its outputs the Output nodes (labelled by id).
    """

    block: str = ""  # the definition's name (== ``type``)
    input_ids: tuple[str, ...] = ()
    output_ids: tuple[str, ...] = ()

    @property
    def repeatable(self) -> bool:
        return len(self.input_ids) == 1 and len(self.output_ids) == 1

    @property
    def has_state(self) -> bool:
        return True  # a submodule attribute, named after the instance


def _call_block(e: Emit) -> list[str]:
    target = ", ".join(e.outs) if len(e.outs) > 1 else e.outs[0]
    return [f"{target} = {e.mod}({', '.join(e.ins)})"]


def block_spec(definition) -> BlockSpec:
    """The :class:`BlockSpec` of ``definition`` as it is now."""
    inputs = tuple(n.id for n in definition.nodes.values() if has_spec(n.type) and get_spec(n.type).is_input)
    outputs = tuple(n.id for n in definition.nodes.values() if has_spec(n.type) and get_spec(n.type).is_output)
    params: tuple[ParamSpec, ...] = tuple(definition.parameters.values())
    if len(inputs) == 1 and len(outputs) == 1:
        params += (repeat_spec(),)
    return BlockSpec(
        definition.name, BLOCK_CATEGORY, definition.doc or f"The block {definition.name}.", params,
        min_inputs=len(inputs), max_inputs=len(inputs), outputs=outputs or ("out",), input_names=inputs,
        emit=_call_block, role=Role.LAYER, token_ids=TokenIds.PASSED,
        block=definition.name, input_ids=inputs, output_ids=outputs,
    )


def sequence_of(definition) -> list[str] | None:
    """The inner node ids of a *sequence* block, else None.

    A sequence block is one chain ``Input → "0" → "1" → … → Output`` of modules
    that each take and return one tensor: the code makes it an ``nn.Sequential``
    where it is used, so its ``state_dict`` keys are ``layer2.0.conv1.weight``,
    as a hand-written ``_make_layer`` gives (and torch.fx imports).
    """
    nodes = definition.nodes
    roles = {n: definition.spec_for(node.type) for n, node in nodes.items()}
    inputs = [n for n, spec in roles.items() if spec.is_input]
    outputs = [n for n, spec in roles.items() if spec.is_output]
    chain = [str(i) for i in range(len(nodes) - 2)]
    if len(inputs) != 1 or len(outputs) != 1 or not chain or set(chain) != nodes.keys() - {*inputs, *outputs}:
        return None
    for node_id in chain:
        spec = roles[node_id]
        plain = spec.torch_class is not None and spec.creates is None and spec.emit is call_module
        if not (plain or (isinstance(spec, BlockSpec) and spec.repeatable)):
            return None
    path = [inputs[0], *chain, outputs[0]]
    wanted = {Edge(a, b) for a, b in zip(path, path[1:])}
    return chain if set(definition.edges) == wanted and len(definition.edges) == len(wanted) else None


_CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9_]*")


def check_block_name(name: Any) -> str:
    """``name`` if it can name a block (a CamelCase Python class name that is no layer type)."""
    if not isinstance(name, str) or not _CLASS_NAME.fullmatch(name) or keyword.iskeyword(name):
        raise EditError(f"{name!r} cannot name a block: use a Python class name starting with a capital "
                        "letter (BasicBlock)")
    if has_spec(name):
        raise EditError(f"{name!r} cannot name a block: it is a layer type")
    return name


def snake_case(name: str) -> str:
    """``BasicBlock`` → ``basic_block``: the stem of an instance's default id."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class BlockScope:
    """The block side of :class:`GraphDocument` (a mixin: the document sets the attributes).

    - ``blocks``: name → definition (only the top document's is used);
    - ``parameters``: a definition's declared parameters, name → :class:`ParamSpec`;
    - ``doc``: a definition's one-line description;
    - ``library``: the top document (itself for the top document).
    """

    blocks: dict
    parameters: dict[str, ParamSpec]
    doc: str
    library: Any
    training: dict  # the document's training settings (GraphDocument)

    def _init_blocks(self) -> None:
        self.blocks = {}
        self.parameters = {}
        self.doc = ""
        self.library = self
        self._specs: dict[str, LayerSpec] = {}  # type name → spec, see spec_for
        self.block_cache: dict = {}  # shape evaluations of instances, see netbuilder.core.block_shapes

    # -- resolving types ----------------------------------------------------
    def spec_for(self, type_name: str) -> LayerSpec:
        """The spec of ``type_name``: a block of the library, else a registered layer type.

        Answered from the library's cache (one dict lookup: inference asks it for every
        node several times per refresh); a block's entry is dropped when it changes.
        """
        try:
            return self.library._specs[type_name]
        except KeyError:
            library = self.library
            definition = library.blocks.get(type_name)
            spec = get_spec(type_name) if definition is None else block_spec(definition)
            library._specs[type_name] = spec
            return spec

    def has_type(self, type_name: str) -> bool:
        return type_name in self.library.blocks or has_spec(type_name)

    def is_block(self, type_name: str) -> bool:
        return type_name in self.library.blocks

    @property
    def is_definition(self) -> bool:
        return self.library is not self

    def owner_text(self) -> str:
        return f"block {self.name}" if self.is_definition else "the graph (only blocks declare parameters)"

    def validate_node_params(self, type_name: str, params: Any, path: str = "params", strict: bool = False,
                             node_id: str | None = None) -> dict:
        """A node's params validated as :meth:`LayerSpec.validate_params` does, ``"$name"``
        references checked against this document's declared parameters."""
        return validate_in_scope(self.spec_for(type_name), params, self.parameters, self.owner_text(), path,
                                 strict, node_id)

    def definitions(self) -> list:
        """This document and every definition of its library (each once)."""
        library = self.library
        return [library, *library.blocks.values()]

    # -- announcing ---------------------------------------------------------
    def _definition_changed(self, name: str, change: Change) -> None:
        """Called on the library when definition ``name`` announced ``change``."""
        if change.kind != ChangeKind.MOVED:
            self.block_cache.clear()
            self._specs.pop(name, None)
        self._announce(Change(ChangeKind.BLOCKS_CHANGED, (name,), inner=change))

    def _announce(self, change: Change) -> None:
        """Tell the listeners of the library and of every definition."""
        for document in self.definitions():
            document._notify(change)

    def _blocks_changed(self, *names: str) -> None:
        self.block_cache.clear()
        self._specs.clear()
        self._announce(Change(ChangeKind.BLOCKS_CHANGED, tuple(names)))

    # -- queries ------------------------------------------------------------
    def blocks_used_by(self, name: str) -> set[str]:
        """The blocks whose instances the definition ``name`` holds, directly or not."""
        library, found, todo = self.library, set(), [name]
        while todo:
            for node in library.blocks[todo.pop()].nodes.values():
                if node.type in library.blocks and node.type not in found:
                    found.add(node.type)
                    todo.append(node.type)
        return found

    def check_instance(self, type_name: str) -> None:
        """Refuse an instance of ``type_name`` in this definition if a block would then contain
        itself (:class:`EditError` naming the chain: ``BasicBlock → Inner → BasicBlock``)."""
        library = self.library
        if not self.is_definition or type_name not in library.blocks:
            return
        name = next((k for k, v in library.blocks.items() if v is self), None)
        chain = self._chain_to(name, type_name) if name is not None else None
        if chain is None:
            return
        shown = " → ".join([name, *chain])
        if type_name == name:
            raise EditError(f"block {name} cannot contain an instance of itself ({shown})")
        raise EditError(f"block {name} cannot hold a {type_name}: {type_name} contains {name}, "
                        f"so {name} would contain itself ({shown})")

    def cycle_through(self, name: str, definition) -> list[str] | None:
        """The chain ``name → … → name`` if ``definition`` taking that name would contain itself."""
        for node in definition.nodes.values():
            found = self._chain_to(name, node.type)
            if found is not None:
                return [name, *found]
        return None

    def _chain_to(self, name: str, start: str) -> list[str] | None:
        """The blocks ``start → … → name`` through which an instance of ``start`` holds ``name``."""
        library = self.library

        def path_to(start: str, seen: set[str]) -> list[str] | None:
            if start == name:
                return [name]
            if start in seen or start not in library.blocks:
                return None
            seen.add(start)
            for node in library.blocks[start].nodes.values():
                found = path_to(node.type, seen)
                if found is not None:
                    return [start, *found]
            return None

        return path_to(start, set())

    def instances_of(self, name: str) -> list[str]:
        """Addresses of every node that instances block ``name``: ``stage1`` at the top,
        ``Outer/inner`` inside another definition."""
        library = self.library
        found = [n.id for n in library.nodes.values() if n.type == name]
        for block, definition in library.blocks.items():
            found += [f"{block}/{n.id}" for n in definition.nodes.values() if n.type == name]
        return found

    def new_definition(self, name: str, parameters: dict[str, ParamSpec] | None = None, doc: str = ""):
        """An empty definition for a block ``name`` of this library, to fill (its instances of
        other blocks resolve already) and then define with :meth:`add_block`."""
        definition = type(self)(name)
        definition.library = self.library
        definition.parameters = dict(parameters or {})
        definition.doc = doc
        return definition

    # -- block edits (on the library; each returns what its undo needs) -----
    def add_block(self, name: str, definition, index: int | None = None) -> None:
        """Define block ``name`` as ``definition`` (taken over, not copied), at
        ``index`` in the file's order (default last). Undo: :meth:`remove_block`."""
        library = self.library
        check_block_name(name)
        if name in library.blocks:
            raise EditError(f"a block named {name!r} already exists")
        self._check_definition(name, definition)
        definition.name, definition.library = name, library
        items = list(library.blocks.items())
        items.insert(len(items) if index is None else index, (name, definition))
        library.blocks = dict(items)
        library._blocks_changed(name)

    def remove_block(self, name: str) -> tuple[Any, int]:
        """Forget block ``name`` (refused while an instance uses it); returns its
        definition and position, for :meth:`add_block` to undo."""
        library = self.library
        definition = self.block(name)
        users = library.instances_of(name)
        if users:
            raise EditError(f"block {name!r} is used by {len(users)} instance(s): {', '.join(users[:5])}")
        index = list(library.blocks).index(name)
        del library.blocks[name]
        definition.library = definition
        library._blocks_changed(name)
        return definition, index

    def set_block(self, name: str, definition):
        """Replace the definition of block ``name``; returns the old one (undo: set it back).

        Refused if an instance's wires or parameters would not fit the new one."""
        library = self.library
        old = self.block(name)
        self._check_definition(name, definition)
        new_spec = block_spec(_named(definition, name))
        for address in library.instances_of(name):
            container, node = self._locate(address)
            _check_instance_fits(container, node, new_spec, address)
        definition.name, definition.library = name, library
        library.blocks = {k: (definition if k == name else v) for k, v in library.blocks.items()}
        old.library = old
        library._blocks_changed(name)
        return old

    def set_block_parameters(self, name: str, parameters: dict[str, ParamSpec],
                             instance_params: dict[str, dict] | None = None) -> tuple[dict, dict[str, dict]]:
        """Declare ``parameters`` for block ``name`` (added, removed, new defaults or bounds).

        Instances drop the parameters that are gone and take the default of new
        ones; refused, naming the node, if an inner node refers to a parameter
        no longer declared or whose default its field would not accept. Returns
        ``(old parameters, {instance address: old params})``: undo calls this again
        with them (``instance_params`` puts each instance's params back as they were).
        """
        library = self.library
        definition = self.block(name)
        for node in definition.nodes.values():
            try:
                validate_in_scope(definition.spec_for(node.type), node.params, parameters, f"block {name}",
                                  f"{name}/{node.id}", node_id=node.id)
            except ParamError as err:
                raise EditError(str(err)) from None
        old = dict(definition.parameters)
        saved: dict[str, dict] = {}
        definition.parameters = dict(parameters)
        library._specs.pop(name, None)
        spec = self.spec_for(name)
        for address in library.instances_of(name):
            _, node = self._locate(address)
            saved[address] = dict(node.params)
            if instance_params is not None and address in instance_params:
                node.params = dict(instance_params[address])
            else:
                kept = {k: v for k, v in node.params.items() if spec.param(k) is not None}
                node.params = {p.name: kept.get(p.name, p.default) for p in spec.params}
        library._blocks_changed(name)
        return old, saved

    def rename_block(self, old: str, new: str) -> None:
        """Rename block ``old`` and every instance's type, in one step (undo: rename back)."""
        library = self.library
        definition = self.block(old)
        check_block_name(new)
        if new in library.blocks:
            raise EditError(f"a block named {new!r} already exists")
        for document in self.definitions():
            for node in document.nodes.values():
                if node.type == old:
                    node.type = new
        definition.name = new
        library.blocks = {(new if k == old else k): v for k, v in library.blocks.items()}
        library.search = renamed_block(library.search, old, new)
        for node_id in definition.nodes:
            library.rename_frozen(f"{old}/{node_id}", f"{new}/{node_id}")
        library._blocks_changed(old, new)

    def rename_frozen(self, old: str, new: str) -> None:
        """A ``Block/node`` entry of the training settings' freeze list renamed (see core/freeze.py)."""
        freeze = (self.training or {}).get("freeze")
        if isinstance(freeze, list) and old in freeze:
            self.training["freeze"] = [new if entry == old else entry for entry in freeze]

    def block(self, name: str):
        """The definition of block ``name``, or :class:`EditError`."""
        try:
            return self.library.blocks[name]
        except KeyError:
            raise EditError(f"no block named {name!r}") from None

    def _locate(self, address: str):
        library = self.library
        if "/" in address:
            block, node_id = address.split("/", 1)
            return library.blocks[block], library.blocks[block].nodes[node_id]
        return library, library.nodes[address]

    def _check_definition(self, name: str, definition) -> None:
        cycle = self.cycle_through(name, definition)
        if cycle is not None:
            raise EditError(f"block {name} would contain itself: {' → '.join(cycle)}")
        unknown = sorted({n.type for n in definition.nodes.values() if not self.has_type(n.type)})
        if unknown:
            raise EditError(f"block {name} uses unknown layer types or blocks: {', '.join(unknown)}")
        check_ports_declared(_named(definition, name))


def _named(definition, name: str):
    """``definition`` seen under ``name`` (its spec's type) without changing it."""
    if definition.name == name:
        return definition
    twin = definition.copy()
    twin.name = name
    return twin


def check_ports_declared(definition) -> None:
    """A definition needs an Input node and an Output node: they are its ports."""
    spec = block_spec(definition)
    if not spec.input_ids:
        raise EditError(f"block {definition.name} has no Input node: add one for each input port")
    if not spec.output_ids:
        raise EditError(f"block {definition.name} has no Output node: add one for each output port")


def _check_instance_fits(container, node, spec: BlockSpec, address: str) -> None:
    for edge in container.in_edges(node.id):
        if edge.target_port >= len(spec.input_ids):
            raise EditError(f"{address}: input {edge.target_port + 1} is wired but block {spec.type} would have "
                            f"{len(spec.input_ids)} input(s)")
    for edge in container.out_edges(node.id):
        if edge.source_port >= len(spec.output_ids):
            raise EditError(f"{address}: output {edge.source_port + 1} is wired but block {spec.type} would have "
                            f"{len(spec.output_ids)} output(s)")
    known = {p.name for p in spec.params}
    extra = sorted(set(node.params) - known)
    if extra:
        raise EditError(f"{address}: sets {', '.join(extra)}, which block {spec.type} would not declare")
