"""The main window's case work: evidence reports of the selected hits, saved and restored sessions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QInputDialog


class CaseFlow:
    """Export and sessions (a mixin of :class:`MainWindow`)."""

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

    def report_clip_seconds(self, ask: bool) -> float | None:
        """Seconds of footage before and after each hit exported as a clip (0: none; remembered;
        None: cancelled). Clips are redacted as the report's frames are."""
        st = QSettings()
        try:
            current = max(0.0, float(st.value("report/clip_seconds", 0) or 0))
        except (TypeError, ValueError):
            current = 0.0
        if not ask:
            return current
        value, ok = QInputDialog.getDouble(self, "Evidence report", "Clip of the footage around each hit, seconds "
                                           "before and after (0 = no clips):", current, 0.0, 30.0, 1)
        if not ok:
            return None
        st.setValue("report/clip_seconds", value)
        return value

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
        clip_seconds = self.report_clip_seconds(interactive)
        if clip_seconds is None:
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
                              route=route, route_plan=route_plan, redaction=redaction, clip_seconds=clip_seconds,
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
