"""The model's features: mel filter bank, log-mel and its normalisation.

The feature path is ``waveform -> pre_emphasis -> stft -> |.|^2 -> mel -> log
-> normalise``; ``vocoding.py`` inverts it. Conventions: mel spectrograms are
float32 ``[..., frames, num_mel_bins]`` in power units; log-mel is the natural
log of mel power floored at ``config.log_floor``; normalised log-mel maps
``[log(log_floor), log(ref_power)]`` to ``[-1, 1]``.
"""

import functools
import math

import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import AudioConfig
from tf_transforms.signal import stft
from tf_transforms.signal.ops import runtime_constant

# The normalised log-mel of silence (``log(log_floor)`` maps to -1): the floor
# of every generated frame.
NORMALISED_FLOOR = -1.0


@functools.lru_cache(maxsize=None)
def mel_weight_matrix(config: AudioConfig) -> np.ndarray:
  """Slaney-style mel filter bank (librosa's ``filters.mel`` default).

  Triangles are spaced evenly on Slaney's mel scale (linear below 1 kHz,
  logarithmic above) and area-normalised (``norm="slaney"``).

  Returns:
    float32 NumPy array ``[fft_length // 2 + 1, num_mel_bins]``, so that
    ``mel = power_spectrogram @ matrix`` (tf.signal's orientation).
  """
  num_bins = config.num_spectrogram_bins
  fft_freqs = np.linspace(0.0, config.sample_rate / 2, num_bins)
  hz_edges = mel_to_hz(mel_band_edges(config))
  widths = np.diff(hz_edges)
  ramps = hz_edges[:, np.newaxis] - fft_freqs[np.newaxis, :]
  rising = -ramps[:-2] / widths[:-1, np.newaxis]
  falling = ramps[2:] / widths[1:, np.newaxis]
  weights = np.maximum(0.0, np.minimum(rising, falling))  # [mels, bins]
  weights *= (2.0 / (hz_edges[2:] - hz_edges[:-2]))[:, np.newaxis]
  return weights.T.astype(np.float32)


def mel_band_edges(config: AudioConfig) -> np.ndarray:
  """The filter bank's ``num_mel_bins + 2`` edges in Slaney mels, float64,
  evenly spaced: band k rises from edge k, peaks at edge k + 1 (its centre)
  and falls to edge k + 2."""
  return np.linspace(hz_to_mel(config.lower_edge_hertz), hz_to_mel(config.nyquist_upper_edge),
                     config.num_mel_bins + 2)


_MEL_F_SP = 200.0 / 3  # Hz per mel below the break frequency.
_MEL_BREAK_HZ = 1000.0
_MEL_BREAK = _MEL_BREAK_HZ / _MEL_F_SP
_MEL_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(frequencies):
  """Slaney mel scale: linear below 1 kHz, logarithmic above. NumPy."""
  frequencies = np.asarray(frequencies, np.float64)
  linear = frequencies / _MEL_F_SP
  logarithmic = _MEL_BREAK + np.log(
      np.maximum(frequencies, _MEL_BREAK_HZ) / _MEL_BREAK_HZ) / _MEL_LOG_STEP
  return np.where(frequencies >= _MEL_BREAK_HZ, logarithmic, linear)


def hz_to_mel_tensor(frequencies):
  """``hz_to_mel`` in the graph: a float32 tensor of Hz to Slaney mels."""
  linear = frequencies / _MEL_F_SP
  logarithmic = _MEL_BREAK + tf.math.log(
      tf.maximum(frequencies, _MEL_BREAK_HZ) / _MEL_BREAK_HZ) / _MEL_LOG_STEP
  return tf.where(frequencies >= _MEL_BREAK_HZ, logarithmic, linear)


def mel_to_hz(mels):
  """Inverse of ``hz_to_mel``. NumPy."""
  mels = np.asarray(mels, np.float64)
  linear = mels * _MEL_F_SP
  logarithmic = _MEL_BREAK_HZ * np.exp(
      _MEL_LOG_STEP * (np.maximum(mels, _MEL_BREAK) - _MEL_BREAK))
  return np.where(mels >= _MEL_BREAK, logarithmic, linear)


def mel_spectrogram(audio, config: AudioConfig):
  """Mel power spectrogram of a pre-emphasised waveform.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.

  Returns:
    float32 mel power, shape ``[..., 1 + samples // frame_step, num_mel_bins]``.
  """
  emphasised = stft.pre_emphasis(audio, config.pre_emphasis)
  power = stft.power_spectrum(stft.stft(emphasised, config))
  return tf.tensordot(power, runtime_constant(mel_weight_matrix(config), power), 1)


def log_mel_spectrogram(audio, config: AudioConfig):
  """Natural-log mel power, floored at ``config.log_floor``; the model's input.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.

  Returns:
    float32, shape ``[..., 1 + samples // frame_step, num_mel_bins]``.
  """
  return tf.math.log(tf.maximum(mel_spectrogram(audio, config), config.log_floor))


def normalize_log_spectrogram(log_power, config: AudioConfig):
  """Affine map of a log-power spectrogram (mel or linear):
  ``log(log_floor) -> -1``, ``log(ref_power) -> +1``, nothing clipped."""
  low, high = config.log_range
  return (tf.convert_to_tensor(log_power, tf.float32) - low) * (2.0 / (high - low)) - 1.0


def denormalize_log_spectrogram(normalized, config: AudioConfig):
  """Exact inverse of ``normalize_log_spectrogram``."""
  low, high = config.log_range
  return (tf.convert_to_tensor(normalized, tf.float32) + 1.0) * ((high - low) / 2.0) + low


def log_linear_spectrogram(audio, config: AudioConfig):
  """Natural-log linear STFT power of the pre-emphasised waveform, floored at
  ``config.log_floor``: the post-net's target.

  Args:
    audio: float32 waveform ``[..., samples]``.

  Returns:
    float32 ``[..., 1 + samples // frame_step, fft_length // 2 + 1]``.
  """
  power = stft.power_spectrum(stft.stft(stft.pre_emphasis(audio, config.pre_emphasis), config))
  return tf.math.log(tf.maximum(power, config.log_floor))
