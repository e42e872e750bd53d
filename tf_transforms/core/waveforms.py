"""What a waveform given to a model must be, checked the same way everywhere:
by the SavedModel in its graph, and by ``LiteTransform`` and the transform
command before any work (NumPy only here: no TensorFlow import).

Digital silence has no note or word to transform (a model would answer it
with a sound of its own) and is refused. Samples are float in [-1, 1]; ``MAX_MAGNITUDE`` leaves room for a resampler's overshoot
of a clipped recording (soxr's ringing on a full-scale square wave stays
under 1.1) and refuses what is not audio in that range: integer samples
passed as floats (peak ~32767), a float file scaled wrongly, one huge value.
"""

import numpy as np

MAX_MAGNITUDE = 1.25


def amplitude_problem(waveform) -> str | None:
  """Why ``waveform`` (float, finite) cannot be transformed -- digital
  silence, or samples outside [-1, 1] beyond ``MAX_MAGNITUDE`` -- as the end
  of a one-line message, or None."""
  waveform = np.asarray(waveform)
  if not waveform.size:
    return None
  peak = float(np.max(np.abs(waveform)))
  if peak == 0.0:
    return "is digital silence (every sample 0): there is nothing to transform"
  if peak <= MAX_MAGNITUDE:
    return None
  if peak > 2.0 and np.all(waveform == np.round(waveform)):
    scale = 32768 if peak < 32769 else 2 ** 31
    return (f"has samples up to {peak:g}, outside [-1, 1]: it looks like integer samples "
            f"given as floats; divide by {scale}")
  return (f"has samples up to {peak:g}, outside [-1, 1] (tolerance ±{MAX_MAGNITUDE:g}); "
          "scale it into [-1, 1]")


# The least value a normalised log-mel frame holds (melspec.NORMALISED_FLOOR, -1,
# less a rounding margin): natural-log mel power itself (about -11.5 at the
# floor) is refused, not transformed as if it were normalised.
MIN_NORMALISED_LOG_MEL = -1.05
