"""Evaluation: re-id protocols, metrics, baselines, plots and benchmarks."""
