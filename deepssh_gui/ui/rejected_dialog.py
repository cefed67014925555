"""Review the crops the person filter kept out of a video gallery, and restore the wrongly dropped."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListView, QListWidget, QListWidgetItem, QVBoxLayout

from ..search.gallery import RejectedCrop
from .plain import plain_label

ICON = QSize(64, 128)


class RejectedDialog(QDialog):
    """One tile per rejected crop (its score and frame under it); "Restore selected" asks for them
    back by their stored names."""

    restoreRequested = Signal(list)  # list[str]: crops as stored in the gallery

    def __init__(self, crops: list[tuple[RejectedCrop, str | None]], parent=None) -> None:
        """``crops``: each rejected crop with its resolved file (None when it cannot be shown)."""
        super().__init__(parent)
        self.setWindowTitle("Crops the person filter kept out")
        self.list = QListWidget()
        self.list.setViewMode(QListView.IconMode)
        self.list.setIconSize(ICON)
        self.list.setResizeMode(QListView.Adjust)
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.list.setMovement(QListView.Static)
        for crop, path in crops:
            # plain text only: names come from the gallery's database
            item = QListWidgetItem(f"{crop.person_score:.2f} · frame {crop.frame}")
            item.setToolTip(f"{crop.crop}\nsource {crop.source}, track {crop.track}")
            pix = QPixmap(path) if path else QPixmap()
            if not pix.isNull():
                item.setIcon(QIcon(pix.scaled(ICON, Qt.KeepAspectRatio, Qt.SmoothTransformation)))
            item.setData(Qt.UserRole, crop.crop)
            self.list.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.restore_button = buttons.addButton("Restore selected", QDialogButtonBox.ActionRole)
        self.restore_button.setEnabled(False)
        self.list.itemSelectionChanged.connect(lambda: self.restore_button.setEnabled(bool(self.selected())))
        self.restore_button.clicked.connect(self._restore)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label(f"{len(crops)} crops scored below the model's person threshold and are not searched. "
                                  f"Select the people among them and restore them; each restore is audited."))
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)
        self.resize(760, 520)

    def selected(self) -> list[str]:
        return [i.data(Qt.UserRole) for i in self.list.selectedItems()]

    def _restore(self) -> None:
        crops = self.selected()
        if crops:
            self.restoreRequested.emit(crops)
            self.accept()
