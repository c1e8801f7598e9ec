"""``python -m netbuilder``: the same as the ``netbuilder`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
