"""Errors that reach the user as one line, never as a traceback."""


class UserError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""
