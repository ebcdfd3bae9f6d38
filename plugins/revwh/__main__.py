"""``python -m revwh``: the same as the ``revwh`` command."""

from revwh.ops.cli import main

raise SystemExit(main())
