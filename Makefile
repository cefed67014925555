# Two commands for a fresh machine: `make run` and `make test`. Both create .venv and install.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL := models/deepssh_v6_512_256.pt

.PHONY: run test setup bench demo-gallery dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[train,cluster,test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m deepssh_gui

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "not slow" tests

# Speed figures quoted in docs/ (each prints JSON).
bench: $(STAMP)
	$(PY) -m deepssh_gui.cli bench-encode --images resources/demo/crops
	$(PY) -m deepssh_gui.cli bench --n 1000000 --bits 256 --ivf --json
	$(PY) -m deepssh_gui.cli bench-gui --n 100000

# Rebuild the shipped demo gallery after the shipped model changes.
demo-gallery: $(STAMP)
	rm -rf resources/demo/gallery
	$(PY) -m deepssh_gui.cli gallery build --model $(MODEL) --video resources/demo/vtest.avi --camera vtest \
		--out resources/demo/gallery
	# shipped in rollback-journal mode: read-only opens of a WAL database leave -wal/-shm files behind
	$(PY) -c "import sqlite3; c = sqlite3.connect('resources/demo/gallery/gallery.sqlite'); c.execute('PRAGMA journal_mode=DELETE'); c.close()"

# One-folder PyInstaller application in dist/deepssh-gui/.
dist: $(STAMP)
	$(PY) -m pip install --quiet "pyinstaller>=6.10"
	$(VENV)/bin/pyinstaller --noconfirm --clean build.spec

clean:
	rm -rf $(VENV) build dist .pytest_cache
