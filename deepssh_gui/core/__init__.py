"""Headless core of DeepSSH. Imports no Qt, and no torch at package import time.

Modules that need torch (``model``, ``backbone``, ``checkpoint``, ``train``, ``encode``)
import it themselves, so ``import deepssh_gui.core`` stays fast.
"""
