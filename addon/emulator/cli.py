"""``python -m addon.emulator [command] ...``: argparse with one subcommand per module in
``addon.emulator.commands``; ``serve`` is the default when no command is named.

A command module defines ``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``;
dropping a new module into the package adds a subcommand.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Sequence
from types import ModuleType

from addon.emulator import commands

DEFAULT_COMMAND = "serve"


def command_modules() -> list[ModuleType]:
    """Every command module in ``addon.emulator.commands``, sorted by name."""
    modules = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            modules.append(module)
    return sorted(modules, key=lambda m: m.NAME)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m addon.emulator", description="A local HipChat server (REST API v2)."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.configure(child)
        child.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (``serve`` assumed when no command is given) and run the command."""
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    names = {module.NAME for module in command_modules()}
    if not args_list or (args_list[0] not in names and args_list[0] not in ("-h", "--help")):
        args_list.insert(0, DEFAULT_COMMAND)
    args = parser.parse_args(args_list)
    return int(args.run(args))
