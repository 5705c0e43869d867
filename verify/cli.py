"""The ``benign-attn`` command: one subcommand per module in ``verify.commands``.

User mistakes (``theory.validation.InputError``, raised where input enters) end in a one-line
error and exit status 2, an operating-system failure (``OSError``, e.g. a full disk) in a
one-line error and status 1, a numerical failure (``IntegrationError``, an overflow or a
division by zero) in a one-line error naming it and status 1, and any other exception (a bug,
including a plain ``ValueError``) in its traceback and a last line "internal error", status 1.
Ctrl-C exits with 130 and SIGTERM (as sent by ``timeout`` or a batch system) with 143, each
after the same clean-up; because every writer stages or renames atomically, neither loses a
finished result. Messages are one line: newlines and other control characters are escaped and
very long messages are cut.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import traceback
import warnings
from collections.abc import Iterable

from theory.validation import InputError
from verify.commands import COMMANDS, HELP, command_name

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (the usage text stays in ``--help``)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(commands: Iterable[str] | None = None) -> tuple[argparse.ArgumentParser, dict]:
    """The parser of ``benign-attn`` and the handler of each command, by the name the user types.

    Every command is listed (name and help); only those in ``commands`` (module names; default
    all) get their options and a handler, so that ``main`` imports just the chosen command's module.
    """
    # allow_abbrev=False everywhere: a prefix must never silently select a longer option
    # (``--init`` is its own option, not ``--init-w``).
    parser = _Parser(
        prog="benign-attn",
        allow_abbrev=False,
        description="Check benign overfitting in token selection of attention "
        "(Sakamoto & Sato, ICML 2025) against exact training dynamics.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    selected = COMMANDS if commands is None else tuple(commands)
    handlers = {}
    for module_name in COMMANDS:
        name = command_name(module_name)
        command = sub.add_parser(name, help=HELP[module_name], description=HELP[module_name], allow_abbrev=False)
        if module_name in selected:
            module = importlib.import_module(f"verify.commands.{module_name}")
            module.add_arguments(command)
            handlers[name] = module.main
    return parser, handlers


def _chosen(argv: list[str]) -> tuple[str, ...]:
    """The module of the command ``argv`` names (its first word that is not an option), if any."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return tuple(m for m in COMMANDS if command_name(m) == word)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    previous = _install_sigterm()
    previous_format, warnings.formatwarning = warnings.formatwarning, _format_warning
    try:
        argv = sys.argv[1:] if argv is None else argv
        parser, handlers = build_parser(_chosen(argv))
        args = parser.parse_args(argv)
        return _dispatch(handlers[args.command], args)
    except BaseException as exc:
        if not _interrupted(exc):
            raise
        terminated = _caused_by(exc, Terminated)
        # Clean-up has run; a second signal now must not print a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if previous is not None:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(
            f"benign-attn: {'terminated' if terminated else 'interrupted'}; finished results are kept", file=sys.stderr
        )
        return 143 if terminated else 130
    finally:
        warnings.formatwarning = previous_format
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as one line of the command's output, not as a place in the source."""
    return f"benign-attn: warning: {message}\n"


def _install_sigterm():
    """Handle SIGTERM like Ctrl-C in the main thread; returns the previous handler (None when
    not in the main thread, where handlers cannot be set)."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        return None


#: Longest error message printed; a longer one is cut in the middle.
MAX_MESSAGE = 600


def one_line(text: object) -> str:
    """``text`` as one printable line: control characters escaped, cut to ``MAX_MESSAGE``."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    if len(text) > MAX_MESSAGE:
        half = MAX_MESSAGE // 2
        text = f"{text[:half]} ... [{len(text) - 2 * half} characters cut] ... {text[-half:]}"
    return text


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether ``exc`` is, or was raised while handling, an exception of ``kind``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a Ctrl-C.

    Ctrl-C during the start-up imports can surface as an ``ImportError`` ("initialization
    failed") of a compiled module, with the ``KeyboardInterrupt`` only in its context.
    """
    return _caused_by(exc, KeyboardInterrupt)


def _dispatch(handler, args: argparse.Namespace) -> int:
    from numerics.status import IntegrationError

    prefix = f"benign-attn {args.command}: error:"
    try:
        return handler(args)
    except InputError as exc:
        if _interrupted(exc):
            raise
        print(f"{prefix} {one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        if _interrupted(exc):
            raise
        # The system refused a read or write (disk full, permissions): not a bug in the toolkit,
        # and the staged writers have already removed anything partial.
        filename = f" ({one_line(exc.filename)})" if exc.filename else ""
        print(f"{prefix} {one_line(exc.strerror or exc)}{filename}", file=sys.stderr)
        return 1
    except (IntegrationError, ArithmeticError) as exc:
        if _interrupted(exc):
            raise
        # A numerical failure is a result: named, exit 1, nothing partial written.
        print(f"benign-attn {args.command}: numerical failure: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prefix} out of memory (lower the setting or {_memory_env()})", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: its traceback is what a report needs
        if _interrupted(exc):
            raise
        traceback.print_exc()
        print(
            f"benign-attn {args.command}: internal error: {type(exc).__name__}: {one_line(exc)} "
            "(please report it with the traceback above)",
            file=sys.stderr,
        )
        return 1


def _memory_env() -> str:
    from numerics.budget import MEMORY_ENV

    return f"the budget {MEMORY_ENV}"


if __name__ == "__main__":
    sys.exit(main())
