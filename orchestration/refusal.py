"""The one kind of error a command answers with exit code 2: it did not start, and says why.

Its message is written for the person at the terminal (or reading the failure e-mail): what is wrong,
that nothing was changed, and the command that puts it right.
"""

from __future__ import annotations


class RefusedToStart(RuntimeError):
    """A command that will not start, or a reader that will not read, for a reason a person can act on."""
