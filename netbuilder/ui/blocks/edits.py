"""The block edits of the graph on show, one undo step each.

Mixed into :class:`~.scope.ScopeEditor`, beside the ordinary edits it has
from :class:`~netbuilder.ui.editor.Editor`. Each checks first and raises
:class:`~netbuilder.core.errors.EditError` (or ``ParamError``) with a
message for the status bar or the inspector, changing nothing; then pushes
one command (a macro where it takes several).
"""

from __future__ import annotations

from ...core import blocks
from ...core.blockparams import declared_spec, reference
from ...core.document import Node
from ...core.errors import EditError, NetbuilderError
from ...core.library import check_block_name
from ..commands import MoveNodesCommand
from .commands import PlanCommand, RenameBlockCommand, SetBlockCommand


class BlockEdits:
    """Group, ungroup, make unique, declare parameters (on ``self.doc``, the graph on show)."""

    # -- names --------------------------------------------------------------
    def instance_count(self, block: str) -> int:
        return len(self.top.doc.instances_of(block))

    def check_block_name(self, name: str) -> str | None:
        """Why ``name`` cannot name a new block, or None."""
        try:
            check_block_name(name)
        except EditError as err:
            return str(err)
        if name in self.top.doc.blocks:
            return f"a block named {name!r} already exists"
        return None

    def fresh_block_name(self, stem: str = "Block") -> str:
        """``stem`` if free, else ``stem2``, ``stem3``…"""
        taken, n = self.top.doc.blocks, 2
        if stem not in taken and self.check_block_name(stem) is None:
            return stem
        while f"{stem}{n}" in taken:
            n += 1
        return f"{stem}{n}"

    # -- structure ------------------------------------------------------------
    def check_holds(self, types) -> None:
        """Refuse an instance of a block that would make the block on show contain itself
        (the document refuses it too; asking first keeps a paste or a drop from starting)."""
        for layer_type in types:
            self.doc.check_instance(layer_type)

    def paste(self, fragment: dict, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        """Paste, bringing the blocks the nodes use that the document lacks (copied from
        another window), in the same undo step."""
        types = {raw.get("type") for raw in fragment.get("nodes", []) if isinstance(raw, dict)}
        plan = blocks.plan_fragment_blocks(self.top.doc, fragment)
        if not plan.add_blocks:
            self.check_holds(types)
            return super().paste(fragment, offset)
        self.undo_stack.beginMacro(f"Paste {len(types)} node types")
        try:
            self.push(PlanCommand(self.top.doc, plan, "Bring the pasted blocks"))
            self.check_holds(types)
            made = super().paste(fragment, offset)
        except NetbuilderError:
            self.undo_stack.endMacro()
            self.undo_stack.undo()  # the blocks brought for it
            raise
        self.undo_stack.endMacro()
        return made

    def add_node(self, layer_type: str, pos: tuple[float, float], params: dict | None = None,
                 node_id: str | None = None) -> str:
        """Add a layer or an instance; a library block the document lacks comes in
        with it (and the blocks it uses), in the same undo step."""
        self.check_holds([layer_type])
        entry = None if self.doc.has_type(layer_type) else self.library.find(layer_type)
        if entry is None:
            return super().add_node(layer_type, pos, params, node_id)
        plan = self.library.plan(self.top.doc, layer_type)
        self.undo_stack.beginMacro(f"Add {layer_type}")
        try:
            self.push(PlanCommand(self.top.doc, plan, f"Bring {layer_type} from the library"))
            node = super().add_node(layer_type, pos, params, node_id)
        except NetbuilderError:
            self.undo_stack.endMacro()
            self.undo_stack.undo()  # the block brought in for it
            raise
        self.undo_stack.endMacro()
        return node

    def check_group(self, node_ids: list[str]) -> str | None:
        """Why ``node_ids`` cannot be grouped (an Input among them, no wire in), or None."""
        try:
            blocks.group(self.doc, node_ids, self.fresh_block_name(), self.report if self.core_loaded else None)
        except EditError as err:
            return str(err)
        return None

    def group(self, node_ids: list[str], name: str) -> str:
        """Turn ``node_ids`` into one instance of a new block ``name``; its id."""
        plan = blocks.group(self.doc, node_ids, name, self.report if self.core_loaded else None)
        self.push(PlanCommand(self.doc, plan, f"Group {len(node_ids)} nodes into {name}"))
        self.selectRequested.emit([plan.instance])
        return plan.instance

    def ungroup(self, node_id: str) -> list[str]:
        """Put instance ``node_id``'s inside in its place (a repeated one's copies, with the nodes
        to its right moved over to make room, in the same undo step); the new nodes' ids."""
        repeated = self.doc.node(node_id).params.get("repeat", 1) > 1
        plan = blocks.ungroup(self.doc, node_id)
        made = [node.id for node, _ in plan.add_nodes]
        x = self.doc.nodes[node_id].pos[0]
        room = max(node.pos[0] for node, _ in plan.add_nodes) - x if repeated else 0.0
        moves = {n.id: (n.pos, (n.pos[0] + room, n.pos[1])) for n in self.doc.nodes.values()
                 if room > 0 and n.pos[0] > x and n.id != node_id}
        self.undo_stack.beginMacro(f"Ungroup {node_id}")
        self.push(PlanCommand(self.doc, plan, f"Ungroup {node_id}"))
        if moves:
            self.push(MoveNodesCommand(self.doc, moves, "Make room", merge=False))
        self.undo_stack.endMacro()
        self.selectRequested.emit(made)
        return made

    def make_unique(self, node_id: str) -> str:
        """Give instance ``node_id`` a copy of its block of its own; the copy's name."""
        block = self.doc.node(node_id).type
        name = self.fresh_block_name(block)
        plan = blocks.make_unique(self.doc, node_id, name)
        self.push(PlanCommand(self.doc, plan, f"Make {node_id} unique ({name})"))
        self.selectRequested.emit([node_id])
        return name

    # -- the block on show ------------------------------------------------------
    def rename_block(self, new: str) -> None:
        """Rename the block on show (and every instance's type)."""
        old = self.doc.name
        new = new.strip()
        if new == old:
            return
        problem = self.check_block_name(new)
        if problem:
            raise EditError(problem)
        self.push(RenameBlockCommand(self.doc, old, new))

    def declare_parameters(self, declared: list[tuple[str | None, str, dict]], description: str) -> None:
        """Set the shown block's parameters: (name it had or None, name, declaration) each.

        A renamed parameter keeps its references inside and its value on every
        instance; inner fields that referred to a removed one take its default.
        """
        definition = self.doc
        if not definition.is_definition:
            raise EditError("only a block declares parameters: open one first")
        block = definition.name
        specs, renames = {}, {}
        for old, name, form in declared:
            if name in specs:
                raise EditError(f"two parameters are named {name!r}")
            specs[name] = declared_spec(name, form, f"parameters.{name}")
            if old is not None and old != name:
                renames[old] = name
        removed = {n: p.default for n, p in definition.parameters.items() if n not in renames and n not in specs}
        if dict(specs) == dict(definition.parameters) and description == definition.doc:
            return
        new = definition.copy()
        new.parameters, new.doc = specs, description
        for node in new.nodes.values():
            for key, value in node.params.items():
                name = reference(value)
                if name in renames:
                    node.params[key] = f"${renames[name]}"
                elif name in removed:
                    node.params[key] = removed[name]
        changed = set(renames) | set(removed)
        before = {address: dict(node.params) for address, node in self._instances(block)}
        self.undo_stack.beginMacro(f"Parameters of {block}")
        try:  # an instance's params must fit its block: off before, the renamed ones back after
            self._rewrite_instances(block, lambda address, params: {
                k: v for k, v in params.items() if k not in changed})
            self.push(SetBlockCommand(definition, block, new, f"Parameters of {block}"))
            self._rewrite_instances(block, lambda address, params: {
                **params, **{renames[k]: v for k, v in before[address].items() if k in renames}})
        except NetbuilderError:
            self.undo_stack.endMacro()
            self.undo_stack.undo()  # what was done of it
            raise
        self.undo_stack.endMacro()

    def _instances(self, block: str):
        """(address, node) of every instance of ``block``, wherever it is."""
        for address in self.top.doc.instances_of(block):
            container, _, node_id = address.rpartition("/")
            yield address, self._container(container or None).nodes[node_id]

    def _rewrite_instances(self, block: str, rewrite) -> None:
        """Give every instance of ``block`` the params ``rewrite(address, params)`` returns
        (a node's params change only with its node: each is put back anew, wires and all)."""
        for address, node in list(self._instances(block)):
            params = rewrite(address, dict(node.params))
            if params == node.params:
                continue
            container, _, node_id = address.rpartition("/")
            doc = self._container(container or None)
            plan = blocks.Plan(remove_nodes=[node_id])
            plan.add_nodes = [(Node(node.id, node.type, params, node.pos), doc.node_index(node_id))]
            plan.add_edges = [(e, i) for i, e in enumerate(doc.edges) if node_id in (e.source, e.target)]
            self.push(PlanCommand(doc, plan, f"Update {node_id}"))

    def _container(self, block: str | None):
        return self.top.doc if block is None else self.top.doc.blocks[block]
