"""The ``benign-attn`` command: one subcommand per module in ``verify.commands``.

User mistakes (``ValueError`` from validation) end in a one-line error and exit status 2,
an operating-system failure (``OSError``, e.g. a full disk) in a one-line error and status 1;
Ctrl-C exits with 130 and, because every writer stages or renames atomically, loses no
finished result.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from verify.commands import COMMANDS

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (the usage text stays in ``--help``)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    # allow_abbrev=False everywhere: a prefix must never silently select a longer option
    # (``--init`` is its own option, not ``--init-w``).
    parser = _Parser(
        prog="benign-attn", allow_abbrev=False,
        description="Check benign overfitting in token selection of attention "
                    "(Sakamoto & Sato, ICML 2025) against exact training dynamics.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    handlers = {}
    for module_name in COMMANDS:
        module = importlib.import_module(f"verify.commands.{module_name}")
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP, allow_abbrev=False)
        module.add_arguments(command)
        handlers[module.NAME] = module.main
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    try:
        parser, handlers = build_parser()
        args = parser.parse_args(argv)
        return _dispatch(handlers[args.command], args)
    except BaseException as exc:
        if not _interrupted(exc):
            raise
        print("benign-attn: interrupted; finished results are kept", file=sys.stderr)
        return 130


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a Ctrl-C.

    Ctrl-C during the start-up imports can surface as an ``ImportError`` ("initialization
    failed") of a compiled module, with the ``KeyboardInterrupt`` only in its context.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _dispatch(handler, args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except ValueError as exc:
        if _interrupted(exc):
            raise
        print(f"benign-attn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if _interrupted(exc):
            raise
        # The system refused a read or write (disk full, permissions): not a bug in the toolkit,
        # and the staged writers have already removed anything partial.
        print(f"benign-attn {args.command}: error: {exc.strerror or exc}"
              f"{f' ({exc.filename})' if exc.filename else ''}", file=sys.stderr)
        return 1

if __name__ == "__main__":
    sys.exit(main())
