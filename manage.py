#!/usr/bin/env python
"""Django's command-line utility; the environment contract is checked before anything else."""

import os
import sys


def main() -> None:
    from innbox import config

    # runserver's autoreloader starts a child with RUN_MAIN set: announce defaults only once.
    config.load_or_exit(announce_defaults=os.environ.get("RUN_MAIN") != "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
