"""The main window. It only assembles the parts and routes their signals to the engine
through the background-job helper; no model, search or build work runs on the UI thread."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QInputDialog, QLabel, QListView, QMainWindow, QProgressDialog, QSplitter, QVBoxLayout, QWidget)

from ..scale.open import open_engine
from ..search.engine import SearchEngine, SearchRequest
from ..search.query import parse_query
from ..search.strength import cut_for
from .plain import message as show_message
from .plain import plain_label, plain_tooltip
from .attribute_panel import AttributePanel
from .describe_dialog import DescribeDialog
from ..ingest.video import read_frame_rgb
from .detail_pane import DetailPane
from .hit_delegate import HitDelegate
from .jobs import JobRunner
from .probe_zone import ProbeZone
from .results_model import HitRole, RankLabelRole, ResultsModel
from .route_flow import RouteFlow
from .timeline import Timeline


DEBOUNCE_MS = 10  # a toggle waits this long for the next one before searching


class MainWindow(QMainWindow):
    def __init__(self, model_path: str, gallery_path: str | None, top: int = 200) -> None:
        super().__init__()
        self.setWindowTitle("DeepSSH forensic person search")
        self.model_path = model_path
        self.top = top
        self.jobs = JobRunner()
        self.engine: SearchEngine | None = None
        self.generation = 0  # results of older searches are dropped
        self.pending_search = False
        self.search_job = None
        self.last_error = ""
        self.probe_code = None  # from "search with this as probe"
        self.last_result = None
        self.pending_pins = None
        self.marked_codes: dict[int, object] = {}  # item id -> code of each confirmed hit
        self._source_cache: dict = {}  # (stored path, sha256) -> where the footage is now
        self.probe_hit = None  # the gallery hit used as probe, if any
        self.multi_probe = None  # "search with confirmed": (codes uint8 (P, nbytes), rejected ids)

        self.attributes = AttributePanel()
        self.probe = ProbeZone()
        self.results = ResultsModel()
        self.view = QListView()
        self.view.setViewMode(QListView.IconMode)
        self.view.setResizeMode(QListView.Adjust)
        self.view.setUniformItemSizes(True)
        self.view.setMovement(QListView.Static)
        self.view.setSpacing(2)
        self.view.setSelectionMode(QListView.ExtendedSelection)
        self.view.setModel(self.results)
        self.delegate = HitDelegate(self._label_for)
        self.view.setItemDelegate(self.delegate)
        self.view.installEventFilter(self)  # keys C / X: confirm / reject the current hit
        self.detail = DetailPane()
        self.timeline = Timeline()

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Probe photo</b>"))
        ll.addWidget(self.probe)
        ll.addWidget(QLabel("<b>Attributes</b> (click: required → excluded → any)"))
        ll.addWidget(self.attributes, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.view)
        split.setStretchFactor(1, 1)
        split.setSizes([280, 900])
        self.setCentralWidget(split)
        dock = QDockWidget("Details", self)
        dock.setObjectName("details")
        dock.setWidget(self.detail)
        self.addDockWidget(Qt.RightDockWidgetArea, dock)
        tdock = QDockWidget("Timeline", self)
        tdock.setObjectName("timeline")
        tdock.setWidget(self.timeline)
        self.addDockWidget(Qt.BottomDockWidgetArea, tdock)
        self.route = RouteFlow(self)
        rdock = QDockWidget("Route", self)
        rdock.setObjectName("route")
        rdock.setWidget(self.route.pane)
        self.addDockWidget(Qt.BottomDockWidgetArea, rdock)
        self.tabifyDockWidget(tdock, rdock)
        tdock.raise_()
        self.route_dock = rdock

        self.status_gallery = plain_label("no gallery")
        self.status_model = plain_label("")
        self.status_query = plain_label("")
        for w in (self.status_gallery, self.status_model, self.status_query):
            self.statusBar().addPermanentWidget(w)

        self._menus()
        self.attributes.queryChanged.connect(lambda q: self.request_search())
        self.probe.probeChanged.connect(lambda p, b: self._probe_changed())
        self.probe.probeCleared.connect(self._probe_changed)
        self.probe.error.connect(self.show_error)
        self.view.activated.connect(self.open_hit)
        self.view.clicked.connect(self.open_hit)
        # the details follow the current hit, keyboard navigation included
        self.view.selectionModel().currentChanged.connect(lambda cur, prev: cur.isValid() and self.open_hit(cur))
        self.detail.searchWithProbe.connect(self.search_with_hit)
        self.detail.markRequested.connect(self.set_mark)
        self.detail.locateRequested.connect(self.locate_footage)
        self.timeline.hitClicked.connect(self.open_row)
        self.results.modelReset.connect(lambda: self.timeline.set_hits(self.results.hits, self.results.marks))
        self.results.dataChanged.connect(lambda *a: self.timeline.set_hits(self.results.hits, self.results.marks))
        # coalesces a burst of toggles into one search (docs/gui.md: toggle-to-results p95 56.5 ms at 30 ms, 37-38 ms at 10 ms)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start_search)

        settings = QSettings()
        geo = settings.value("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(QSize(1400, 860))
        if gallery_path:
            self.open_gallery(gallery_path)

    # ------------------------------------------------------------------ menus

    def _menus(self) -> None:
        m = self.menuBar().addMenu("&Gallery")
        self._action(m, "&Open gallery…", QKeySequence.Open, self.choose_gallery)
        self._action(m, "Build from &folder…", "Ctrl+B", self.build_from_folder)
        self._action(m, "Build from &video…", "Ctrl+Shift+B", lambda: self.build_from_video())
        self.reencode_action = self._action(m, "Add attribute &probabilities…", "", self.reencode_gallery)
        self.reencode_action.setEnabled(False)
        self._action(m, "Cluster for sharded galleries…", "", self.choose_cluster)
        m.addSeparator()
        self._action(m, "&Export selected hits…", "Ctrl+E", self.export_selected)
        self._action(m, "&Save session…", QKeySequence.Save, self.save_session)
        self._action(m, "Open sess&ion…", "Ctrl+Shift+O", self.open_session)
        m.addSeparator()
        self._action(m, "&Quit", QKeySequence.Quit, self.close)
        s = self.menuBar().addMenu("&Search")
        self._action(s, "&Paste probe", QKeySequence.Paste, self.probe.paste)
        self._action(s, "Open &probe…", "Ctrl+P", self.probe.open_dialog)
        self._action(s, "&Clear query", "Esc", self.clear_query)
        self._action(s, "&Filter attributes", QKeySequence.Find, lambda: self.attributes.filter.setFocus())
        self._action(s, "&Describe a person or type a query…", "Ctrl+L", self.type_query)
        s.addSeparator()
        # the single keys C and X act in the results grid only (its event filter), so they never
        # steal typing from the filter box; the menu shows them after a tab
        self._action(s, "&Confirm hit\tC", "", lambda: self.mark_current("confirmed"))
        self._action(s, "Re&ject hit\tX", "", lambda: self.mark_current("rejected"))
        self._action(s, "Reject hit's whole trac&k", "Shift+X", self.reject_track)
        self._action(s, "Search with c&onfirmed", "Ctrl+Shift+C", self.search_with_confirmed)
        self._action(s, "&Route of confirmed hits", "Ctrl+R", lambda: self.route.make_route())
        v = self.menuBar().addMenu("&View")
        self.group_action = self._action(v, "One cell per &track", "Ctrl+T",
                                         lambda: self.results.set_group_tracks(self.group_action.isChecked()))
        self.group_action.setCheckable(True)
        self.weak_action = self._action(v, "Show &weak matches", "Ctrl+W", self._toggle_weak)
        self.weak_action.setCheckable(True)
        self.weak_action.setChecked(True)

    def _action(self, menu, text, shortcut, slot) -> QAction:
        a = QAction(text, self)
        a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    # ------------------------------------------------------------------ gallery

    def choose_gallery(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open gallery")
        if d:
            self.open_gallery(d)

    def open_gallery(self, path: str) -> None:
        self.statusBar().showMessage(f"opening {path}…")

        from ..common.errors import DeepSSHError

        try:
            cluster = self.cluster_setting()
        except DeepSSHError as exc:  # the stored address was edited into something else
            self.show_error(str(exc))
            return

        def work(progress, cancel):
            # a sharded gallery runs its shard tasks on the cluster from the settings, else in this process
            return open_engine(path, self.model_path, **cluster)

        def done(engine: SearchEngine) -> None:
            if self.engine is not None:
                self.engine.close()
            self.engine = engine
            self.detail.clear()
            self.results.set_results([], {})
            self._load_marks(engine)
            self.results.layout = engine.gallery.layout
            self.results.patterns = engine.model.decoder.patterns()
            self.results.set_cut(cut_for(engine.model.meta))
            self.attributes.set_schema(engine.schema)
            self.status_gallery.setText(f"{Path(path).name}: {len(engine.gallery)} crops")
            self.status_model.setText(f"model {engine.model.name} · {engine.model.config.nbits} bits")
            self.gallery_path = str(path)
            self.reencode_action.setEnabled(not engine.gallery.has_probabilities and not engine.gallery.read_only
                                            and not getattr(engine.gallery, "sharded", False))
            if not engine.gallery.has_probabilities:
                # said once per opening; the searches themselves carry the same note
                self.statusBar().showMessage("this gallery has no attribute probabilities: attributes rank by masked "
                                             "Hamming distance; Gallery > Add attribute probabilities adds them", 15000)
            else:
                self.statusBar().showMessage("ready", 3000)
            QSettings().setValue("gallery/last", str(path))
            self.request_search()

        self.jobs.start("open gallery", work, done, self.show_error)

    @staticmethod
    def cluster_setting() -> dict:
        """``{"cluster": ..., "scheduler": ...}`` from the settings: where sharded galleries are searched."""
        from ..scale.backend import parse_cluster

        cluster, scheduler = parse_cluster(str(QSettings().value("cluster/address", "") or ""))
        return {"cluster": cluster, "scheduler": scheduler}

    def choose_cluster(self) -> None:
        from ..common.errors import DeepSSHError
        from ..scale.backend import parse_cluster

        current = str(QSettings().value("cluster/address", "") or "")
        text, ok = QInputDialog.getText(self, "Cluster for sharded galleries",
                                        "Empty: search shards in this process. local:N: start N worker processes.\n"
                                        "tcp://HOST:8786: an existing Dask scheduler. Used when a gallery is opened.",
                                        text=current)
        if not ok:
            return
        try:
            parse_cluster(text)
        except DeepSSHError as exc:
            self.show_error(str(exc))
            return
        QSettings().setValue("cluster/address", text.strip())
        self.statusBar().showMessage(f"sharded galleries will be searched on {text.strip() or 'this process'}", 5000)

    def _progress_job(self, title: str, work, finished, cancelled_note: str) -> None:
        """Run ``work(progress, cancel)`` in the background behind a modal progress dialog with Cancel."""
        dlg = QProgressDialog(title, "Cancel", 0, 100, self)
        dlg.setWindowModality(Qt.WindowModal)
        dlg.setMinimumDuration(0)

        def prog(d, t, msg):
            dlg.setMaximum(max(1, t))
            dlg.setValue(d)
            dlg.setLabelText(f"{title}: {msg}" if msg else title)

        job = self.jobs.start(title, work, lambda r: (dlg.close(), finished(r)),
                              lambda m: (dlg.close(), self.show_error(m)), prog)
        job.cancelled.connect(lambda: (dlg.close(), self.statusBar().showMessage(cancelled_note, 8000)))
        dlg.canceled.connect(job.cancel)

    def _build(self, title: str, fn, out: str | None = None) -> None:
        out = out or QFileDialog.getExistingDirectory(self, f"{title}: choose (or create) the gallery folder")
        if not out:
            return

        def work(progress, cancel):
            from ..model.modelfile import load_model_file
            from ..search.gallery import Gallery

            model = load_model_file(self.model_path)
            with Gallery.create(out, model) as g:
                return fn(g, model, progress, cancel)

        def finished(rep):
            extra = f"\n{len(rep.failed)} files could not be read." if rep.failed else ""
            if rep.video is not None and rep.video.notes:
                extra += "\n" + "\n".join(rep.video.notes)
            text = f"Added {rep.added} crops in {rep.seconds:.1f} s.{extra}"
            self.statusBar().showMessage(text.splitlines()[0], 10000)
            if not getattr(self, "quiet_errors", False):  # scripted runs and tests cannot answer a dialog
                show_message(self, title, text)
            self.open_gallery(out)

        self._progress_job(title, work, finished, "build cancelled; finished batches are kept and the build can be resumed")

    def reencode_gallery(self) -> None:
        """Encode the open gallery's crops again to store their attribute probabilities (resumable)."""
        if self.engine is None:
            return
        path = self.gallery_path

        def work(progress, cancel):
            from ..ingest.build import reencode_probabilities
            from ..model.modelfile import load_model_file
            from ..search.gallery import Gallery

            model = load_model_file(self.model_path)
            with Gallery.open(path, model) as g:
                return reencode_probabilities(g, model, progress=progress, cancel=cancel)

        def finished(n):
            self.statusBar().showMessage(f"{n} crops now carry attribute probabilities", 8000)
            self.open_gallery(path)

        self._progress_job("Add attribute probabilities", work, finished,
                           "cancelled; finished batches are kept: run it again to resume")

    def build_from_folder(self) -> None:
        src = QFileDialog.getExistingDirectory(self, "Folder of crops")
        if src:
            from ..ingest.build import build_from_images

            self._build("Build from folder", lambda g, m, p, c: build_from_images(g, m, src, progress=p, cancel=c))

    def build_from_video(self, videos: list[str] | None = None) -> None:
        """Build from one or more videos, each with the camera and start time the analyst confirmed."""
        if videos is None:
            videos, _ = QFileDialog.getOpenFileNames(self, "Videos", "",
                                                     "Video (*.avi *.mp4 *.mkv *.mov *.mpg);;All files (*)")
        if not videos:
            return
        from .footage_dialog import FootageDialog

        dlg = FootageDialog(videos, self)
        self.footage_dialog = dlg  # scripted runs and tests fill it in
        dlg.accepted.connect(lambda: self._build_videos(dlg.footage))
        dlg.open()

    def _build_videos(self, footage: list[tuple[str, str, float | None]]) -> None:
        from ..ingest.build import BuildReport, build_from_video

        def fn(g, m, progress, cancel):
            total = BuildReport()
            for i, (video, camera, start) in enumerate(footage):
                def step(done, n, msg="", i=i):
                    progress(done, n, f"video {i + 1}/{len(footage)}: {msg}")

                rep = build_from_video(g, m, video, camera=camera, start_time=start if start is not None else 0.0,
                                       progress=step, cancel=cancel)
                total.added += rep.added
                total.seconds += rep.seconds
                total.failed += rep.failed
                total.video = rep.video
            return total

        self._build("Build from video", fn, out=getattr(self, "build_target", None))

    # ------------------------------------------------------------------ searching

    def _probe_changed(self) -> None:
        self.probe_code = None
        self.probe_hit = None
        self.multi_probe = None
        self.request_search()

    # ------------------------------------------------------------------ confirm / reject

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        from PySide6.QtCore import QEvent

        if obj is self.view and event.type() == QEvent.KeyPress and not event.modifiers():
            mark = {Qt.Key_C: "confirmed", Qt.Key_X: "rejected"}.get(event.key())
            if mark:
                self.mark_current(mark)
                return True
        return super().eventFilter(obj, event)

    def mark_current(self, mark: str) -> None:
        """Confirm or reject the current hit (the same key again clears it); recorded in the audit log."""
        index = self.view.currentIndex()
        rh = index.data(HitRole) if index.isValid() else None
        if rh is None or self.engine is None:
            return
        self.set_mark(rh, None if self.results.marks.get(rh.meta.id) == mark else mark)

    def set_mark(self, rh, mark: str | None) -> None:
        engine, item = self.engine, rh.meta.id

        def done(_entry) -> None:  # shown only once the audit log holds it
            self.results.set_mark(item, mark)
            if mark == "confirmed":
                self.marked_codes[item] = rh.code
            else:
                self.marked_codes.pop(item, None)
            if self.detail.current is not None and self.detail.current.meta.id == item:
                self.detail.show_mark(mark)
            self.statusBar().showMessage(f"item {item}: {mark or 'mark cleared'}", 4000)

        examiner = self.report_identity(ask=False)[1]  # the examiner the reports name, not the login user
        self.jobs.start("mark", lambda progress, cancel: engine.record_mark(item, mark or "cleared", examiner), done,
                        self.show_error)

    def _load_marks(self, engine) -> None:
        """Marks belong to their gallery: a newly opened gallery shows its own, from its audit log,
        and nothing of the previous gallery's marks, probes or route."""
        from ..search.route import marks_in_audit

        self.results.marks.clear()
        if self.probe_code is not None or self.multi_probe is not None:
            self.probe.clear()  # it showed a crop of the previous gallery
        self.multi_probe = None
        self.probe_code = None
        self.probe_hit = None
        self.route.pane.show_route(None)
        try:
            marks = marks_in_audit(engine.gallery.audit_entries("mark"))  # mark rows only: opening stays fast
        except Exception:  # noqa: BLE001 - an unreadable log must not stop the gallery opening; verify names it
            marks = {}
        for item, mark in marks.items():
            self.results.marks[item] = mark
        confirmed = [i for i, m in marks.items() if m == "confirmed"]
        self.marked_codes = dict(zip(confirmed, engine.gallery.codes_of(confirmed))) if confirmed else {}

    def reject_track(self) -> None:
        """Reject every crop of the current hit's video track (each one audited), e.g. a track of
        someone else, so that "Search with confirmed" leaves all of it out."""
        index = self.view.currentIndex()
        rh = index.data(HitRole) if index.isValid() else None
        if rh is None or self.engine is None:
            return
        if rh.meta.track is None:
            self.set_mark(rh, "rejected")
            return
        engine = self.engine

        examiner = self.report_identity(ask=False)[1]

        def work(progress, cancel):
            ids = engine.gallery.track_items(rh.meta.source, rh.meta.track)
            for item in ids:
                engine.record_mark(item, "rejected", examiner)
            return ids

        def done(ids) -> None:
            for item in ids:
                self.results.set_mark(item, "rejected")
                self.marked_codes.pop(item, None)
            if self.detail.current is not None and self.detail.current.meta.id in ids:
                self.detail.show_mark("rejected")
            self.statusBar().showMessage(f"track {rh.meta.track}: {len(ids)} crops rejected", 4000)

        self.jobs.start("reject track", work, done, self.show_error)

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

    def _label_for(self, term: str) -> str:
        if self.engine is None:
            return term
        neg = term.startswith("not ")
        name = term[4:] if neg else term
        label = self.attributes.labels.get(name, name)
        return f"not {label}" if neg else label

    # ------------------------------------------------------------------ evidence and sessions

    def selected_hits(self) -> list:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.results.hits[r] for r in rows]

    def report_identity(self, ask: bool) -> tuple[str | None, str]:
        """``(case id, examiner)`` for a report: remembered in the settings, asked for when ``ask``
        (case id None: the examiner cancelled)."""
        from ..search.audit import current_examiner

        st = QSettings()
        case_id = str(st.value("report/case_id", "") or "")
        examiner = str(st.value("report/examiner", "") or "") or current_examiner()
        if ask:
            case_id, ok = QInputDialog.getText(self, "Evidence report", "Case identifier:", text=case_id)
            if not ok:
                return None, examiner
            examiner, ok = QInputDialog.getText(self, "Evidence report", "Examiner:", text=examiner)
            if not ok:
                return None, examiner
            st.setValue("report/case_id", case_id.strip())
            st.setValue("report/examiner", examiner.strip())
        return case_id.strip(), examiner.strip()

    def report_redaction(self, ask: bool) -> str | None:
        """How the report's frames are redacted (remembered; asked for when ``ask``; None: cancelled)."""
        from .export import REDACTION_TEXT

        st = QSettings()
        current = str(st.value("report/redaction", "none") or "none")
        if current not in REDACTION_TEXT:
            current = "none"
        if not ask:
            return current
        labels = [f"{k}: {v}" for k, v in REDACTION_TEXT.items()]
        choice, ok = QInputDialog.getItem(self, "Evidence report", "Frames of the hits (for sharing):", labels,
                                          list(REDACTION_TEXT).index(current), False)
        if not ok:
            return None
        mode = choice.split(":")[0]
        st.setValue("report/redaction", mode)
        return mode

    def export_selected(self, path: str | None = None) -> None:
        hits = self.selected_hits() or self.results.hits[:20]
        if not hits or self.engine is None or self.last_result is None:
            self.show_error("Run a search and select hits to export.")
            return
        interactive = not path
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export evidence report", "report.html", "HTML (*.html)")
            if not path:
                return
        from .export import ReportInput, write_evidence

        eng, res, probe, probe_hit = self.engine, self.last_result, self.probe.path, self.probe_hit
        out = Path(path)
        case_id, examiner = self.report_identity(ask=interactive)
        if case_id is None:
            return
        route, route_plan = self.route.report_parts()  # QImage work stays on the UI thread
        probe_ids = list(self.multi_probe_ids) if self.multi_probe is not None else []
        redaction = self.report_redaction(ask=interactive)
        if redaction is None:
            return

        def work(progress, cancel):
            from ..search.evidence import check_files, crop_hashes_of

            inp = ReportInput(res, hits, eng.model.name, eng.model.hash, str(eng.gallery.root.resolve()),
                              eng.gallery.content_digest(), eng.gallery.state(), probe,
                              audit_head=eng.gallery.audit_head(),
                              checks=check_files([h.meta for h in hits], crop_hashes_of(eng.gallery, hits)),
                              case_id=case_id, examiner=examiner, marks=dict(self.results.marks),
                              model_card=eng.model.meta.get("card"),
                              probe_hit=probe_hit if self.probe_code is not None else None,
                              route=route, route_plan=route_plan, redaction=redaction,
                              probe_items=eng.gallery.items(probe_ids) if probe_ids else None)
            write_evidence(inp, out, replace=interactive)  # the save dialog asked before replacing a file
            return out, inp.mismatches

        def done(result) -> None:
            o, mismatches = result
            self.statusBar().showMessage(f"exported {len(hits)} hits to {o.with_suffix('.html')} and .pdf", 10000)
            if mismatches:  # the report flags them in red; the examiner must know now, too
                self.show_error("files changed or missing since ingest (flagged in the report):\n" + "\n".join(mismatches))

        self.jobs.start("export", work, done, self.show_error)

    def save_session(self, path: str | None = None) -> None:
        if self.engine is None:
            return
        from ..search.audit import genesis
        from ..search.gallery import sha256_file
        from ..search.session import Session

        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save session", "session.deepssh.json", "Session (*.json)")
            if not path:
                return
        s = Session(str(self.engine.gallery.root.resolve()), self.engine.model.hash, self.attributes.query(),
                    self.probe.path, sha256_file(self.probe.path) if self.probe.path else None,
                    list(self.probe.box) if self.probe.box else None,
                    [rh.meta.id for rh in self.selected_hits()], gallery_id=genesis(self.engine.gallery.info),
                    marks={str(i): m for i, m in sorted(self.results.marks.items())}, **self.route.session_fields())
        s.save(path)
        self.statusBar().showMessage(f"session saved to {path}", 5000)

    def open_session(self, path: str | None = None) -> None:
        from ..search.session import Session

        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open session", "", "Session (*.json)")
            if not path:
                return
        try:
            s = Session.load(path)
        except Exception as exc:  # noqa: BLE001 - DeepSSHError with a specific message
            self.show_error(str(exc))
            return
        if self.engine is None or s.model_hash != self.engine.model.hash:
            self.show_error(f"the session was made with model {s.model_hash[:12]}, not the loaded one")
            return
        try:
            s.check_gallery(self.engine.gallery)
        except Exception as exc:  # noqa: BLE001 - DeepSSHError with a specific message
            self.show_error(str(exc))
            return
        self.pending_pins = set(s.pinned)
        # marks are the audit log's, never the session file's: a mark only counts once it is recorded
        self._load_marks(self.engine)
        problems = []
        differ = {int(i) for i, m in s.marks.items() if self.results.marks.get(int(i)) != m}
        if differ:
            problems.append(f"the session lists marks on items {sorted(differ)[:5]} that the gallery's audit log "
                            f"does not hold; the audit log's marks are shown")
        if s.probe_path:
            from ..search.gallery import sha256_file

            try:
                same = s.probe_sha256 is None or sha256_file(s.probe_path) == s.probe_sha256
            except OSError:
                same = False
            if same:
                self.probe.set_probe(s.probe_path)
            else:
                problems.append(f"the probe file {s.probe_path!r} is missing or is not the file the session was "
                                f"saved with (its SHA-256 differs); it was not restored")
        self.route.restore(s.site_plan, s.camera_positions, s.route_items)
        try:
            self.attributes.set_query(s.attributes)
        except ValueError as exc:
            problems.append(f"the session's query cannot be restored: {exc}")
        if problems:
            self.show_error("\n".join(problems))

    def _apply_pins(self) -> None:
        pins = getattr(self, "pending_pins", None)
        if not pins:
            return
        from PySide6.QtCore import QItemSelectionModel

        sel = self.view.selectionModel()
        for r, rh in enumerate(self.results.hits):
            if rh.meta.id in pins:
                sel.select(self.results.index(r), QItemSelectionModel.Select)
        self.pending_pins = None

    # ------------------------------------------------------------------ misc

    def show_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message.splitlines()[0], 10000)
        if not getattr(self, "quiet_errors", False):
            show_message(self, "DeepSSH", message, warning=True)

    def closeEvent(self, e) -> None:  # noqa: N802 - Qt API
        QSettings().setValue("window/geometry", self.saveGeometry())
        for j in list(self.jobs.active):
            j.cancel()
        self.jobs.wait(5000)
        if self.engine is not None:
            self.engine.close()
        super().closeEvent(e)
