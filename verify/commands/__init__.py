"""CLI subcommands, one module each with ``add_arguments(parser)`` and ``main(args)``.

The one-line help of every command lives here, not in its module, so that ``benign-attn
--help`` imports no command module; a command's module is imported only when it is the one
chosen. Each module keeps its top-level imports cheap (no SymPy, SciPy or matplotlib): the heavy
work is imported inside ``main``.
"""

#: Modules wired into ``benign-attn``, in the order ``--help`` lists them.
COMMANDS = (
    "run",
    "predict",
    "flow",
    "verify",
    "existence",
    "sweep",
    "regime_map",
    "import_official",
    "figure",
    "derive",
)

#: One-line help of each command, by module name.
HELP = {
    "run": "train by gradient descent, classify the regime, write a run directory with a figure "
    "(exit 1 when a decided check fails)",
    "predict": "predict the regime, condition margins, plateaus and time scales (no simulation)",
    "flow": "integrate the gradient flow (step size -> 0) in log time to a long horizon, record event "
    "times, write a run directory",
    "verify": "check a run directory's trajectory against the theory; print the verdict, and write "
    "report.json and report.md to --out DIR (or into RUN_DIR with --overwrite)",
    "existence": "the v1 existence construction p = mu1 + mu2 + lambda (memorised noise) at chosen lambdas",
    "sweep": "run a resumable parameter sweep (local processes or Dask) and summarise its phase diagram",
    "regime_map": "measure the regime map's two boundary laws (exponents with CIs) and calibrate its constants",
    "import_official": "read an official run (stats_time_step.json + .hydra/config.yaml) into a verifiable "
    "run directory",
    "figure": (
        "draw a figure: dynamics, phase, existence, gaps, delay, plateaus, v1_dynamics, v1_grid or "
        "label_noise (PNG + PDF)"
    ),
    "derive": "run the symbolic derivations (each proves its identities) and print Markdown or LaTeX",
}


def command_name(module_name: str) -> str:
    """What the user types for the command in ``module_name`` (``import_official`` -> ``import-official``)."""
    return module_name.replace("_", "-")
