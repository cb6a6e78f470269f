"""``python -m modelworks`` runs the CLI."""

from modelworks.cli import main

main()
