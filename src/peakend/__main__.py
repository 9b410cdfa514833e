"""``python -m peakend``: the ``peakend`` command."""

from peakend.cli.main import main

if __name__ == "__main__":
    main(prog_name="peakend")
