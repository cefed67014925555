"""Ingest: folders of crops and video (detect, track, keep the best crops) into galleries.

Imports neither torch nor Qt.
"""
