"""``python -m cs_core``: the workspace's command line (see :mod:`cs_core.cli`)."""

from cs_core.cli import main

if __name__ == "__main__":
    main(prog_name="python -m cs_core")
