"""``benign-attn derive [NAME]``: run the executable derivations and print them.

Each derivation proves its identities before printing; ``--out DIR`` also writes its Markdown
and standalone LaTeX into DIR (the committed snapshots live in ``derivations/_generated``, which
a test regenerates).

Paper: our derivations (see ``derivations``).
"""

from __future__ import annotations

import argparse
import sys

import derivations


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``NAME`` (optional; all when omitted), ``--list``, ``--format``, ``--write``.

    Paper: none (command-line interface).
    """
    parser.add_argument(
        "name",
        nargs="?",
        choices=derivations.NAMES,
        metavar="NAME",
        help=f"one derivation: {', '.join(derivations.NAMES)} (default: all)",
    )
    parser.add_argument("--list", action="store_true", help="list the derivations and exit")
    parser.add_argument(
        "--format",
        choices=("md", "tex"),
        default="md",
        help="print Markdown with LaTeX math or plain LaTeX (default: %(default)s)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="also write each derivation's Markdown and standalone LaTeX into DIR"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def main(args: argparse.Namespace) -> int:
    """Print the chosen derivations (running their proofs).

    Paper: none (command-line interface).
    """
    from verify.files import check_writable_parent

    if args.list:
        for name in derivations.NAMES:
            print(f"{name}: {derivations.summary(name)}")
        return 0
    out = None if args.out is None else check_writable_parent(args.out)
    for name in (args.name,) if args.name else derivations.NAMES:
        if not args.quiet:
            # Some derivations take seconds of SymPy work: say what is running.
            print(f"derive: {name} (proving its identities) ...", file=sys.stderr, flush=True)
        if out is not None:
            derivations.write(name, out)
        print(derivations.render(name)[args.format])
    return 0
