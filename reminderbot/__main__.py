"""Allow `python -m reminderbot`."""

from reminderbot.cli.main import main

main()
