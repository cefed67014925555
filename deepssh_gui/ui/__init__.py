"""The PySide6 desktop GUI. Only this package imports Qt."""
