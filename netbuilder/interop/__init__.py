"""PyTorch interoperability: import ``nn.Module`` code as a graph, export ONNX.

Qt-free, like the core. :mod:`.fx_import` turns a traceable module into a
:class:`~netbuilder.core.document.GraphDocument` plus its weights;
:mod:`.onnx_export` writes a document as ONNX with a dynamic batch dimension.
"""
