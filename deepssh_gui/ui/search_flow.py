"""The main window's search flow: the query, the debounced search job, results and the details pane."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from ..search.engine import SearchRequest
from ..search.query import parse_query
from .plain import plain_tooltip
from .describe_dialog import DescribeDialog
from ..ingest.video import read_frame_rgb
from .results_model import HitRole, RankLabelRole


class SearchFlow:
    """From probe and attribute changes to results on screen (a mixin of :class:`MainWindow`)."""

    # ------------------------------------------------------------------ searching

    def _probe_changed(self) -> None:
        self.probe_code = None
        self.probe_hit = None
        self.multi_probe = None
        self.request_search()

    def _toggle_weak(self) -> None:
        self.results.set_show_weak(self.weak_action.isChecked())
        self._show_counts()

    def _show_counts(self) -> None:
        res = getattr(self, "last_result", None)
        if res is None or not res.hits:
            return
        n = self.results.strength_counts()
        hidden = "" if self.results.show_weak else " (weak hidden)"
        unknown = f", {n['unknown']} unknown" if n["unknown"] else ""
        self.status_query.setText(f"{res.mode}: {len(res.hits)} hits of {res.n_searched} in {self.last_search_ms:.0f} ms"
                                  f" · {n['likely']} likely, {n['weak']} weak{unknown}{hidden}")
        self.status_query.setToolTip(plain_tooltip(self.results.cut.describe()))

    def search_with_confirmed(self) -> None:
        """A multi-probe search: each item's photo distance is its distance to the nearest confirmed
        hit (plus the ticked attributes, if any); rejected hits are left out."""
        if not self.marked_codes:
            self.show_error("Confirm one or more hits first (key C on a hit).")
            return
        import numpy as np

        rejected = tuple(sorted(i for i, m in self.results.marks.items() if m == "rejected"))
        self.probe.clear()
        self.probe_code = None
        self.multi_probe_ids = sorted(self.marked_codes)  # named in the report as the probes
        self.multi_probe = (np.stack([self.marked_codes[i] for i in self.multi_probe_ids]), rejected)
        self.request_search()

    def clear_query(self) -> None:
        self.probe.clear()
        self.attributes.clear()

    def type_query(self) -> None:
        """A description or a query, shown as chips to edit before the panel takes it and the search runs."""
        if self.engine is None:
            return
        dlg = DescribeDialog(self.engine.schema, self.attributes.query(), self)
        dlg.described.connect(self.apply_query)
        self.describe_dialog = dlg  # scripted runs and tests drive it
        dlg.open()

    def apply_query(self, text: str) -> None:
        try:
            self.attributes.set_query(text)  # checked by the query parser; nothing changes on error
        except ValueError as exc:
            self.show_error(str(exc))

    def search_with_hit(self, rh) -> None:
        self.probe.clear()
        self.multi_probe = None
        self.probe_code = rh.code
        self.probe_hit = rh  # named in the report as the probe
        self.probe.show_code_probe(rh.meta.crop or rh.meta.thumb, f"Probe: gallery item {rh.meta.id} (its code)")
        self.request_search()

    def request_search(self) -> None:
        """Coalesce rapid toggles: one search at a time, the latest request wins."""
        if self.engine is None:
            return
        self.generation += 1
        self._debounce.start()

    def _start_search(self) -> None:
        if self.search_job is not None and self.search_job.running:
            self.search_job.cancel()
            self.pending_search = True
            return
        attrs = self.attributes.query()
        if not attrs and self.probe.path is None and self.probe_code is None and self.multi_probe is None:
            self.detail.clear()
            self.results.set_results([], {})
            self.status_query.setText("tick attributes or drop a photo to search")
            return
        several, rejected = self.multi_probe or (None, ())
        req = SearchRequest(attributes=attrs, probe_image=self.probe.path, probe_box=self.probe.box,
                            probe_code=self.probe_code, probe_codes=several, exclude_ids=rejected, top=self.top,
                            origin="gui")
        gen = self.generation
        engine = self.engine
        t0 = time.perf_counter()

        def work(progress, cancel):
            return engine.search(req)

        def done(res) -> None:
            self.search_job = None
            if self.pending_search:
                self.pending_search = False
                self._start_search()
            if gen != self.generation:
                return  # a newer query has been asked for
            q = parse_query(attrs, engine.schema)
            if getattr(self, "last_error", None):
                self.statusBar().clearMessage()  # an earlier error no longer describes what is shown
                self.last_error = None
            self.detail.clear()  # the shown hit belonged to the previous query
            self.results.set_results(res.hits, q.attribute_values())
            self.last_result = res
            self._apply_pins()
            ms = 1000 * (time.perf_counter() - t0)
            self.last_search_ms = ms
            self.status_query.setText("no hits: the gallery is empty" if not res.n_searched
                                      else "no hits: nothing matches")
            self._show_counts()
            for note in res.notes:
                self.statusBar().showMessage(note, 10000)

        def failed(msg) -> None:
            self.search_job = None
            self.pending_search = False
            self.show_error(msg)

        self.search_job = self.jobs.start("search", work, done, failed)

    # ------------------------------------------------------------------ details

    @staticmethod
    def footage_folders() -> list[str]:
        """Folders the examiner pointed to for moved footage (remembered in the settings)."""
        v = QSettings().value("footage/folders", []) or []
        return [str(x) for x in (v if isinstance(v, list) else [v])]

    def locate_footage(self, rh, folder: str | None = None) -> None:
        """Ask once where a moved video now is; the folder is remembered for every later hit."""
        if not folder:
            folder = QFileDialog.getExistingDirectory(self, f"Folder that now holds {Path(rh.meta.source).name}")
            if not folder:
                return
        folders = self.footage_folders()
        if folder not in folders:
            QSettings().setValue("footage/folders", folders + [folder])
        self._source_cache.pop((rh.meta.source, rh.meta.source_sha256), None)
        current = self.detail.current
        self.detail.current = None  # open it again, now looking in the new folder
        for r, shown in enumerate(self.results.hits):
            if shown is current:
                self.open_hit(self.results.index(r))

    def open_row(self, row: int) -> None:
        """Select and open the hit at ``row`` of the results (e.g. clicked on the timeline)."""
        index = self.results.index(row)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        self.open_hit(index)

    def open_hit(self, index) -> None:
        rh = index.data(HitRole)
        if rh is None or self.engine is None or rh is self.detail.current:  # a click also moves the current hit
            return
        g = self.engine.gallery
        track = g.items(g.track_items(rh.meta.source, rh.meta.track)) if rh.meta.track is not None else []
        self.detail.show_hit(rh, self.engine.schema, track, label=index.data(RankLabelRole))
        self.detail.show_mark(self.results.marks.get(rh.meta.id))
        if rh.meta.frame is not None:
            from ..search.evidence import find_source

            root, cache, folders = g.root, self._source_cache, self.footage_folders()

            def work(progress, cancel):
                where = find_source(rh.meta.source, rh.meta.source_sha256, root, cache, folders)
                return None if where is None else read_frame_rgb(where, rh.meta.frame)

            self.jobs.start("frame", work, lambda rgb: self.detail.show_frame(rgb, rh))

    def play_footage(self, rh) -> None:
        """Decode a few seconds around the hit in a job, then play them (ClipPlayer)."""
        if self.engine is None or rh.meta.frame is None:
            return
        from ..search.evidence import find_source
        from .clip_player import ClipPlayer, read_clip_frames

        root, cache, folders = self.engine.gallery.root, self._source_cache, self.footage_folders()

        def work(progress, cancel):
            where = find_source(rh.meta.source, rh.meta.source_sha256, root, cache, folders)
            return None if where is None else read_clip_frames(where, rh.meta.frame)

        def done(got) -> None:
            if got is None:
                self.show_error(f"the footage {rh.meta.source} is missing or unreadable")
                return
            frames, first, fps = got
            self.clip_player = ClipPlayer(frames, first, fps, rh.meta.frame,
                                          f"{rh.meta.camera or ''} item {rh.meta.id}: frames around {rh.meta.frame}", self)
            self.clip_player.show()

        self.jobs.start("clip", work, done, self.show_error)

    def _label_for(self, term: str) -> str:
        if self.engine is None:
            return term
        neg = term.startswith("not ")
        name = term[4:] if neg else term
        label = self.attributes.labels.get(name, name)
        return f"not {label}" if neg else label

    # ------------------------------------------------------------------ evidence and sessions
