"""The main window. It only assembles the parts and routes their signals to the engine
through the background-job helper; no model, search or build work runs on the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QListView, QMainWindow, QSplitter, QVBoxLayout, QWidget

from ..search.engine import SearchEngine
from .plain import message as show_message
from .plain import plain_label
from .attribute_panel import AttributePanel
from .detail_pane import DetailPane
from .hit_delegate import HitDelegate
from .jobs import JobRunner
from .probe_zone import ProbeZone
from .results_model import ResultsModel
from .route_flow import RouteFlow
from .timeline import Timeline
from .case_flow import CaseFlow
from .gallery_actions import GalleryActions
from .marks_flow import MarksFlow
from .search_flow import SearchFlow

DEBOUNCE_MS = 10  # a toggle waits this long for the next one before searching


class MainWindow(GalleryActions, SearchFlow, MarksFlow, CaseFlow, QMainWindow):
    """The window: its widgets and signal wiring here; menus and gallery jobs, the search flow,
    marks and case work in the mixins (``gallery_actions``, ``search_flow``, ``marks_flow``,
    ``case_flow``), which share this window's state."""

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
        self.detail.playRequested.connect(self.play_footage)
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

    # ------------------------------------------------------------------ keys and lifetime

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        from PySide6.QtCore import QEvent

        if obj is self.view and event.type() == QEvent.KeyPress and not event.modifiers():
            mark = {Qt.Key_C: "confirmed", Qt.Key_X: "rejected"}.get(event.key())
            if mark:
                self.mark_current(mark)
                return True
        return super().eventFilter(obj, event)

    def show_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message.splitlines()[0], 10000)
        if not getattr(self, "quiet_errors", False):
            show_message(self, "DeepSSH", message, warning=True)

    def closeEvent(self, e) -> None:  # noqa: N802 - Qt API
        QSettings().setValue("window/geometry", self.saveGeometry())
        self.jobs.close()  # cancels the running jobs; results arriving after this are dropped
        self.jobs.wait(5000)
        if self.engine is not None:
            self.engine.close()
        super().closeEvent(e)
