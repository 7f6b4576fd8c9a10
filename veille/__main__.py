"""Allow ``python -m veille`` where the console script is not on PATH."""

from veille.cli import main

main()
