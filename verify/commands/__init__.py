"""CLI subcommands, one module each: ``NAME``, ``HELP``, ``add_arguments(parser)``, ``main(args)``."""

#: Modules wired into ``benign-attn``, in the order ``--help`` lists them.
COMMANDS = ("run", "predict", "flow", "verify", "existence", "sweep", "regime_map", "import_official", "figure",
            "derive")
