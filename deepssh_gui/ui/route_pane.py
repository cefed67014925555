"""The Route pane: confirmed hits as sightings per camera, and the route drawn on a site plan.

The list is :meth:`Route.lines` as plain text. The analyst may load a site plan image and
place each camera on it (choose the camera, then click the plan); the route is drawn as
numbered arrows from camera to camera. Camera positions are fractions of the plan's width and
height, so they survive a resize; they are saved with the session. The same drawing
(:func:`render_plan`) goes into the evidence report.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from ..search.route import Route
from .plain import plain_label

ARROW = QColor("#c2410c")


def render_plan(plan: QImage | None, positions: dict[str, tuple[float, float]], route: Route | None,
                size: tuple[int, int]) -> QImage:
    """The plan scaled into ``size`` (aspect kept) with cameras and the route's arrows."""
    img = QImage(size[0], size[1], QImage.Format_RGB32)
    img.fill(QColor("#ffffff"))
    p = QPainter(img)
    try:
        draw_plan(p, QRectF(0, 0, size[0], size[1]), plan, positions, route)
    finally:
        p.end()
    return img


def plan_rect(area: QRectF, plan: QImage | None) -> QRectF:
    """Where the plan is drawn inside ``area`` (the whole area without a plan)."""
    if plan is None or plan.isNull():
        return area
    s = min(area.width() / plan.width(), area.height() / plan.height())
    w, h = plan.width() * s, plan.height() * s
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


def draw_plan(p: QPainter, area: QRectF, plan: QImage | None, positions: dict[str, tuple[float, float]],
              route: Route | None) -> None:
    p.setRenderHint(QPainter.Antialiasing)
    r = plan_rect(area, plan)
    if plan is not None and not plan.isNull():
        p.drawImage(r, plan)
    else:
        p.setPen(QColor("#888888"))
        p.drawText(r, Qt.AlignCenter, "no site plan: Load plan…, then place the cameras")

    def at(cam: str) -> QPointF | None:
        xy = positions.get(cam)
        return None if xy is None else QPointF(r.x() + xy[0] * r.width(), r.y() + xy[1] * r.height())

    if route is not None:
        for n, leg in enumerate(route.legs, 1):
            a, b = at(leg.from_camera), at(leg.to_camera)
            if a is not None and b is not None and a != b:
                _arrow(p, a, b, str(n))
    f = QFont()
    f.setPointSize(9)
    p.setFont(f)
    for cam in positions:
        c = at(cam)
        p.setPen(QPen(QColor("#1d4ed8"), 2))
        p.setBrush(QColor("#bfdbfe"))
        p.drawEllipse(c, 7, 7)
        p.setPen(QColor("#111111"))
        p.drawText(c + QPointF(10, -8), cam)  # drawText never interprets markup


def _arrow(p: QPainter, a: QPointF, b: QPointF, label: str) -> None:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    a2, b2 = QPointF(a.x() + ux * 9, a.y() + uy * 9), QPointF(b.x() - ux * 9, b.y() - uy * 9)
    p.setPen(QPen(ARROW, 3))
    p.drawLine(a2, b2)
    head = QPolygonF([b2, QPointF(b2.x() - ux * 12 - uy * 6, b2.y() - uy * 12 + ux * 6),
                      QPointF(b2.x() - ux * 12 + uy * 6, b2.y() - uy * 12 - ux * 6)])
    p.setBrush(ARROW)
    p.drawPolygon(head)
    p.setPen(QColor("#111111"))
    p.drawText(QPointF((a2.x() + b2.x()) / 2 + 4, (a2.y() + b2.y()) / 2 - 4), label)


class PlanCanvas(QWidget):
    clicked = Signal(float, float)  # noqa: N815 - Qt naming; fractions of the plan's width and height

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plan: QImage | None = None
        self.positions: dict[str, tuple[float, float]] = {}
        self.route: Route | None = None
        self.setMinimumHeight(180)

    def paintEvent(self, e) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), QColor("#ffffff"))
            draw_plan(p, QRectF(self.rect()), self.plan, self.positions, self.route)
        finally:
            p.end()

    def mousePressEvent(self, e) -> None:  # noqa: N802 - Qt API
        r = plan_rect(QRectF(self.rect()), self.plan)
        pos = e.position()
        if r.contains(pos):
            self.clicked.emit((pos.x() - r.x()) / r.width(), (pos.y() - r.y()) / r.height())


class RoutePane(QWidget):
    routeRequested = Signal()  # noqa: N815 - Qt naming
    planRequested = Signal()  # noqa: N815
    positionsChanged = Signal()  # noqa: N815

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit(readOnly=True)  # plain text: camera names are shown, never interpreted
        self.text.setPlaceholderText("Confirm hits (key C), then Route of confirmed hits")
        self.canvas = PlanCanvas()
        self.camera = QComboBox()
        self.camera.setToolTip("choose a camera, then click the plan where it is")
        make = QPushButton("Route of confirmed hits")
        load = QPushButton("Load plan…")
        make.clicked.connect(self.routeRequested)
        load.clicked.connect(self.planRequested)
        row = QHBoxLayout()
        row.addWidget(make)
        row.addWidget(load)
        row.addWidget(plain_label("place:"))
        row.addWidget(self.camera, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        split = QHBoxLayout()
        split.addWidget(self.text, 1)
        split.addWidget(self.canvas, 1)
        lay.addLayout(split, 1)
        self.canvas.clicked.connect(self._place)

    @property
    def route(self) -> Route | None:
        return self.canvas.route

    def show_route(self, route: Route | None) -> None:
        self.canvas.route = route
        self.text.setPlainText("\n".join(route.lines()) if route is not None else "")
        cams = sorted(set(route.cameras) | set(self.canvas.positions)) if route is not None else \
            sorted(self.canvas.positions)
        current = self.camera.currentText()
        self.camera.clear()
        self.camera.addItems(cams)
        if current in cams:
            self.camera.setCurrentText(current)
        self.canvas.update()

    def set_plan(self, plan: QImage | None, positions: dict[str, tuple[float, float]] | None = None) -> None:
        self.canvas.plan = plan
        if positions is not None:
            self.canvas.positions = dict(positions)
        self.show_route(self.canvas.route)

    def _place(self, fx: float, fy: float) -> None:
        cam = self.camera.currentText()
        if not cam:
            return
        self.canvas.positions[cam] = (round(fx, 4), round(fy, 4))
        self.canvas.update()
        self.positionsChanged.emit()
