"""reminderbot: self-care reminders, pain check-ins and escalation for bone metastases."""

__version__ = "0.1.0"
