"""Reading and writing audio files, with validation.

Decoding uses soundfile (libsndfile), which reads WAV (8/16/24/32-bit integer
and 32/64-bit float), FLAC, OGG/Vorbis and NIST SPHERE (TIMIT's ``.WAV``).
tensorflow-io is deliberately not used: its last release cannot load its
native ops on TF 2.21. Resampling uses soxr's "HQ" quality (librosa's default
resampler).

Every failure raises ``AudioError`` naming the file and the reason.
"""

import io
import math
import os
import warnings

import numpy as np
import soundfile
import soxr
import tensorflow as tf

from tf_transforms.core.configs import AudioConfig
from tf_transforms.core.errors import AudioError
from tf_transforms.core.files import atomic_output

DEFAULT_SAMPLE_RATE = AudioConfig.sample_rate  # the front-end's rate (16 kHz)


def read_audio(path, sample_rate: int | None = DEFAULT_SAMPLE_RATE) -> np.ndarray:
  """Reads an audio file as mono float32 at ``sample_rate``.

  Multi-channel audio is averaged to mono; other rates are resampled with
  soxr (HQ). Integer PCM is scaled to [-1, 1). Digital silence is valid audio
  and is returned as zeros.

  Args:
    path: file path (str or os.PathLike); any filesystem tf.io.gfile reads
      (local, gs://, ...).
    sample_rate: output rate in Hz, or None to keep the file's rate.

  Returns:
    float32 array ``[samples]``.

  Raises:
    AudioError: the file is missing, empty, unreadable, has no samples, or
      contains NaN / Inf.
  """
  path = os.fspath(path)
  if not tf.io.gfile.exists(path) or tf.io.gfile.isdir(path):
    raise AudioError(f"{path}: no such audio file")
  if tf.io.gfile.stat(path).length == 0:
    raise AudioError(f"{path}: file is empty (0 bytes)")
  with tf.io.gfile.GFile(path, "rb") as handle:
    return _decode(handle.read(), path, sample_rate)


def decode_audio(data: bytes, name: str, sample_rate: int | None = DEFAULT_SAMPLE_RATE):
  """``read_audio`` for encoded bytes (e.g. a synthesizer's stdout).

  Args:
    data: the encoded file's bytes.
    name: what to call it in error messages.
    sample_rate: output rate in Hz, or None to keep the file's rate.
  """
  if not data:
    raise AudioError(f"{name}: empty (0 bytes)")
  return _decode(data, name, sample_rate)


# A mono mix this much quieter than its channels (RMS ratio, -20 dB) means the
# channels cancel: anti-phase stereo, which averaging turns into near silence.
CANCELLED_MIX = 0.1
# Rates outside this range are a broken header, not audio (8 kHz telephony to
# 384 kHz studio recordings).
PLAUSIBLE_SAMPLE_RATES = (4000, 384000)


def _missing_wav_bytes(data: bytes) -> int:
  """Bytes a RIFF/WAVE file's data chunk claims beyond the end of the file
  (0 if complete, not a WAV, or written by a streaming writer that left the
  size unset). libsndfile silently reads what is there; a cut-off download or
  copy should be refused instead."""
  if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
    return 0
  offset = 12
  while offset + 8 <= len(data):
    chunk, size = data[offset:offset + 4], int.from_bytes(data[offset + 4:offset + 8], "little")
    if chunk == b"data":
      if size == 0 or size >= 0x7FFF0000:  # streaming writers' "unknown" (espeak-ng: 0x7FFFF000)
        return 0
      return max(0, size - (len(data) - offset - 8))
    offset += 8 + size + (size & 1)
  return 0


