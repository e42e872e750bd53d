"""Tiny deterministic test signals (float32, 16 kHz unless stated)."""

import numpy as np
import scipy.signal

SAMPLE_RATE = 16000


def sinusoid(frequency=440.0, seconds=1.0, amplitude=0.5, sample_rate=SAMPLE_RATE):
  t = np.arange(int(seconds * sample_rate)) / sample_rate
  return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def harmonic_tone(f0=220.0, seconds=1.0, num_harmonics=20, sample_rate=SAMPLE_RATE):
  """A note-like tone: 1/k harmonics under an attack-decay envelope."""
  t = np.arange(int(seconds * sample_rate)) / sample_rate
  signal = sum(np.sin(2 * np.pi * k * f0 * t) / k
               for k in range(1, num_harmonics + 1) if k * f0 < sample_rate / 2)
  envelope = np.minimum(1.0, t / 0.02) * np.exp(-2.0 * t)
  return (0.4 * signal / np.abs(signal).max() * envelope).astype(np.float32)


def speech_like(seconds=1.0, seed=0, sample_rate=SAMPLE_RATE):
  """A glottal pulse train with a gliding f0 through moving formant
  resonances, with a noise burst (a fricative) in the middle."""
  rng = np.random.default_rng(seed)
  n = int(seconds * sample_rate)
  t = np.arange(n) / sample_rate
  f0 = 120.0 + 40.0 * np.sin(2 * np.pi * 1.5 * t)
  phase = np.cumsum(f0) / sample_rate
  pulses = np.diff(np.floor(phase), prepend=0.0)  # 1 at each glottal period
  excitation = np.convolve(pulses, np.hanning(32), mode="same")
  burst = (np.abs(t - seconds / 2) < 0.08) * rng.standard_normal(n) * 0.3
  voiced = np.abs(t - seconds / 2) >= 0.08
  signal = excitation * voiced + burst
  out = np.zeros(n)
  hop = 400
  for start in range(0, n, hop):  # two formants that move over time
    segment = signal[start:start + 2 * hop]
    progress = start / n
    filtered = np.zeros_like(segment)
    for formant, bandwidth in ((500 + 300 * progress, 80), (1500 - 400 * progress, 120)):
      r = np.exp(-np.pi * bandwidth / sample_rate)
      theta = 2 * np.pi * formant / sample_rate
      filtered += scipy.signal.lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], segment)
    window = np.hanning(len(segment))
    out[start:start + len(segment)] += filtered * window
  return (0.5 * out / np.abs(out).max()).astype(np.float32)
