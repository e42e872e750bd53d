"""The judges' clip analyses in worker processes: the same as in one process."""

import math

import numpy as np
import pytest

from tests import signals
from tests.test_recognition import WORDS, spoken
from tf_transforms.evaluation import clip_analysis, pitch, recognition

RATE = 16000


def tone(midi):
  """A 1 s note at MIDI ``midi`` (``signals.harmonic_tone``): float [samples]."""
  return signals.harmonic_tone(f0=440.0 * 2 ** ((midi - 69) / 12))


def assert_same(parallel, alone):
  assert len(parallel) == len(alone)
  for p, a in zip(parallel, alone):
    np.testing.assert_array_equal(p["mel_cepstrum"], a["mel_cepstrum"])
    np.testing.assert_array_equal(p["f0"], a["f0"])
    assert p["word"] == a["word"]
    assert p["pitch_cents"] == a["pitch_cents"] or (
        math.isnan(p["pitch_cents"]) and math.isnan(a["pitch_cents"]))


def test_two_worker_processes_judge_notes_and_words_as_one_process_does():
  """One pool (its start-up, ~5 s of CPU a worker, is what a test costs here)."""
  recognizer = recognition.WordRecognizer(WORDS)
  notes = [(tone(57), 57), (tone(64), 64), (tone(64), 62), (np.zeros(RATE, np.float32), 60)]
  words = [(spoken(w, voice), w) for w in WORDS[:3] for voice in ("en-us+m3", "en-us+f2")]
  parallel = clip_analysis.Analyser("word", recognizer, processes=2)
  try:
    got_words = parallel.map(words, RATE)
    got_notes = parallel.map(notes, RATE, kind="pitch")
  finally:
    parallel.close()
  alone = clip_analysis.Analyser("word", recognizer, processes=1)
  assert_same(got_words, alone.map(words, RATE))
  assert_same(got_notes, alone.map(notes, RATE, kind="pitch"))
  assert np.mean([g["word"] == w for g, (_, w) in zip(got_words, words)]) >= 0.8
  # What pyin says, directly: a tone on its note, two semitones off another, silence unvoiced.
  assert got_notes[0]["pitch_cents"] == pitch.cents_off_note(notes[0][0], RATE, 57)
  assert abs(got_notes[1]["pitch_cents"]) < 10 and abs(got_notes[2]["pitch_cents"] - 200) < 10
  assert math.isnan(got_notes[3]["pitch_cents"]) and got_notes[0]["word"] == ""
  world_only = alone.map(words[:2], RATE, kind="world")
  assert [w["word"] for w in world_only] == ["", ""] and math.isnan(world_only[0]["pitch_cents"])
  np.testing.assert_array_equal(world_only[0]["f0"], got_words[0]["f0"])


def test_processes_must_be_positive():
  with pytest.raises(ValueError, match="at least 1"):
    clip_analysis.Analyser("pitch", processes=0)


WORKERS_THEN_SLEEP = """
import sys, time
import numpy as np
from tf_transforms.evaluation.clip_analysis import Analyser
analyser = Analyser("world", processes=2)
analyser.map([(np.zeros(2048, np.float32), None)] * 4, 16000)
print(" ".join(str(p) for p in analyser._pool._processes), flush=True)
time.sleep(120)
"""


def test_a_killed_parent_leaves_no_worker_process_behind():
  """kill -9 of a process whose judge workers are running (evaluate.py's):
  the workers end with it (before 0.11 they lived on, re-parented to PID 1)."""
  import os
  import signal
  import subprocess
  import sys
  import time
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  parent = subprocess.Popen([sys.executable, "-c", WORKERS_THEN_SLEEP], cwd=root,
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=root))
  workers = [int(p) for p in parent.stdout.readline().split()]
  assert len(workers) == 2
  parent.send_signal(signal.SIGKILL)
  parent.wait(timeout=60)
  deadline = time.monotonic() + 60
  alive = workers
  while alive and time.monotonic() < deadline:
    time.sleep(0.2)
    alive = [p for p in workers if os.path.exists(f"/proc/{p}")
             and open(f"/proc/{p}/stat").read().split()[2] != "Z"]
  assert alive == [], f"workers {alive} outlived their parent"
