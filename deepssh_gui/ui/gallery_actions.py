"""The main window's menus and its gallery actions: open, build from folder or video, re-encode, cluster."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QProgressDialog

from ..scale.open import open_engine
from ..search.engine import SearchEngine
from ..search.strength import cut_for
from .plain import message as show_message


class GalleryActions:
    """Menus and the gallery jobs behind them (a mixin of :class:`MainWindow`)."""

    def _menus(self) -> None:
        m = self.menuBar().addMenu("&Gallery")
        self._action(m, "&Open gallery…", QKeySequence.Open, self.choose_gallery)
        self._action(m, "Build from &folder…", "Ctrl+B", self.build_from_folder)
        self._action(m, "Build from &video…", "Ctrl+Shift+B", lambda: self.build_from_video())
        self.reencode_action = self._action(m, "Add attribute &probabilities…", "", self.reencode_gallery)
        self.rejected_action = self._action(m, "&Rejected crops…", "", self.show_rejected)
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
            self.rejected_action.setEnabled(hasattr(engine.gallery, "rejected_crops"))
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
        job.cancelled.connect(self.jobs.guarded(lambda: (dlg.close(), self.statusBar().showMessage(cancelled_note, 8000))))
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
            if rep.rejected:
                extra += (f"\n{rep.rejected} crops scored as not a person were kept out of the search "
                          f"(Gallery ▸ Rejected crops… to review and restore them).")
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

    def show_rejected(self) -> None:
        """Review the crops the person filter kept out; restoring runs as a job, audited."""
        if self.engine is None or not hasattr(self.engine.gallery, "rejected_crops"):
            return
        from ..search.gallery import GalleryError
        from .rejected_dialog import RejectedDialog

        g = self.engine.gallery
        shown = []
        for r in g.rejected_crops():
            try:
                shown.append((r, g.resolve(r.crop)))
            except GalleryError:  # a path edited to point elsewhere is never opened
                shown.append((r, None))
        dlg = RejectedDialog(shown, self)
        self.rejected_dialog = dlg  # scripted runs and tests use it
        dlg.restoreRequested.connect(self.restore_crops)
        dlg.restore_button.setVisible(not g.read_only)
        dlg.open()

    def restore_crops(self, crops: list[str]) -> None:
        if self.engine is None:
            return
        path, model_path = self.gallery_path, self.engine.model.path
        examiner = self.report_identity(ask=False)[1]

        def work(progress, cancel):
            import json

            from ..ingest.build import restore_rejected
            from ..model.modelfile import load_model_file
            from ..search.gallery import Gallery

            model = load_model_file(model_path)
            with Gallery.open(path, model) as g:
                ids = restore_rejected(g, model, crops)
                g.append_audit("gui", "restore", f"restored {len(ids)} crops the person filter had rejected", None,
                               json.dumps({"crops": crops}), g.info["model_hash"], ids, examiner=examiner)
            return ids

        def finished(ids):
            self.statusBar().showMessage(f"restored {len(ids)} crops; they are searched from now on", 8000)
            self.open_gallery(path)

        self._progress_job("Restore crops", work, finished, "cancelled")

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
                total.rejected += rep.rejected
                total.video = rep.video
            return total

        self._build("Build from video", fn, out=getattr(self, "build_target", None))
