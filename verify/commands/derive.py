"""``benign-attn derive [NAME]``: run the executable derivations and print them.

Each derivation proves its identities before printing; ``--write`` also refreshes the
snapshots in ``derivations/_generated``.

Paper: our derivations (see ``derivations``).
"""

from __future__ import annotations

import argparse

import derivations

NAME = "derive"
HELP = "run the symbolic derivations (each proves its identities) and print Markdown or LaTeX"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``NAME`` (optional; all when omitted), ``--list``, ``--format``, ``--write``.

    Paper: none (command-line interface).
    """
    parser.add_argument("name", nargs="?", choices=derivations.NAMES, metavar="NAME",
                        help=f"one derivation: {', '.join(derivations.NAMES)} (default: all)")
    parser.add_argument("--list", action="store_true", help="list the derivations and exit")
    parser.add_argument("--format", choices=("md", "tex"), default="md",
                        help="print Markdown with LaTeX math or plain LaTeX (default: %(default)s)")
    parser.add_argument("--write", action="store_true",
                        help="also write the snapshots to derivations/_generated")


def main(args: argparse.Namespace) -> int:
    """Print the chosen derivations (running their proofs).

    Paper: none (command-line interface).
    """
    if args.list:
        for name in derivations.NAMES:
            print(f"{name}: {derivations.summary(name)}")
        return 0
    for name in (args.name,) if args.name else derivations.NAMES:
        if args.write:
            derivations.write(name)
        print(derivations.render(name)[args.format])
    return 0
