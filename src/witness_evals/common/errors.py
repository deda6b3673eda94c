"""Error types shared by every layer.

`InputError` is for input that cannot be processed (malformed file, wrong type, hostile module):
the CLI prints it as one line naming the source and the place, and exits with code 2.
"""

from __future__ import annotations


class WitnessError(Exception):
    """Base class of every error raised by the Witness model."""


class InputError(WitnessError):
    """Bad input: `source` names the file (or other origin), `location` the place inside it."""

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None) -> None:
        self.message = " ".join(str(message).split())  # always one line
        self.source = source
        self.location = location
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ":".join(p for p in (self.source, self.location) if p)
        return f"{where}: {self.message}" if where else self.message

    def at(self, source: str | None = None, location: str | None = None) -> InputError:
        """Return a copy with source/location filled in where they were missing."""
        return InputError(self.message, source=self.source or source, location=self.location or location)
