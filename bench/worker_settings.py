"""Settings for the benchmark's worker processes (bench/automation.py): the queue and WAHA are
measured, not the hotel's pacing, so quiet hours and the send rate limit are off."""

from innbox.settings import *  # noqa: F403

AUTOMATION_QUIET_HOURS_START = AUTOMATION_QUIET_HOURS_END = "00:00"
AUTOMATION_SENDS_PER_MINUTE = 10**6
