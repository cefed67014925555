"""The route flow of the main window: confirmed hits -> route (audited) -> pane, session and report."""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from .route_pane import RoutePane, render_plan


class RouteFlow:
    """Owns the Route pane; asks the window's engine and job runner for the work."""

    def __init__(self, window) -> None:
        self.win = window
        self.pane = RoutePane()
        self.plan_path: str | None = None
        self.pane.routeRequested.connect(self.make_route)
        self.pane.planRequested.connect(self.choose_plan)

    def confirmed_ids(self) -> list[int]:
        return sorted(i for i, m in self.win.results.marks.items() if m == "confirmed")

    def make_route(self, ids: list[int] | None = None) -> None:
        """The route through ``ids`` (default: the confirmed hits), recorded in the audit log first."""
        win, engine = self.win, self.win.engine
        ids = self.confirmed_ids() if ids is None else ids
        if engine is None:
            return
        if not ids:
            win.show_error("Confirm the hits of the person first (key C on a hit), then ask for the route.")
            return
        examiner = win.report_identity(ask=False)[1]
        win.jobs.start("route", lambda progress, cancel: engine.route(ids, origin="gui", examiner=examiner),
                       self._shown, win.show_error)

    def _shown(self, route) -> None:
        self.pane.show_route(route)
        self.win.statusBar().showMessage(f"route: {len(route.sightings)} sightings on {len(set(route.cameras))} "
                                         f"cameras (audit entry {route.audit_id})", 6000)

    def choose_plan(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.win, "Site plan", "", "Images (*.png *.jpg *.jpeg *.bmp)")
        if path:
            self.load_plan(path)

    def load_plan(self, path: str, positions: dict | None = None) -> bool:
        img = QImage(path)
        if img.isNull():
            self.win.show_error(f"{path}: not a readable image (PNG, JPEG or BMP)")
            return False
        self.plan_path = path
        self.pane.set_plan(img, positions)
        return True

    def session_fields(self) -> dict:
        """What the session keeps: the plan, the cameras placed on it, and the route's items."""
        route = self.pane.route
        return {"site_plan": self.plan_path,
                "camera_positions": {c: list(xy) for c, xy in self.pane.canvas.positions.items()},
                "route_items": sorted(i for s in route.sightings for i in s.items) + list(route.undated)
                if route is not None else []}

    def restore(self, site_plan: str | None, positions: dict, route_items: list[int]) -> None:
        pos = {c: (float(xy[0]), float(xy[1])) for c, xy in positions.items()}
        if site_plan:
            if not self.load_plan(site_plan, pos):
                self.pane.set_plan(None, pos)
        else:
            self.pane.set_plan(None, pos)
        if route_items:
            self.make_route(route_items)

    def report_parts(self):
        """``(route, plan image)`` for the evidence report, or ``(None, None)`` without a route."""
        route = self.pane.route
        if route is None:
            return None, None
        plan = render_plan(self.pane.canvas.plan, self.pane.canvas.positions, route, (640, 420)) \
            if self.pane.canvas.positions else None
        return route, plan
