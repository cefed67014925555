import sys

from deepssh_gui.cli import main

sys.exit(main())
