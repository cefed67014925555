"""Files derived from a gallery's database: the FAISS index, attribute columns, quantised logits.

Each is written atomically after the database, which records its SHA-256; a stale, damaged or
unrecorded one is rebuilt from the database, and the rebuild is said in ``repairs``.
"""

from __future__ import annotations

import io
import os
import sqlite3

import numpy as np

from ...common.atomic import atomic_write_bytes
from ...model.decoder import AttributeColumns
from .tables import CODES_NAME, INDEX_NAME, IVF_NPROBE, LOGITS_NAME, SEGMENTS_NAME, GalleryError, sha256_file


class DerivedRoom:
    """Loads (or rebuilds) the index and column files and keeps them in step with the database."""

    def _ivf_default(self, n: int) -> bool:
        """Whether ``n`` items get an IVF index when the caller does not say (the Gallery decides)."""
        raise NotImplementedError

    def generation(self) -> str:
        """The build generation: every committed batch of items increments it (one indexed lookup)."""
        row = self.conn.execute("SELECT value FROM info WHERE key = 'generation'").fetchone()
        return row[0] if row else "0"

    def refresh_if_changed(self) -> bool:
        """Drop the loaded index and columns when another process added items since; True if so.

        The next search then loads (or rebuilds) them for what the database holds now, and its
        audit row records that state: an engine never searches an older gallery than it logs.
        """
        gen = self.generation()
        if gen == self._generation:
            return False
        self._codes = self._segments = self._index = self._logits = None
        self._generation = gen
        return True

    def state(self) -> str:
        """A short description of the gallery's content: item count and build generation."""
        return f"{len(self)} items, build generation {self.generation()}"

    def _read_codes(self) -> np.ndarray:
        n = len(self)
        buf = b"".join(r[0] for r in self.conn.execute(f"SELECT code FROM {self.item_rows} ORDER BY id"))
        return np.frombuffer(buf, dtype=np.uint8).reshape(n, self.layout.nbytes).copy()

    def _write_derived(self, codes: np.ndarray, ivf: bool | None = None) -> None:
        index = build_binary_index(codes, self.layout.nbits, ivf=self._ivf_default(len(codes)) if ivf is None else ivf)
        if not is_flat(index):
            # an IVF index scatters codes into lists: keep them in row order for masked queries
            buf = io.BytesIO()
            np.save(buf, codes)
            atomic_write_bytes(self.root / CODES_NAME, buf.getvalue())
        import faiss

        # FAISS writes the file itself (no second copy in memory); rename makes it atomic
        final = self.root / INDEX_NAME
        tmp = final.with_name(f".{INDEX_NAME}.{os.getpid()}.tmp")
        try:
            faiss.write_index_binary(index, str(tmp))
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        seg = AttributeColumns.from_codes(codes.reshape(-1, self.layout.nbytes), self.layout).columns
        buf = io.BytesIO()
        np.save(buf, seg)
        atomic_write_bytes(self.root / SEGMENTS_NAME, buf.getvalue())
        self._record_digests([INDEX_NAME, SEGMENTS_NAME] + ([] if is_flat(index) else [CODES_NAME]))
        self._index, self._segments, self._codes = index, seg, (None if is_flat(index) else codes)

    # Derived files are checked against SHA-256 digests kept in the database (the source of
    # truth): a flipped byte or a damaged header means "rebuild from the database", said in
    # `repairs`, never a silently different ranking and never a traceback.

    def _record_digests(self, names: list[str]) -> None:
        digests = {f"digest:{n}": sha256_file(self.root / n) for n in names}
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)", list(digests.items()))
        self.info.update(digests)

    def _check_digest(self, name: str) -> None:
        """Raise ValueError unless ``name`` matches the digest recorded when it was written."""
        want = self.conn.execute("SELECT value FROM info WHERE key = ?", (f"digest:{name}",)).fetchone()
        if want is None:
            raise ValueError(f"{name} has no recorded checksum (written by an older version)")
        if sha256_file(self.root / name) != want[0]:
            raise ValueError(f"{name} does not match its recorded checksum")

    def _note_repair(self, what: str, exc: BaseException) -> None:
        """Say why derived files are rebuilt, unless they were merely missing or out of date."""
        if "stale" not in str(exc) and not isinstance(exc, FileNotFoundError):
            self.repairs.append(f"the gallery's {what} were rebuilt from its database: {exc}")

    def load(self) -> None:
        """Load the index and attribute segments, rebuilding them if stale or missing."""
        import faiss

        n = len(self)
        try:
            for name in (INDEX_NAME, SEGMENTS_NAME):
                self._check_digest(name)
            index = faiss.read_index_binary(str(self.root / INDEX_NAME))
            seg = np.load(self.root / SEGMENTS_NAME, allow_pickle=False)
            if not is_flat(index):
                index.nprobe = IVF_NPROBE
                self._check_digest(CODES_NAME)
                self._codes = np.load(self.root / CODES_NAME, allow_pickle=False)
                if self._codes.shape != (n, self.layout.nbytes):
                    raise ValueError("stale")
            if index.ntotal != n or seg.shape != (self.layout.n_attr_bytes, n) or index.d != self.layout.nbits:
                raise ValueError("stale")
        except (OSError, ValueError, RuntimeError) as exc:
            self._note_repair("index files", exc)
            codes = self._read_codes()
            if not self.read_only:
                try:
                    self._write_derived(codes)
                    return
                except (OSError, RuntimeError, sqlite3.Error) as exc:  # a full disk (FAISS: RuntimeError)
                    self.repairs.append(f"the rebuilt index files could not be saved ({str(exc).splitlines()[0]}); "
                                        f"this session searches a copy in memory")
            # cannot write the derived files: build them in memory only
            index = build_binary_index(codes, self.layout.nbits)
            seg = AttributeColumns.from_codes(codes, self.layout).columns
        self._index, self._segments = index, seg

    @property
    def index(self):
        if self._index is None:
            self.load()
        return self._index

    @property
    def attr_columns(self) -> AttributeColumns:
        """The attribute bytes of every item, column-major (see :class:`AttributeColumns`)."""
        if self._segments is None:
            self.load()
        return AttributeColumns(self._segments, self.layout)

    @property
    def codes(self) -> np.ndarray:
        """``uint8 (N, nbytes)``: a read-only view of the codes inside the FAISS index (no copy)."""
        if self._codes is None:
            import faiss

            idx = self.index
            n = idx.ntotal
            if n and not is_flat(idx):
                self._codes = self._read_codes()
            elif n:
                view = faiss.rev_swig_ptr(idx.xb.data(), n * self.layout.nbytes).reshape(n, self.layout.nbytes)
                view.flags.writeable = False
                self._codes = view
            else:
                self._codes = np.zeros((0, self.layout.nbytes), np.uint8)
        return self._codes

    def _read_logits(self) -> np.ndarray:
        from ...model.calibration import logit_columns_from_blobs

        n, a = len(self), self.layout.n_attrs
        blobs = [r[0] for r in self.conn.execute(f"SELECT attr_scores FROM {self.item_rows} ORDER BY id")]
        try:
            if len(blobs) != n:  # ids are dense: fewer rows than MAX(id) + 1 is a deleted row
                raise ValueError(f"it holds {len(blobs)} item rows for {n} ids")
            return logit_columns_from_blobs(blobs, a)
        except ValueError as exc:
            raise GalleryError(f"gallery {str(self.root)!r}: {exc}; the database was edited or damaged") from None

    def _write_logits(self) -> np.ndarray:
        q = self._read_logits()
        buf = io.BytesIO()
        np.save(buf, q)
        atomic_write_bytes(self.root / LOGITS_NAME, buf.getvalue())
        self._record_digests([LOGITS_NAME])
        return q

    @property
    def attr_logits(self) -> np.ndarray | None:
        """``uint8 (A, N)`` quantised calibrated logits, column-major; None in a gallery without
        probabilities. Rebuilt from the database when missing or stale."""
        if not self.has_probabilities:
            return None
        if self._logits is None:
            shape = (self.layout.n_attrs, len(self))
            try:
                self._check_digest(LOGITS_NAME)
                q = np.load(self.root / LOGITS_NAME, allow_pickle=False)
                if q.shape != shape or q.dtype != np.uint8:
                    raise ValueError("stale")
            except (OSError, ValueError) as exc:
                self._note_repair("attribute probabilities", exc)
                q = None
                if not self.read_only:
                    try:
                        q = self._write_logits()
                    except (OSError, sqlite3.Error) as exc:  # a full disk: search from memory, and say so
                        self.repairs.append(f"the rebuilt attribute probabilities could not be saved "
                                            f"({str(exc).splitlines()[0]}); this session uses a copy in memory")
                if q is None:
                    q = self._read_logits()
            self._logits = q
        return self._logits


