"""The rooms of the gallery store, each one concern of :class:`deepssh_gui.search.gallery.Gallery`.

- ``tables``: file names, the SQL schema, row dataclasses, hashing helpers;
- ``paths``: where stored paths may point (the gallery and its recorded source folders);
- ``writer``: the single-writer lock, batches of new items, finalising derived files;
- ``derived``: the FAISS index and column files derived from the database, their digests and loading;
- ``auditlog``: the hash-chained audit log inside the database;
- ``metadata``: reads of item rows, sources, filters and stored probabilities;
- ``rejected``: crops the person filter kept out of the index, for review and restore.

Each room is a mixin over the same state (``root``, ``conn``, ``info``, ``layout``); the
``Gallery`` class in ``search/gallery.py`` composes them and opens and creates galleries.
"""
