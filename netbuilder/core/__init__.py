"""The Qt-free core: graph document, layer library, shape inference, compiler, code export."""
