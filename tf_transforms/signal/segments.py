"""Cutting a recording of several notes or words into one segment each, and
joining the converted segments again.

The model converts one note or one word; a recording of several, separated
by silences (isolated words, notes played one after another), is cut with
``split`` -- at silences (``librosa.effects.split``: frames more than
``top_db`` below the recording's loudest), or for notes at onsets
(``librosa.onset.onset_detect``, backtracked to the preceding energy minimum,
so a note that rings into the next is cut where the next begins) -- and the
converted segments are put back with ``join``: at the silences' original
lengths, with linear cross-fades where segments touch. Continuous speech, with
no silence between words, is not cut into words: its one segment is refused
by the export's length limit, named with its times.

Sample positions are ints at the recording's rate; segments are half-open
``(start, end)`` sample ranges.
"""

import numpy as np

SEGMENTATIONS = ("none", "silence", "onsets")
TOP_DB = 40.0          # silence: this far below the loudest frame (librosa's default is 60)
MIN_SILENCE_S = 0.15   # shorter gaps do not cut (the closure of a stop consonant, a trill)
PAD_S = 0.05           # kept around each segment: its soft onset and release
MIN_NOTE_S = 0.1       # onsets closer than this to a segment's ends do not cut (an attack)
FADE_S = 0.01          # cross-fade where converted segments touch
FRAME_LENGTH, HOP_LENGTH = 800, 200  # the front-end's analysis window and hop at 16 kHz


def split(waveform, sample_rate, mode="silence", top_db=TOP_DB, min_silence_s=MIN_SILENCE_S,
          pad_s=PAD_S, min_samples=FRAME_LENGTH) -> list:
  """The segments of ``waveform`` (float [samples]) to convert one by one.

  Args:
    mode: "silence", "onsets" (notes: a segment per onset, up to the next),
      or "none" (the whole recording).
    top_db: silence threshold below the loudest frame, in dB.
    min_silence_s: gaps shorter than this join their neighbours.
    pad_s: silence kept on each side of a segment (never into a neighbour).
    min_samples: segments shorter than this (one analysis window) join their
      neighbour, or are dropped when they have none.

  Returns:
    list of (start, end) sample ranges, in order, not overlapping; [] for a
    silent recording.
  """
  waveform = np.asarray(waveform, np.float32)
  if mode not in SEGMENTATIONS:
    raise ValueError(f"segmentation must be one of {SEGMENTATIONS}. Received {mode!r}")
  if mode == "none":
    return [(0, len(waveform))]
  import librosa
  if not np.any(waveform):
    return []
  sounding = librosa.effects.split(waveform, top_db=top_db, frame_length=FRAME_LENGTH,
                                   hop_length=HOP_LENGTH)
  intervals = _merged([tuple(int(v) for v in i) for i in sounding],
                      int(min_silence_s * sample_rate))
  if mode == "onsets":
    onsets = librosa.onset.onset_detect(y=waveform, sr=sample_rate, hop_length=HOP_LENGTH,
                                        backtrack=True, units="samples")
    cut, shortest = [], max(min_samples, int(MIN_NOTE_S * sample_rate))
    for start, end in intervals:
      inside = []
      for onset in (int(o) for o in onsets):
        if onset - max([start, *inside[-1:]]) >= shortest and end - onset >= shortest:
          inside.append(onset)
      bounds = [start, *inside, end]
      cut.extend(zip(bounds[:-1], bounds[1:]))
    intervals = cut
  intervals = _without_short(intervals, min_samples)
  return _padded(intervals, int(pad_s * sample_rate), len(waveform))


def _merged(intervals, min_gap):
  merged = []
  for start, end in intervals:
    if merged and start - merged[-1][1] < min_gap:
      merged[-1] = (merged[-1][0], end)
    else:
      merged.append((start, end))
  return merged


def _without_short(intervals, min_samples):
  """Short segments joined to the previous one (or the next, for the first)."""
  out = []
  for start, end in intervals:
    if out and end - start < min_samples:
      out[-1] = (out[-1][0], end)
    elif out and out[-1][1] - out[-1][0] < min_samples:
      out[-1] = (out[-1][0], end)
    else:
      out.append((start, end))
  return [i for i in out if i[1] - i[0] >= min_samples]


def _padded(intervals, pad, length):
  """Each segment widened by ``pad`` samples, never past a neighbour or the ends."""
  out = []
  for k, (start, end) in enumerate(intervals):
    low = out[-1][1] if out else 0
    high = intervals[k + 1][0] if k + 1 < len(intervals) else length
    out.append((max(low, start - pad), min(high, end + pad)))
  # A neighbour's padding may reach halfway at most.
  for k in range(len(out) - 1):
    if out[k][1] > out[k + 1][0]:
      middle = (intervals[k][1] + intervals[k + 1][0]) // 2
      out[k], out[k + 1] = (out[k][0], middle), (middle, out[k + 1][1])
  return out


def join(pieces, segments, length, fade_samples) -> np.ndarray:
  """The converted ``pieces`` (float [samples_k] each) put back in place of
  ``segments`` ((start, end) in the input, ``split``'s) of an input of
  ``length`` samples.

  Each piece starts where the previous one ended plus the input's silence
  before its segment (so a piece that is longer or shorter than its segment
  -- a word said faster -- moves the ones after it); the input's leading and
  trailing silence are kept. Where two pieces touch (no silence between
  their segments), they overlap by ``fade_samples`` with a linear
  cross-fade whose gains sum to 1; elsewhere each piece fades in and out
  over ``fade_samples``.

  Returns:
    float32 [samples'].
  """
  if len(pieces) != len(segments):
    raise ValueError(f"join: {len(pieces)} pieces for {len(segments)} segments")
  if not pieces:
    return np.zeros(length, np.float32)
  placed, position, previous_end = [], 0, 0
  for k, (piece, (start, end)) in enumerate(zip(pieces, segments)):
    piece = np.asarray(piece, np.float32)
    gap = start - previous_end
    position += gap
    if k and gap == 0:
      position -= min(fade_samples, len(piece), len(placed[-1][1]))
    placed.append((position, piece))
    position += len(piece)
    previous_end = end
  total = position + (length - segments[-1][1])
  out = np.zeros(max(total, 1), np.float32)
  for k, (at, piece) in enumerate(placed):
    gains = np.ones(len(piece), np.float32)
    n = min(fade_samples, len(piece))
    ramp = (np.arange(n, dtype=np.float32) + 0.5) / n if n else np.zeros(0, np.float32)
    gains[:n] *= ramp           # fade in (0 -> 1)
    gains[len(piece) - n:] *= ramp[::-1]  # fade out (1 -> 0)
    out[at:at + len(piece)] += gains * piece
  return out
