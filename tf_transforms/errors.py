"""The project's exceptions."""


class AudioError(ValueError):
  """Audio that cannot be used: unreadable, empty, non-finite, or wrongly shaped.

  The message always names the file (or argument) and what was wrong with it,
  so a failure deep in a dataset build points at the one bad file.
  """


class RunError(ValueError):
  """A run request that cannot be carried out as given: a model_dir in use by
  another process or holding another run, a missing --init_from, conflicting
  flags. The message names the flag or path and what was wrong; the scripts
  print it as one line, without a traceback."""
