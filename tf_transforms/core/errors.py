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


class TransformError(ValueError):
  """A transform request that cannot be carried out: an output location that
  cannot be written, audio too short or too long for the export, an unknown
  style name. The message names the flag and what was wrong."""


class LiteError(ValueError):
  """A request the TFLite file cannot answer correctly (``lite.LiteTransform``):
  the message names the input and what was wrong, as the SavedModel's
  signatures would."""


class DatasetError(RunError):
  """Data that cannot be prepared or read: a manual directory without the
  expected files, too many unreadable audio files, a missing synthesiser, a
  damaged prepared dataset. The message names the directory or file and what
  to do."""


class DivergedError(RunError):
  """Training produced a non-finite loss; the last good checkpoint is kept."""


# What a user can cause and fix: printed by the scripts as one line, without a
# traceback. Anything else is a bug and keeps its traceback.
USER_ERRORS = (RunError, AudioError, TransformError, LiteError, FileExistsError)
TRACEBACK_VARIABLE = "TF_TRANSFORMS_TRACEBACK"


def reported_in_one_line(main):
  """Decorates a script's absl ``main``: a user error (``USER_ERRORS``) exits
  non-zero with its one-line message and no traceback; set the environment
  variable TF_TRANSFORMS_TRACEBACK=1 to see the traceback anyway."""
  import functools
  import os
  import sys

  @functools.wraps(main)
  def wrapped(argv):
    try:
      return main(argv)
    except USER_ERRORS as error:
      if os.environ.get(TRACEBACK_VARIABLE):
        raise
      # Not absl's UsageError, which prints the whole --help before the message.
      script = os.path.basename(argv[0]) if argv else "tf_transforms"
      print(f"{script}: error: {error}", file=sys.stderr, flush=True)
      sys.exit(1)
  return wrapped
