"""sparse_viterbi.decode is librosa's Viterbi core, bit for bit, and pyin through it is pyin."""

import librosa
import numpy as np
import pytest

from tests import signals
from tf_transforms.evaluation import sparse_viterbi

# The reference: librosa's own numba core (taken at import, before any patch).
librosa_core = librosa.sequence._viterbi


def banded_hmm(rng, bins, width, steps, ties):
  """pyin's shape of transition matrix (kron of a voicing switch and a local
  triangle) over ``bins`` pitches, random observations; ``ties`` rounds the
  observations to a coarse grid so that many paths score exactly equal."""
  local = librosa.sequence.transition_local(bins, width, window="triangle", wrap=False)
  transition = np.kron(librosa.sequence.transition_loop(2, 0.99), local)
  prob = rng.uniform(0, 1, (2 * bins, steps)) ** 4
  prob[rng.uniform(size=prob.shape) < 0.5] = 0.0  # log(0 + tiny), as pyin's empty bins
  if ties:
    prob = np.round(prob * 4) / 4
  epsilon = librosa.util.tiny(prob)
  return (np.log(prob + epsilon).T, np.log(transition + epsilon),
          np.log(np.full(2 * bins, 1 / (2 * bins)) + epsilon))


@pytest.mark.parametrize("bins, width, ties", [(60, 9, False), (60, 9, True), (13, 13, True),
                                               (40, 1, False)])
def test_decode_equals_librosa_core_on_pyin_shaped_hmms(rng, bins, width, ties):
  for _ in range(3):
    log_prob, log_trans, log_p_init = banded_hmm(rng, bins, width, 120, ties)
    want_states, want_logp = librosa_core(log_prob, log_trans, log_p_init)
    states, logp = sparse_viterbi.decode(log_prob, log_trans, log_p_init)
    np.testing.assert_array_equal(states, want_states)
    assert states.dtype == want_states.dtype
    np.testing.assert_array_equal(logp, want_logp)  # the same float64 sums


def test_decode_equals_librosa_core_on_a_dense_matrix(rng):
  """No zero transition at all: every predecessor is a candidate."""
  transition = rng.uniform(0.1, 1, (30, 30))
  transition /= transition.sum(axis=1, keepdims=True)
  log_prob = np.log(rng.uniform(0, 1, (50, 30)))
  log_p_init = np.log(np.full(30, 1 / 30))
  for got, want in zip(sparse_viterbi.decode(log_prob, np.log(transition), log_p_init),
                       librosa_core(log_prob, np.log(transition), log_p_init)):
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("clip", ["note", "glide", "noise"])
def test_pyin_through_decode_is_pyin(clip, rng):
  """pitch.median_f0_midi's pyin call, on a note, a gliding voice and noise:
  f0, voicing and voiced probability identical with and without the patch,
  and the patch is gone after the block."""
  waveform = {"note": signals.harmonic_tone(f0=261.6, seconds=1.0),
              "glide": signals.speech_like(seconds=1.0),
              "noise": 0.1 * rng.standard_normal(16000).astype(np.float32)}[clip]
  kwargs = dict(sr=16000, frame_length=2048, hop_length=256, resolution=0.05,
                fmin=librosa.midi_to_hz(60 - 13), fmax=librosa.midi_to_hz(60 + 13))
  want = librosa.pyin(waveform, **kwargs)
  original = librosa.sequence._viterbi
  with sparse_viterbi.exact_fast_viterbi():
    assert librosa.sequence._viterbi is sparse_viterbi.decode
    got = librosa.pyin(waveform, **kwargs)
  assert librosa.sequence._viterbi is original
  for a, b in zip(got, want):
    np.testing.assert_array_equal(a, b)
