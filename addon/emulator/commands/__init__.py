"""Subcommands of ``python -m addon.emulator``: one module per command (see ``cli``)."""
