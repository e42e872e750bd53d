"""The project's exceptions."""


class AudioError(ValueError):
  """Audio that cannot be used: unreadable, empty, non-finite, or wrongly shaped.

  The message always names the file (or argument) and what was wrong with it,
  so a failure deep in a dataset build points at the one bad file.
  """
