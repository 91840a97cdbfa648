"""``python -m grimoire``: the same as the ``grimoire`` command."""

from grimoire.cli import main

raise SystemExit(main())
