"""The "Describe a person" dialog: a plain description becomes editable attribute chips.

The description is parsed as it is typed (:func:`~deepssh_gui.search.describe.describe`, no
search runs). Each understood term is a checkable chip showing the words it came from:
untick a chip to leave it out, double-click it to flip required/excluded. Words that were not
understood, and terms left out, are listed under the chips; nothing is dropped silently. OK
returns the ticked terms as a query; the attribute panel shows them and the search runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout)

from ..model.schema import AttributeSchema
from ..search.describe import describe
from ..search.query import QueryError, parse_query
from .plain import plain_label

TermRole = Qt.UserRole + 1


def panel_terms(term: str, schema: AttributeSchema) -> list[str]:
    """``term`` as terms the tri-state boxes can show: ``not a|b`` (neither) is ``not a, not b``.

    A required OR of plain attributes (``personalLess45|personalLess60``) has no box; it is
    returned as is and the caller says it cannot be ticked.
    """
    t = parse_query(term, schema).terms[0]
    if t.negated and len(t.attrs) > 1 and "|" in t.text:
        return [f"not {schema.names[i]}" for i in t.attrs]
    return [term]


class DescribeDialog(QDialog):
    described = Signal(str)  # noqa: N815 - Qt naming; the query of the ticked chips

    def __init__(self, schema: AttributeSchema, text: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Describe a person")
        self.schema = schema
        self.edit = QLineEdit(text, placeholderText="e.g. woman in a red coat with a backpack, dark trousers, no hat")
        self.chips = QListWidget()
        self.chips.setToolTip("untick to leave a term out; double-click to flip required / excluded")
        self.unknown = plain_label("")
        self.unknown.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label("Describe the person in words, or type attribute names:"))
        lay.addWidget(self.edit)
        lay.addWidget(plain_label("Understood (the search will use the ticked terms):"))
        lay.addWidget(self.chips)
        lay.addWidget(self.unknown)
        lay.addWidget(self.buttons)
        self.edit.textChanged.connect(self.reparse)
        self.chips.itemDoubleClicked.connect(self._flip)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(560, 380)
        self.reparse(text)

    def reparse(self, text: str | None = None) -> None:
        text = self.edit.text() if text is None else text
        self.chips.clear()
        lines = []
        if text.strip():
            try:
                d = describe(text, self.schema)
            except QueryError as exc:
                lines.append(str(exc))
            else:
                for t in d.terms:
                    for term in panel_terms(t.term, self.schema):
                        self._add_chip(term, t.words)
                if d.unknown:
                    lines.append("Not understood: " + ", ".join(d.unknown))
                lines += d.notes
        self.unknown.setText("\n".join(lines))
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(self.chips.count() > 0)

    def _add_chip(self, term: str, words: str) -> None:
        it = QListWidgetItem()
        it.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable | Qt.ItemIsSelectable)
        it.setCheckState(Qt.Checked)
        self._set_term(it, term, words)
        self.chips.addItem(it)

    def _set_term(self, it: QListWidgetItem, term: str, words: str) -> None:
        it.setData(TermRole, (term, words))
        it.setText(f"{term}    ← \u201c{words}\u201d")

    def _flip(self, it: QListWidgetItem) -> None:
        term, words = it.data(TermRole)
        self._set_term(it, term[4:] if term.startswith("not ") else f"not {term}", words)

    def query(self) -> str:
        """The ticked terms as one query (may be empty)."""
        return ", ".join(self.chips.item(i).data(TermRole)[0] for i in range(self.chips.count())
                         if self.chips.item(i).checkState() == Qt.Checked)

    def _accept(self) -> None:
        q = self.query()
        try:
            parse_query(q, self.schema)  # a flip can make two chips contradict each other
        except QueryError as exc:
            self.unknown.setText(str(exc))
            return
        self.described.emit(q)
        self.accept()
