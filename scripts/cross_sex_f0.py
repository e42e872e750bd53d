r"""Words: the share of cross-sex pairs (source and target speakers of different
sex, ``tts_words.VOICES``) whose output's median F0 is closer to the target
speaker's than to the source speaker's, from an evaluation's results.json.

Usage:
  python scripts/cross_sex_f0.py outputs/words/results.json
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfds_builders.tts_words.tts_words import VOICES_BY_SPEAKER  # noqa: E402


def main(path):
  with open(path) as handle:
    results = json.load(handle)
  for label, run in results["runs"].items():
    pairs = [p for p in run["pairs"] if p["source_style"] in VOICES_BY_SPEAKER
             and VOICES_BY_SPEAKER[p["source_style"]].sex != VOICES_BY_SPEAKER[p["target_style"]].sex]
    toward = sum(bool(p["f0_toward_target_speaker"]) for p in pairs)
    print(f"{label}: F0 toward the target speaker in {toward} of {len(pairs)} cross-sex pairs"
          + (f" ({toward / len(pairs):.0%})" if pairs else ""))


if __name__ == "__main__":
  main(sys.argv[1])
