"""DeepSSH forensic person search: structured binary hash codes for explainable re-identification."""

__version__ = "0.1.0"

from .common.threads import set_openmp_policy as _set_openmp_policy

_set_openmp_policy()  # before anything loads FAISS's OpenMP runtime (common/threads.py says why)
