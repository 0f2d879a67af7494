"""Keeping tests that count requests per minute clear of the minute's end."""
import time


def clear_of_minute_end(seconds_needed: float = 10.0) -> None:
    """rpm counters start again at each minute: when fewer than `seconds_needed`
    are left of this one, sleep into the next, so a test's requests all count in
    one window."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.1)
