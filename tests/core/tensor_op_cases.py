"""Cases of the tensor operations (``netbuilder.core.layers.tensor_ops`` and ``tensor_math``)
and of the broadcasting merges, in the format of ``test_torch_agreement.CASES``.

``TENSOR_OP_REFUSED`` are graphs inference refuses, each with the same
computation in plain torch, which must refuse it too.
"""

import torch
import torch.nn.functional as F

I64 = "int64"

TENSOR_OP_CASES = [
    ("Transpose", {"dim0": 1, "dim1": 2}, [[3, 5]]),
    ("Transpose", {"dim0": -1, "dim1": 1}, [[2, 3, 4]]),
    ("Squeeze", {"dim": 2}, [[3, 1, 4]]),
    ("Squeeze", {"dim": -1}, [([4, 1], I64)]),
    ("Unsqueeze", {"dim": 1}, [[3, 4]]),
    ("Unsqueeze", {"dim": -1}, [[3, 4]]),
    ("Expand", {"shape": [5, 4]}, [[1, 4]]),
    ("Expand", {"shape": [3, -1, 6]}, [[1, 2, 1]]),
    ("Repeat", {"repeats": [2, 1]}, [[3, 4]]),
    ("Repeat", {"repeats": [1, 3, 2]}, [[2, 3, 4]]),
    ("Mean", {"dim": [2, 3]}, [[3, 4, 5]]),
    ("Mean", {"dim": [1], "keepdim": True}, [[3, 4]]),
    ("Mean", {"dim": [-1]}, [[6]]),
    ("Sum", {"dim": [1]}, [[3, 4]]),
    ("Sum", {"dim": [-2, -1], "keepdim": True}, [[2, 3, 4]]),
    ("Amax", {"dim": [1]}, [[3, 4]]),
    ("Amax", {"dim": [2, 3], "keepdim": True}, [[3, 4, 5]]),
    ("Amin", {"dim": [-1]}, [[3, 4]]),
    ("Amin", {"dim": [1, 2]}, [[3, 4, 5]]),
    ("Select", {"dim": 1, "index": 0}, [[5, 8]]),
    ("Select", {"dim": -1, "index": -1}, [[2, 3, 4]]),
    ("Select", {"dim": 2, "index": 1}, [([3, 4], I64)]),
    ("Slice", {"dim": -1, "end": 3}, [[2, 8]]),
    ("Slice", {"dim": 1, "start": 1}, [[5, 8]]),
    ("Slice", {"dim": 2, "start": -4, "end": -1, "step": 2}, [[2, 6, 3]]),
    ("Chunk", {"chunks": 3, "dim": -1}, [[5, 12]]),
    ("Chunk", {"chunks": 2, "dim": 1}, [[5, 4]]),
    ("Chunk", {"chunks": 1}, [[4]]),
    ("Split", {"sizes": [2, 6], "dim": 1}, [[8, 3]]),
    ("Split", {"sizes": [1, 1, 2], "dim": -1}, [[2, 4]]),
    ("Stack", {"dim": 1}, [[3, 4], [3, 4]]),
    ("Stack", {"dim": -1}, [[3], [3], [3]]),
    ("Stack", {}, [[2, 2]]),
    ("Pad", {"padding": [1, 2]}, [[3, 5]]),
    ("Pad", {"padding": [1, 1, 2, 0], "mode": "reflect"}, [[3, 5, 5]]),
    ("Pad", {"padding": [-1, -1], "value": 1.5}, [[3, 5]]),
    ("Pad", {"padding": [2, 2, 1, 1], "mode": "replicate"}, [[2, 4, 4]]),
    ("MatMul", {}, [[5, 3], [3, 4]]),
    ("MatMul", {}, [[2, 5, 3], [1, 3, 6]]),
    ("ScaledDotProductAttention", {}, [[2, 5, 4], [2, 7, 4], [2, 7, 3]]),
    ("ScaledDotProductAttention", {"is_causal": True, "scale": 0.5}, [[5, 4], [5, 4], [5, 4]]),
    ("Scalar", {"op": "mul", "value": 0.5}, [[3, 4]]),
    ("Scalar", {"op": "rsub", "value": 1.0}, [[3]]),
    ("Scalar", {"op": "pow", "value": 2.0}, [[2, 3]]),
    ("Clamp", {"min": 0.0}, [[3, 4]]),
    ("Clamp", {"min": -1.0, "max": 1.0}, [[5]]),
    ("Where", {"compare": ">", "threshold": 0.0, "fill": 0.1}, [[3, 4]]),
    ("Where", {"compare": "==", "threshold": 0.0, "fill": -1e9}, [([1, 5], I64), [4, 5]]),
    *[(name, {}, shapes) for name in ("Exp", "Log", "Sqrt", "Rsqrt", "Abs", "Neg", "Reciprocal")
      for shapes in ([[3, 4]], [[5]])],
    ("Subtract", {}, [[3, 4], [3, 4]]),
    ("Subtract", {}, [[3, 1], [1, 4]]),
    ("Divide", {}, [[3, 4], [3, 4]]),
    ("Divide", {}, [[2, 3, 4], [2, 1, 1]]),
    ("Multiply", {}, [[4, 1, 1], [4, 5, 5]]),
    ("Add", {}, [[1, 6], [5, 6], [5, 1]]),
    ("Concat", {"dim": 1}, [[3, 4]]),
    ("DropPath", {}, [[3, 4, 4]]),
    ("DropPath", {"p": 0.5}, [[5]]),
]

TENSOR_OP_REFUSED = [
    ("Transpose", {"dim0": 1, "dim1": 3}, [[3, 4]], lambda: torch.randn(2, 3, 4).transpose(1, 3)),
    ("Unsqueeze", {"dim": 4}, [[3, 4]], lambda: torch.randn(2, 3, 4).unsqueeze(4)),
    ("Expand", {"shape": [5, 4]}, [[2, 4]], lambda: torch.randn(2, 2, 4).expand(-1, 5, 4)),
    ("Mean", {"dim": [3]}, [[3, 4]], lambda: torch.randn(2, 3, 4).mean(3)),
    ("Select", {"dim": 1, "index": 5}, [[5, 8]], lambda: torch.randn(2, 5, 8)[:, 5]),
    ("Split", {"sizes": [2, 2], "dim": 1}, [[5]], lambda: torch.randn(2, 5).split([2, 2], dim=1)),
    ("Stack", {"dim": 1}, [[3], [4]], lambda: torch.stack([torch.randn(2, 3), torch.randn(2, 4)], 1)),
    ("MatMul", {}, [[5, 3], [4, 3]], lambda: torch.randn(2, 5, 3) @ torch.randn(2, 4, 3)),
    ("ScaledDotProductAttention", {}, [[5, 4], [5, 3], [5, 3]],
     lambda: F.scaled_dot_product_attention(torch.randn(2, 5, 4), torch.randn(2, 5, 3), torch.randn(2, 5, 3))),
    ("Pad", {"padding": [3, 3], "mode": "reflect"}, [[2, 3]], lambda: F.pad(torch.randn(2, 2, 3), (3, 3), "reflect")),
    ("Multiply", {}, [[4, 2, 2], [4, 3, 3]], lambda: torch.randn(2, 4, 2, 2) * torch.randn(2, 4, 3, 3)),
    ("Subtract", {}, [[3, 4], [3]], lambda: torch.randn(2, 3, 4) - torch.randn(2, 3)),
]
