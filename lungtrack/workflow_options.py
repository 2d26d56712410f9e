"""The command-line flags that carry the workflow's config to each `lungtrack` subcommand.

Each subcommand module declares ``OPTIONS``, the config keys it takes as flags (config section ->
keys); :func:`cli_options` turns the config's values of those keys into the flags, named like the
keys (see :func:`lungtrack.settings.command_line`). The rules put the result in ``params:``, so that
a changed key reruns the jobs that read it.
"""

import importlib
import shlex

from lungtrack.cli import COMMANDS
from lungtrack.settings import command_line


def command_options(command: str) -> dict[str, list[str]]:
    """Config section -> keys that ``lungtrack <command>`` takes from the config."""
    return importlib.import_module(f"lungtrack.cli.{COMMANDS[command]}").OPTIONS


def option_words(config: dict, command: str) -> list[str]:
    """The flags (unquoted words) giving ``config``'s values of the command's keys."""
    return [word for section, keys in command_options(command).items()
            for word in command_line(config[section], section, keys)]


def cli_options(config: dict, command: str) -> str:
    """:func:`option_words` as one shell-quoted string, for a rule's ``params:``."""
    return shlex.join(option_words(config, command))
