"""DeepSSH forensic person search: structured binary hash codes for explainable re-identification."""

__version__ = "0.1.0"
