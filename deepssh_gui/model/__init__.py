"""The runtime model: attribute schema, bit layout, decoder, model files and the ONNX encoder.

Imports neither torch nor Qt (``tests/unit/test_architecture.py`` enforces it).
"""
