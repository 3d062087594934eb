"""The ``monitor`` command line: every user-facing action goes through here.

Each stage that owns commands exposes ``register(subparsers)``; the handler stored as
``func`` takes the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from monitor import __version__
from monitor.config import load_settings, redacted
from monitor.errors import MonitorError
from monitor.logs import setup_logging

ENV_CONFIG = "MONITOR_CONFIG"

# Modules that add their own sub-commands; heavy imports go inside their handlers.
_EXTENSIONS = (
    "monitor.commands",
    "monitor.facts.cli",
    "monitor.query_cli",
    "monitor.alerts.cli",
    "monitor.backtest",
    "monitor.demo",
    "monitor.api",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the docs test)."""
    parser = argparse.ArgumentParser(
        prog="monitor",
        description="Watch news feeds, track facts in the articles, alert on their changes.",
    )
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    parser.add_argument(
        "--config",
        default=os.environ.get(ENV_CONFIG, "feeds.yaml"),
        help="configuration file (default: $MONITOR_CONFIG or ./feeds.yaml)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log line format on stderr (default: text)",
    )
    parser.add_argument(
        "--log-level",
        default=None,
        choices=("debug", "info", "warning", "error"),
        help="default: info (warning for demo)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("config", help="validate or show the configuration")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="validate the file and exit (default)")
    g.add_argument("--show", action="store_true", help="print the settings, secrets redacted")
    p.set_defaults(func=_cmd_config)

    for name in _EXTENSIONS:
        importlib.import_module(name).register(sub)
    for command in {id(p): p for p in sub.choices.values()}.values():
        if "--config" not in command._option_string_actions:
            # `monitor feeds --config X` as well as `monitor --config X feeds`.
            command.add_argument(
                "--config",
                default=argparse.SUPPRESS,
                help="configuration file (as before the command)",
            )
    return parser


def _cmd_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    if args.show:
        json.dump(redacted(settings), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(
            f"{args.config}: ok ({len(settings.feeds)} feeds, {len(settings.facts)} facts, "
            f"{len(settings.alerts.channels)} alert channels)\n"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``monitor`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # A command may choose a quieter default (the demo prints its own story on stdout).
    setup_logging(args.log_format, args.log_level or getattr(args, "quiet_level", "info"))
    try:
        return int(args.func(args) or 0)
    except MonitorError as exc:
        sys.stderr.write(f"monitor: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("monitor: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
