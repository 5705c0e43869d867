"""Read README.md the way a first-time user does: its fenced code blocks, its figures and their
captions, and the commands in both, so the tests in this folder can run them.

Block kinds (by their content, not by their place in the README):

- set-up: a one-line block starting with ``pip install``;
- example: a block with lines starting with ``$ ``; each such line is a command and the lines
  up to the next ``$ `` line are the output the README shows for it;
- synopsis: a block whose lines start with ``benign-attn`` (or continue the previous one,
  indented) and list options in ``[...]``: not commands, checked against ``--help`` instead;
- anything else (a directory listing, a list of pytest commands) is read only where a test
  asks for it.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"


@dataclasses.dataclass(frozen=True)
class Block:
    line: int  # 1-based line number of the opening fence
    lines: tuple[str, ...]

    @property
    def kind(self) -> str:
        if len(self.lines) == 1 and self.lines[0].startswith("pip install"):
            return "setup"
        if any(line.startswith("$ ") for line in self.lines):
            return "example"
        heads = [line for line in self.lines if line and not line[0].isspace()]
        if heads and all(h.startswith("benign-attn ") for h in heads) and any("[" in h for h in heads):
            return "synopsis"
        return "other"


@dataclasses.dataclass(frozen=True)
class Example:
    """One ``$ `` command of an example block and the output the README shows after it."""

    block: int
    command: str  # as written, without the shell comment
    shown: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str  # docs/figures/NAME.png
    line: int
    caption: str  # the italic paragraph under the image, on one line
    commands: tuple[str, ...]  # `benign-attn ...` spans of the caption, in order


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def blocks(text: str | None = None) -> list[Block]:
    """Every fenced code block of the README, in order."""
    lines = (text if text is not None else readme_text()).splitlines()
    found, start, body = [], None, []
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            if start is None:
                start, body = number, []
            else:
                found.append(Block(start, tuple(body)))
                start = None
        elif start is not None:
            body.append(line)
    assert start is None, f"README.md: code fence opened at line {start} is never closed"
    return found


def strip_comment(command: str) -> str:
    """The command without a trailing shell comment ("# 1521 cells in ~45 s")."""
    return shlex.join(shlex.split(command, comments=True))


def examples(text: str | None = None) -> list[Example]:
    found = []
    for block in blocks(text):
        if block.kind != "example":
            continue
        current, shown = None, []
        for line in block.lines:
            if line.startswith("$ "):
                if current is not None:
                    found.append(Example(block.line, current, tuple(shown)))
                current, shown = strip_comment(line[2:]), []
            else:
                assert current is not None, f"README.md line {block.line}: output before the first $ line"
                shown.append(line)
        found.append(Example(block.line, current, tuple(shown)))
    return found


def synopsis_entries(text: str | None = None) -> dict[str, str]:
    """Subcommand -> its synopsis text (first line and indented continuation lines joined)."""
    entries: dict[str, str] = {}
    for block in blocks(text):
        if block.kind != "synopsis":
            continue
        name = None
        for line in block.lines:
            if line.startswith("benign-attn "):
                name = line.split()[1]
                assert name not in entries, f"README synopsis lists {name} twice"
                entries[name] = line[len("benign-attn " + name) :]
            elif line.strip():
                entries[name] += " " + line.strip()
    return entries


def figures(text: str | None = None) -> list[Figure]:
    """Every ``![...](docs/figures/NAME.png)`` with the commands quoted in its caption."""
    lines = (text if text is not None else readme_text()).splitlines()
    found = []
    for number, line in enumerate(lines):
        match = re.fullmatch(r"!\[[^\]]*\]\(docs/figures/([\w-]+)\.png\)", line.strip())
        if not match:
            continue
        caption, following = [], number + 1
        while following < len(lines) and not lines[following].strip():
            following += 1
        while following < len(lines) and lines[following].strip():
            caption.append(lines[following].strip())
            following += 1
        joined = " ".join(caption)
        commands = tuple(strip_comment(span) for span in re.findall(r"`(benign-attn [^`]+)`", joined))
        found.append(Figure(match.group(1), number + 1, joined, commands))
    return found


def argv(command: str) -> list[str]:
    """A README command as a real process: ``benign-attn`` -> this interpreter's ``-m verify.cli``."""
    words = shlex.split(command)
    assert words[0] == "benign-attn", f"not a benign-attn command: {command!r}"
    return [sys.executable, "-m", "verify.cli", *words[1:]]
