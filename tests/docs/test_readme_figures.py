"""Every figure in README.md is what its caption's command draws today.

For each ``![...](docs/figures/NAME.png)`` the commands come from the caption (its
``benign-attn ...`` spans, in order); a caption that quotes none takes the ``$`` commands of the
example block just above the image (the phase figure); a caption whose command reads
``--run DIR`` without making DIR uses the run the caption points to ("the flow run of the delay
figure above"). The commands run as real processes in an empty folder, and the
``figures/NAME.png`` they write is compared with the committed one by
``matplotlib.testing.compare.compare_images``.

Tolerance: RMS 2 (pixel values 0-255). The same software renders these figures bit for bit
(RMS 0 for the five up-to-date figures, re-rendered here: float64 numerics with fixed seeds),
so the tolerance only absorbs anti-aliasing differences between platforms. It is far below what
a real change costs, measured: the existence figure at another seed differs by RMS 13.8, the
phase figure with today's regime counts by 21.8, the gaps figure with another gap definition
by 41.9, any figure shifted by one pixel by 25-30; estimated: one changed short label (~400
pixels at full contrast out of ~900 000) by about RMS 4.

Seen to fail: the committed phase figure against today's sweep (RMS 21.8, recorded below as a
known stale figure), and the existence figure rendered at ``--seed 43``.
"""

from __future__ import annotations

import re
import shutil

import pytest
from matplotlib.testing.compare import compare_images
from readme_blocks import REPO_ROOT, Figure, blocks, examples, figures
from test_readme_commands import run_command

TOLERANCE = 2.0

#: Figures whose commands take more than ~10 s (a flow to 1e8 and two figures, three 1000-step
#: runs for the plateaus and for v1 Fig. 3, the 1521-cell paper sweep for the phase diagram, the
#: 19-cell label-noise study at d = 12000, the 400-cell v1 grid, the regime map).
SLOW = {
    "delay",
    "gaps",
    "plateaus",
    "phase",
    "regime_map",
    "regime_map_sensitivity",
    "regime_map_local_exponents",
    "label_noise",
    "v1_dynamics",
    "v1_grid",
}

#: Commands that write figures of their own (not ``benign-attn figure NAME``): the caption names
#: the file they write under their ``--out`` directory, e.g. ``figures/regime_map.png``.
PRODUCERS = ("benign-attn regime-map",)

#: Committed figures that do not match their command today, and why (the README owner
#: regenerates them). Strict: once regenerated, the entry must go.
STALE: dict[str, str] = {}

#: Committed figures of commands too long for any test run (the caption says so); their caption
#: must still name the command and the file it writes.
NOT_REDRAWN = {
    name: "the full regime-map design takes about 70 minutes on 2 cores"
    for name in ("regime_map_full", "regime_map_full_local_exponents")
}


def commands_for(figure: Figure, all_figures: list[Figure]) -> tuple[str, ...]:
    commands = figure.commands
    if not commands:
        # No command in the caption: the example block just above the image draws it.
        above = [b for b in blocks() if b.kind == "example" and b.line < figure.line]
        assert above, f"figure {figure.name}: no command in its caption and no example block above it"
        commands = tuple(e.command for e in examples() if e.block == above[-1].line)
    uses = set(re.findall(r"--run (\S+)", " ".join(commands)))
    made = set(re.findall(r"--out (\S+)", " ".join(commands)))
    for folder in uses - made:
        # "on the flow run of the delay figure above": the nearest earlier figure that makes it.
        source = next(
            f for f in reversed(all_figures[: all_figures.index(figure)]) if f"--out {folder}" in " ".join(f.commands)
        )
        assert f"{source.name} figure" in figure.caption, (
            f"figure {figure.name} reads --run {folder} but its caption does not point to the {source.name} figure"
        )
        commands = tuple(c for c in source.commands if f"--out {folder}" in c) + commands
    assert any(c.startswith(f"benign-attn figure {figure.name}") for c in commands) or (
        any(c.startswith(PRODUCERS) for c in commands) and produced_file(figure)
    ), f"figure {figure.name}: its commands do not draw it: {commands}"
    return commands


def produced_file(figure: Figure) -> str | None:
    """The file a producing command writes for this figure, as its caption names it."""
    match = re.search(r"`(figures/\w+\.png)`", figure.caption)
    return match.group(1) if match else None


def _params():
    found = figures()
    params = []
    for figure in found:
        marks = [pytest.mark.slow] if figure.name in SLOW else []
        if figure.name in NOT_REDRAWN:
            marks.append(pytest.mark.skip(reason=NOT_REDRAWN[figure.name]))
        if figure.name in STALE:
            marks.append(pytest.mark.xfail(strict=True, reason=STALE[figure.name]))
        params.append(pytest.param(figure, commands_for(figure, found), id=figure.name, marks=marks))
    return params


def test_readme_embeds_figures():
    names = [f.name for f in figures()]
    assert len(names) == len(set(names)) >= 6, names
    for name in names:
        assert (REPO_ROOT / "docs" / "figures" / f"{name}.png").is_file(), name


_PRODUCED: dict[tuple[str, ...], object] = {}


@pytest.mark.parametrize("figure,commands", _params())
def test_readme_figure_is_what_its_caption_draws(figure, commands, tmp_path, tmp_path_factory):
    producer = any(c.startswith(PRODUCERS) for c in commands)
    # A producing command (several minutes) runs once for all the figures it writes.
    folder = _PRODUCED.setdefault(commands, tmp_path_factory.mktemp("produced")) if producer else tmp_path
    if not producer or not any(folder.iterdir()):
        for command in commands:
            result = run_command(command, folder)
            assert result.returncode == 0, f"{command}: exit {result.returncode}\n{result.stderr[-2000:]}"
    if producer:
        out = re.search(r"--out (\S+)", " ".join(commands)).group(1)
        rendered = folder / out / produced_file(figure)
    else:
        rendered = folder / "figures" / f"{figure.name}.png"
    assert rendered.is_file(), f"{commands[-1]} did not write figures/{figure.name}.png"
    committed = REPO_ROOT / "docs" / "figures" / f"{figure.name}.png"
    expected = tmp_path / f"committed-{figure.name}.png"
    shutil.copyfile(committed, expected)  # compare_images writes its diff image beside its inputs
    failure = compare_images(str(expected), str(rendered), tol=TOLERANCE)
    assert failure is None, failure
