"""Search: query language, ranking, gallery store with its audit log, and the engine facade.

Imports neither torch nor Qt.
"""
