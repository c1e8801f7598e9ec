"""Before a tagging run: does the graph give one score per tag for every token?

A tagger reads ``(N, T)`` token ids and must return ``(N, T, tags)``. The usual
mistakes each get a sentence naming the node: an LSTM left on ``output: last`` (one
answer per sentence, no time axis), a final Linear of the wrong width, a LogSoftmax
over the time axis, an Embedding smaller than the vocabulary.
"""

from __future__ import annotations

from ..core.document import GraphDocument
from ..core.shapes import ShapeReport
from ..core.tokens import smallest_vocabulary
from .config import TrainingConfig
from .datasets import DataSet

TAGGING_LOSSES = ("auto", "cross_entropy", "nll")  # per-token class losses that skip padded positions


def _upstream(doc: GraphDocument, node_id: str) -> list[str]:
    """``node_id`` and every node it depends on, nearest first."""
    order, seen, stack = [], {node_id}, [node_id]
    while stack:
        current = stack.pop(0)
        order.append(current)
        for edge in doc.in_edges(current):
            if edge.source not in seen:
                seen.add(edge.source)
                stack.append(edge.source)
    return order


def _no_time_axis_hint(doc: GraphDocument, producer: str) -> str:
    for node_id in _upstream(doc, producer):
        node = doc.nodes[node_id]
        if node.params.get("output") == "last":
            return f"{node.type} '{node_id}' gives only its last step: set its output to sequence"
    return "keep the time axis from the Input to the output (no Flatten or pooling over time)"


class TaggingProblem(ValueError):
    """Why a graph cannot tag the data; ``node_id`` names the node to fix (``prepare``
    turns it into its ``TrainingError``)."""

    def __init__(self, message: str, node_id: str | None = None):
        super().__init__(message)
        self.node_id = node_id


def check_tagging_graph(doc: GraphDocument, report: ShapeReport, ds: DataSet, config: TrainingConfig,
                        input_id: str) -> None:
    """Refuse a graph that cannot tag ``ds``'s tokens, saying why and what to change."""
    params = doc.nodes[input_id].params
    if len(params["shape"]) != 1 or params["dtype"] != "int64":
        raise TaggingProblem(f"Input '{input_id}' must take int64 token ids of shape (T) for {ds.name} (T is an "
                            f"example sentence length; any length trains), got {params['dtype']} "
                            f"{tuple(params['shape'])}", input_id)
    if len(report.outputs) != 1:
        raise TaggingProblem(f"training needs exactly one model output; this graph returns {len(report.outputs)} "
                            f"({', '.join(report.outputs)})")
    output = report.outputs[0]
    ends = doc.spec_for(doc.nodes[output].type).is_output and doc.in_edges(output)
    producer = doc.in_edges(output)[0].source if ends else output
    label = f"{doc.nodes[producer].type} '{producer}'"
    got = report.value_type(output).shape
    length, n = params["shape"][0], ds.num_classes
    if len(got) != 2 or got[0] != length:
        raise TaggingProblem(f"{label} outputs (N, {', '.join(map(str, got))}) but tagging needs a score per tag "
                            f"for every token, (N, T, {n}), and this output has no time axis: "
                            f"{_no_time_axis_hint(doc, producer)}", producer)
    if got[1] != n:
        hint = f"set its out_features to {n}" if doc.nodes[producer].type == "Linear" else \
            f"end the graph with a Linear of out_features {n}"
        if doc.nodes[producer].type in ("LogSoftmax", "Softmax"):
            hint = f"give the Linear before it out_features {n}"
        raise TaggingProblem(f"{label} outputs (N, T, {got[1]}) but {ds.name} has {n} tags: {hint}", producer)
    loss = config.loss.name
    if loss not in TAGGING_LOSSES:
        raise TaggingProblem(f"training.loss.name: {loss} is not a per-token loss; a tagger trains with "
                            "cross_entropy (on scores) or nll (after LogSoftmax)")
    node = doc.nodes[producer]
    if loss == "nll" and node.type != "LogSoftmax":
        raise TaggingProblem("the nll loss expects log-probabilities: end the graph with LogSoftmax, "
                            "or use cross_entropy", producer)
    if node.type in ("LogSoftmax", "Softmax") and node.params.get("dim") not in (-1, 2):
        raise TaggingProblem(f"{label} normalises dimension {node.params.get('dim')} of (N, T, tags): set its dim "
                            "to -1 so that each token's tag scores sum to one", producer)
    weights = config.loss.class_weights
    if weights is not None and len(weights) != n:
        raise TaggingProblem(f"training.loss.class_weights: {len(weights)} weights for {n} tags")
    words = len(ds.vocabulary or ())
    room = smallest_vocabulary(doc, input_id)
    if words > room:
        lookup = next((e.target for e in doc.out_edges(input_id)), input_id)
        raise TaggingProblem(f"the vocabulary of {ds.name} has {words} words (with <pad> and <unk>) but "
                            f"{doc.nodes[lookup].type} '{lookup}' holds {room}: set its num_embeddings to "
                            f"at least {words}", lookup)
