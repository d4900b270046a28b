"""The notification engine: the realtime event feed (and, later, the SMS channel)."""
