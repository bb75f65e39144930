"""Errors the library raises for problems a person can fix; the edges turn them into one line.

The command line prints ``locator: error: <message>`` and exits non-zero; the page shows the message.
Neither shows a traceback. Each subclass says what kind of input was wrong, so an edge can add its own
hint (the command line names ``--model``, the page names the host's setting).
"""


class UserError(Exception):
    """A problem with what the user (or the host) gave: a file, a folder, an option, a model."""


class ModelError(UserError):
    """The hand model is missing or cannot be loaded."""


class ImageError(UserError):
    """A photo cannot be read (missing, empty, not an image, corrupt, too large)."""


class LabelsError(UserError):
    """A label file is missing or malformed; the message names the entry and why."""


class OutputError(UserError):
    """An output cannot be written, or would replace something the user made."""