def _decode(encoded: bytes, name, sample_rate):
  missing = _missing_wav_bytes(encoded)
  if missing:
    raise AudioError(f"{name}: truncated WAV file: its header announces {missing} more bytes "
                     "of audio than the file holds (an interrupted download or copy?)")
  try:
    data, file_rate = soundfile.read(io.BytesIO(encoded), dtype="float32", always_2d=True)
  except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
    reason = getattr(error, "error_string", None) or str(error)  # not "<GFile object ...>"
    raise AudioError(f"{name}: cannot decode audio ({reason})") from error
  if data.shape[0] == 0:
    raise AudioError(f"{name}: file holds zero audio samples")
  low, high = PLAUSIBLE_SAMPLE_RATES
  if not low <= file_rate <= high:
    raise AudioError(f"{name}: implausible sample rate {file_rate} Hz (expected {low}-{high} "
                     "Hz; a damaged header?)")
  if not np.all(np.isfinite(data)):
    bad = int(np.sum(~np.isfinite(data)))
    raise AudioError(f"{name}: {bad} non-finite (NaN or Inf) samples")
  audio = data.mean(axis=1, dtype=np.float32)  # [samples]
  if data.shape[1] > 1:
    channels = float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))
    mixed = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if channels > 0 and mixed < CANCELLED_MIX * channels:
      warnings.warn(f"{name}: its {data.shape[1]} channels cancel when averaged to mono "
                    f"({20 * math.log10(max(mixed, 1e-30) / channels):.0f} dB): they may be "
                    "in anti-phase; pass one channel instead", stacklevel=3)
  if sample_rate is not None and file_rate != sample_rate:
    if sample_rate <= 0:
      raise ValueError(f"sample_rate must be > 0. Received sample_rate={sample_rate}")
    audio = soxr.resample(audio, file_rate, sample_rate, quality="HQ")
  return np.ascontiguousarray(audio, dtype=np.float32)


# The formats write_audio writes, by file extension.
WRITTEN_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}


def written_format(path) -> str:
  """The soundfile format ``write_audio`` writes ``path`` in (by its
  extension); AudioError for another extension."""
  extension = os.path.splitext(os.fspath(path))[1].lower()
  if extension not in WRITTEN_FORMATS:
    raise AudioError(f"{path}: cannot write {extension or 'a file without an extension'}; "
                     f"give one of {', '.join(WRITTEN_FORMATS)}")
  return WRITTEN_FORMATS[extension]


def write_audio(path, audio, sample_rate: int = DEFAULT_SAMPLE_RATE, *,
                overwrite: bool = False, subtype: str = "PCM_16") -> None:
  """Writes a mono waveform as a WAV, FLAC or Ogg Vorbis file (by the
  extension of ``path``), atomically.

  The data go to a temporary file in the same directory that is renamed over
  ``path`` only once complete, so an interrupted write never leaves a
  half-written file behind.

  Args:
    path: destination ``.wav``, ``.flac`` or ``.ogg`` path.
    audio: float waveform ``[samples]`` in [-1, 1].
    sample_rate: Hz.
    overwrite: replace an existing file; otherwise refuse.
    subtype: soundfile subtype, e.g. "PCM_16", "PCM_24", "FLOAT" (WAV; Ogg is
      always Vorbis).

  Raises:
    AudioError: the audio is empty, not 1-D, non-finite, or (for integer
      subtypes) outside [-1, 1]; FileExistsError: ``path`` exists and
      ``overwrite`` is False.
  """
  path = os.fspath(path)
  file_format = written_format(path)
  if file_format == "OGG":
    subtype = "VORBIS"
  audio = np.asarray(audio, dtype=np.float32)
  if audio.ndim != 1:
    raise AudioError(f"{path}: expected a mono waveform of shape [samples], "
                     f"received shape {audio.shape}")
  if audio.size == 0:
    raise AudioError(f"{path}: refusing to write zero samples")
  if not np.all(np.isfinite(audio)):
    raise AudioError(f"{path}: refusing to write {int(np.sum(~np.isfinite(audio)))}"
                     " non-finite (NaN or Inf) samples")
  peak = float(np.max(np.abs(audio)))
  if subtype.startswith("PCM") and peak > 1.0:
    raise AudioError(f"{path}: peak amplitude {peak:.3f} > 1 would clip in "
                     f"{subtype}; scale the audio or use subtype='FLOAT'")
  if os.path.exists(path) and not overwrite:
    raise FileExistsError(f"{path}: already exists; pass overwrite=True to replace it")
  with atomic_output(os.path.abspath(path)) as temporary:
    soundfile.write(temporary, audio, sample_rate, subtype=subtype, format=file_format)
