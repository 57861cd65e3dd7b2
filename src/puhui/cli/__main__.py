"""``python -m puhui.cli``: the ``puhui`` command."""

import sys

from puhui.cli import main

sys.exit(main())
