"""``python -m engine.cli``: the xinshi command."""

from engine.cli import main

main()
