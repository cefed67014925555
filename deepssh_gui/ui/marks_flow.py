"""The main window's marks: confirm and reject hits (keys C and X), whole tracks, each one audited."""

from __future__ import annotations

from .results_model import HitRole


class MarksFlow:
    """Confirm / reject, stored per gallery in its audit log (a mixin of :class:`MainWindow`)."""

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
