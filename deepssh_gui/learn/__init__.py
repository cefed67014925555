"""Learning (torch): backbone, network, datasets, sampler, training, checkpoints, ONNX export.

Only training, evaluation and the ``--engine torch`` path import this package.
"""
