import sys

from deepssh_gui.app import main  # absolute: PyInstaller runs this file as a top-level script

sys.exit(main())
