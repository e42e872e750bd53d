"""Generated harmonic combs: what a note at a given pitch looks like through
the front-end, whatever the instrument.

A comb is equal-amplitude harmonics of one fundamental (random, seeded
phases) up to Nyquist, rendered as a waveform and passed through the model's
own front-end (``audio.log_mel_spectrogram``, normalised); its middle frame
is the comb. Its fine structure (the comb minus its smooth part, see
``layers.heads.SourceFilterHead``) puts a harmonic wherever the pitch puts
one, including where a given source instrument has none: the
``harmonic_comb`` head builds its output on it, and
``scripts/head_oracles.py`` measured what that can reach
(docs/results.md, "Notes that take on the target").
"""

import functools

import numpy as np
import tensorflow as tf

from tf_transforms import audio
from tf_transforms.configs import AudioConfig

SECONDS = 0.3    # rendered length: several frames of steady state around the middle one
PEAK = 0.1       # peak amplitude of the rendered comb
# The bank the harmonic_comb head chooses from: MIDI 24-96 (C1-C7, 32.7 Hz -
# 2.1 kHz; gm_notes plays 36-84) in 10-cent steps (721 combs).
BANK_LOWEST_MIDI, BANK_HIGHEST_MIDI, BANK_CENTS = 24.0, 96.0, 10.0


def midi_to_hz(midi):
  return 440.0 * 2.0 ** ((np.asarray(midi, np.float64) - 69.0) / 12.0)


def comb_waveforms(midi, config: AudioConfig, seed=0, span=None) -> np.ndarray:
  """float32 ``[P, samples]``: the combs' waveforms, one per MIDI number in
  ``midi`` (``[P]``, fractional allowed), samples ``span = (start, stop)`` of
  a ``SECONDS`` rendering (default: all of it), each scaled to peak ``PEAK``
  over those samples."""
  midi = np.atleast_1d(np.asarray(midi, np.float64))
  t = np.arange(*(span or (0, int(SECONDS * config.sample_rate)))) / config.sample_rate
  waveforms = np.zeros([len(midi), len(t)], np.float64)
  for row, f0 in enumerate(midi_to_hz(midi)):
    harmonics = np.arange(1, int(config.sample_rate / 2 / f0) + 1)
    phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(harmonics))
    signal = np.cos(2 * np.pi * f0 * harmonics[:, None] * t + phases[:, None]).sum(0)
    waveforms[row] = PEAK * signal / np.abs(signal).max()
  return waveforms.astype(np.float32)


def _middle_frame(config: AudioConfig) -> tuple[int, int]:
  """The middle frame of a ``SECONDS`` rendering: its centre sample, and how
  many frames precede it in ``middle_frame_span``."""
  centre = (config.num_frames(int(SECONDS * config.sample_rate)) // 2) * config.frame_step
  return centre, -(-(config.frame_length // 2 + 1) // config.frame_step)


def middle_frame_span(config: AudioConfig) -> tuple[int, int]:
  """The samples of a ``SECONDS`` rendering that its middle frame reads (the
  centred window, and one sample before it for pre-emphasis), rounded out
  to whole hops before the middle: ``(start, stop)``."""
  centre, lead = _middle_frame(config)
  return centre - lead * config.frame_step, centre + config.frame_length // 2 + 1


def _middle_log_mel(waveforms, config: AudioConfig) -> np.ndarray:
  """The normalised log-mel middle frame [P, F] of ``middle_frame_span``'s samples [P, n]."""
  with tf.init_scope():  # eager even when called while a graph is traced
    log_mel = audio.normalize_log_spectrogram(
        audio.log_mel_spectrogram(tf.constant(waveforms), config), config).numpy()
  return log_mel[:, _middle_frame(config)[1]]


def comb_log_mel(midi, config: AudioConfig, seed=0) -> np.ndarray:
  """float32 ``[P, num_mel_bins]``: each comb's normalised log-mel frame,
  through ``config``'s front-end: the middle frame of a ``SECONDS``
  rendering, computed from the samples it reads (``middle_frame_span``),
  scaled to peak ``PEAK`` over them."""
  span = middle_frame_span(config)
  return _middle_log_mel(comb_waveforms(midi, config, seed, span), config)


def bank_midi() -> np.ndarray:
  """float64 ``[P]``: the MIDI numbers of the bank's combs."""
  steps = int(round((BANK_HIGHEST_MIDI - BANK_LOWEST_MIDI) * 100 / BANK_CENTS))
  return BANK_LOWEST_MIDI + np.arange(steps + 1) * BANK_CENTS / 100


@functools.lru_cache(maxsize=4)
def bank_log_mel(config: AudioConfig) -> np.ndarray:
  """float32 ``[P, num_mel_bins]``: ``comb_log_mel`` of every ``bank_midi()``
  pitch (kept per process, read-only)."""
  span = middle_frame_span(config)
  combs = _middle_log_mel(_bank_waveforms(config.sample_rate, span), config)
  combs.setflags(write=False)
  return combs


@functools.lru_cache(maxsize=4)
def _bank_waveforms(sample_rate, span):
  """``comb_waveforms`` of the bank (~1 s on one core), shared by the
  front-end configurations with the same sampling and framing (read-only)."""
  waveforms = comb_waveforms(bank_midi(), AudioConfig(sample_rate=sample_rate), span=span)
  waveforms.setflags(write=False)
  return waveforms
