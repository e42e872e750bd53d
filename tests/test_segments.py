"""Cutting recordings of several notes or words, and joining the converted pieces."""

import numpy as np
import pytest

from tests import signals
from tf_transforms.signal import segments

RATE = 16000


def _burst(f0, seconds):
  return signals.harmonic_tone(f0=f0, seconds=seconds).astype(np.float32)


def _with_gaps(parts):
  """Bursts and silences (seconds of zeros for floats) -> (waveform, true (start, end)s)."""
  pieces, truth, at = [], [], 0
  for part in parts:
    chunk = np.zeros(int(part * RATE), np.float32) if isinstance(part, float) else part
    if not isinstance(part, float):
      truth.append((at, at + len(chunk)))
    pieces.append(chunk)
    at += len(chunk)
  return np.concatenate(pieces), truth


def test_silences_cut_where_the_sound_stops_within_the_padding():
  x, truth = _with_gaps([0.25, _burst(220, 0.5), 0.5, _burst(330, 0.7), 0.4, _burst(440, 0.3),
                         0.2])
  found = segments.split(x, RATE, "silence")
  assert len(found) == len(truth)
  # The padding kept, plus half an analysis window and a hop (frames are centred).
  slack = int(segments.PAD_S * RATE) + segments.FRAME_LENGTH // 2 + segments.HOP_LENGTH
  for (start, end), (true_start, true_end) in zip(found, truth):
    assert true_start - slack <= start <= true_start and true_end <= end <= true_end + slack
  # Gaps shorter than MIN_SILENCE_S do not cut; silence gives no segment.
  y, _ = _with_gaps([_burst(220, 0.4), 0.05, _burst(220, 0.4)])
  assert len(segments.split(y, RATE, "silence")) == 1
  assert segments.split(np.zeros(RATE, np.float32), RATE, "silence") == []
  assert segments.split(y, RATE, "none") == [(0, len(y))]
  with pytest.raises(ValueError, match="segmentation must be one of"):
    segments.split(y, RATE, "words")


def test_onsets_cut_notes_played_one_after_another():
  x = np.concatenate([_burst(220, 0.5), _burst(330, 0.5), _burst(262, 0.5)])
  found = segments.split(x, RATE, "onsets")
  assert len(found) == 3
  for (start, _), true_start in zip(found[1:], (8000, 16000)):
    assert abs(start - true_start) <= 0.03 * RATE  # within 30 ms of the true onset
  assert found[0][0] == 0 and found[-1][1] == len(x)


def test_join_puts_pieces_back_with_cross_fades_that_sum_to_one():
  x, _ = _with_gaps([0.2, _burst(220, 0.5), 0.3, _burst(330, 0.5), 0.2])
  cuts = segments.split(x, RATE, "silence")
  # Identity pieces come back as the input (the fades fall on the padding's silence).
  np.testing.assert_allclose(segments.join([x[a:b] for a, b in cuts], cuts, len(x), 160), x,
                             atol=1e-4)
  # Touching segments overlap by the fade: ones cross-faded stay 1.
  ones = [np.ones(1000, np.float32), np.ones(1000, np.float32)]
  joined = segments.join(ones, [(0, 1000), (1000, 2000)], 2000, 100)
  assert len(joined) == 1900
  np.testing.assert_allclose(joined[100:1800], 1.0, atol=1e-6)
  # A piece longer than its segment moves the next one, the silence kept.
  longer = segments.join([np.ones(1500, np.float32), np.ones(500, np.float32)],
                         [(200, 1200), (1700, 2200)], 2500, 10)
  assert len(longer) == 200 + 1500 + 500 + 500 + 300
  assert np.all(longer[:200] == 0) and np.all(longer[1700:2200] == 0)
  assert np.all(longer[2210:2690] == 1)
