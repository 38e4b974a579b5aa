"""The one colour set of the screens.

One red for every error line, refusal, lateness and warning; one amber, green and grey for
the states of steps and cases; one navy for titles. Dialogs and views import these names
instead of writing their own hex values, so the screens agree and a change is made here.
"""

from __future__ import annotations

RED = "#b3261e"  # errors, refusals, overdue work, an escalation
RED_BACKGROUND = "#fde7e4"  # behind red text (an urgent count)
AMBER = "#8a5a00"  # a warning that is not yet an error, a step back, paused
GREEN = "#1e6b34"  # done, kept
GREY = "#666666"  # dates, hints, what is secondary
HINT = "#5b6270"  # explanatory text under a form
NAVY = "#12355b"  # titles, the case number

ERROR_STYLE = f"color: {RED};"  # an error line (see widgets.error_label)
