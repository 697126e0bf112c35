"""reminderbot: self-care reminders, pain check-ins and escalation for bone metastases."""

__version__ = "0.1.0"

import os as _os

# python-telegram-bot 22 reports durations such as RetryAfter.retry_after as timedelta only when
# asked to; the delivery code is written for timedelta (the coming default).
_os.environ.setdefault("PTB_TIMEDELTA", "1")