def is_flat(index) -> bool:
    import faiss

    return isinstance(index, faiss.IndexBinaryFlat)


def build_binary_index(codes: np.ndarray, nbits: int, ivf: bool = False):
    """IndexBinaryFlat (exact), or IndexBinaryIVF for huge galleries (docs/gallery.md, "IVF for huge galleries").

    The IVF index has ``sqrt(N) / 4`` lists (559 at 5M codes; with ``IVF_NPROBE`` = 128 a query
    scans about 23% of the gallery, less as it grows), trained with 10 k-means iterations on
    40 codes per list.
    Codes are assigned to their nearest centroid with FAISS's popcount kernel in blocks, which
    is ~15x faster than ``IndexBinaryIVF.add``'s own assignment on this machine.
    """
    import faiss

    if not ivf:
        index = faiss.IndexBinaryFlat(nbits)
        if len(codes):
            index.add(codes)
        return index
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    n = len(codes)
    nlist = max(1, min(n, int(np.sqrt(n) / 4)))
    index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(nbits), nbits, nlist)
    index.cp.niter = 10
    rng = np.random.default_rng(0)
    index.train(codes[np.sort(rng.choice(n, min(n, 40 * nlist), replace=False))])
    index.nprobe = IVF_NPROBE
    quantizer = faiss.downcast_IndexBinary(index.quantizer)
    centroids = faiss.rev_swig_ptr(quantizer.xb.data(), nlist * (nbits // 8)).copy().reshape(nlist, -1)
    lists = nearest_centroids(codes, centroids)
    index.add_core(n, faiss.swig_ptr(codes), None, faiss.swig_ptr(lists))
    return index


def nearest_centroids(codes: np.ndarray, centroids: np.ndarray, block: int = 16384) -> np.ndarray:
    """``int64 (N,)``: for each code ``uint8 (N, nbytes)`` the index of its nearest centroid
    ``uint8 (C, nbytes)`` in Hamming distance, the lowest index on ties."""
    import faiss

    out = np.empty(len(codes), np.int64)
    dist = np.empty((min(block, len(codes)), len(centroids)), np.int32)
    c = np.ascontiguousarray(centroids, dtype=np.uint8)
    for s in range(0, len(codes), block):
        b = np.ascontiguousarray(codes[s:s + block])
        faiss.hammings(faiss.swig_ptr(b), faiss.swig_ptr(c), len(b), len(c), c.shape[1], faiss.swig_ptr(dist))
        out[s:s + len(b)] = dist[:len(b)].argmin(axis=1)
    return out
