"""User-supplied text (file names, cameras, queries, notes) is shown as text, never interpreted.

Qt guesses whether a string is rich text (``Qt::mightBeRichText``) for QLabel, QMessageBox and
tool tips, so a file named ``<font size=6>VERIFIED MATCH<!--.jpg`` would be rendered as
markup. Every widget that can show such a string is made plain here.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.PlainText)
    return label


def plain_tooltip(text: str) -> str:
    """A tool tip that Qt renders literally: escaped, inside an explicit rich-text wrapper."""
    return f'<p style="white-space:pre-wrap">{html.escape(text)}</p>'


def message(parent: QWidget, title: str, text: str, warning: bool = False) -> None:
    box = QMessageBox(QMessageBox.Warning if warning else QMessageBox.Information, title, text,
                      QMessageBox.Ok, parent)
    box.setTextFormat(Qt.PlainText)
    box.exec()
