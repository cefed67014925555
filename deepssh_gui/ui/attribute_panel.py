"""Tri-state attribute checkboxes built from the model's schema (never a hard-coded list).

Each attribute or composite is *any* (not in the query), *required*, or *excluded*;
clicking or pressing Space cycles any -> required -> excluded -> any.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..model.schema import GROUPS, AttributeSchema

ANY, REQUIRED, EXCLUDED = 0, 1, 2
_STATE_TEXT = {ANY: "☐", REQUIRED: "☑", EXCLUDED: "☒ not"}
_STATE_COLOUR = {ANY: QColor("#222222"), REQUIRED: QColor("#1b7f3b"), EXCLUDED: QColor("#b3261e")}
NameRole = Qt.UserRole + 1
StateRole = Qt.UserRole + 2


class AttributePanel(QWidget):
    queryChanged = Signal(str)  # noqa: N815 - Qt naming

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText="Filter attributes (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.setUniformRowHeights(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.filter)
        lay.addWidget(self.tree)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemClicked.connect(lambda it, col: self._cycle(it))
        self.tree.itemActivated.connect(lambda it, col: self._cycle(it))
        self.items: dict[str, QTreeWidgetItem] = {}
        self.labels: dict[str, str] = {}

    def set_schema(self, schema: AttributeSchema) -> None:
        self.schema = schema
        self.tree.clear()
        self.items.clear()
        self.labels.clear()
        groups = schema.by_group()
        for key, title in GROUPS.items():
            members = [(a.name, a.label) for a in groups.get(key, [])]
            members += [(c.name, c.label) for c in schema.composites if c.group == key]
            if not members:
                continue
            top = QTreeWidgetItem([title])
            top.setFlags(Qt.ItemIsEnabled)
            f = top.font(0)
            f.setBold(True)
            top.setFont(0, f)
            self.tree.addTopLevelItem(top)
            for name, label in members:
                it = QTreeWidgetItem(top)
                it.setData(0, NameRole, name)
                it.setToolTip(0, name)
                self.items[name] = it
                self.labels[name] = label
                self._set_state(it, ANY)
            top.setExpanded(True)

    def _set_state(self, it: QTreeWidgetItem, state: int) -> None:
        it.setData(0, StateRole, state)
        name = it.data(0, NameRole)
        it.setText(0, f"{_STATE_TEXT[state]}  {self.labels[name]}")
        it.setForeground(0, QBrush(_STATE_COLOUR[state]))

    def _cycle(self, it: QTreeWidgetItem) -> None:
        if it.data(0, NameRole) is None:
            return
        self._set_state(it, (int(it.data(0, StateRole)) + 1) % 3)
        self.queryChanged.emit(self.query())

    def set_state(self, name: str, state: int, emit: bool = True) -> None:
        self._set_state(self.items[name], state)
        if emit:
            self.queryChanged.emit(self.query())

    def state(self, name: str) -> int:
        return int(self.items[name].data(0, StateRole))

    def clear(self) -> None:
        for it in self.items.values():
            self._set_state(it, ANY)
        self.queryChanged.emit(self.query())

    def set_query(self, text: str) -> None:
        """Tick boxes from a query string, checked by the query parser: an unknown, mis-cased or
        contradictory term raises ``QueryError`` (nothing is ticked then), as does an OR term,
        which boxes cannot show."""
        from ..search.query import QueryError, parse_query

        ticks = []
        for t in parse_query(text, self.schema).terms:
            name = t.text.removeprefix("not ").strip()
            if name not in self.items:
                if len(t.attrs) != 1:
                    raise QueryError(f"{t.text!r} cannot be shown as ticked boxes (an OR term)")
                name = self.schema.names[t.attrs[0]]  # a shorthand such as upperBody:red
            ticks.append((name, EXCLUDED if t.negated else REQUIRED))
        for it in self.items.values():
            self._set_state(it, ANY)
        for name, state in ticks:
            self._set_state(self.items[name], state)
        self.queryChanged.emit(self.query())

    def query(self) -> str:
        terms = []
        for name, it in self.items.items():
            s = int(it.data(0, StateRole))
            if s == REQUIRED:
                terms.append(name)
            elif s == EXCLUDED:
                terms.append(f"not {name}")
        return ", ".join(terms)

    def _apply_filter(self, text: str) -> None:
        t = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                ch = top.child(j)
                name = ch.data(0, NameRole)
                hit = not t or t in name.lower() or t in self.labels[name].lower() or t in top.text(0).lower()
                ch.setHidden(not hit)
                shown += hit
            top.setHidden(shown == 0)
