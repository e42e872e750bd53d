"""Writes words.txt, the word list tts_words speaks (run once; the list is committed).

The 1,200 most frequent English words of at least three letters (wordfreq's
``top_n_list("en")``) that Debian's ``wamerican`` dictionary holds in lower
case (which drops names, abbreviations and fragments), less a few profanities.
Not the evaluation recogniser's dictionary: the recogniser is only told,
at evaluation time, which of the test words it may choose from.

  pip install wordfreq && apt-get install wamerican
  python tfds_builders/tts_words/make_word_list.py
"""

import os

from wordfreq import top_n_list  # a one-off tool, not a project dependency

COUNT = 1200
EXCLUDED = {"ass", "bitch", "bullshit", "crap", "damn", "dick", "fuck", "fucking", "shit"}


def main():
  with open("/usr/share/dict/american-english", encoding="utf-8") as handle:
    dictionary = {w.strip() for w in handle if w.strip().isalpha() and w.strip().islower()}
  words = [w for w in top_n_list("en", 5000) if w.isascii() and w.isalpha() and len(w) >= 3
           and w in dictionary and w not in EXCLUDED][:COUNT]
  assert len(words) == COUNT, len(words)
  path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "words.txt")
  with open(path, "w", encoding="utf-8") as handle:
    handle.write("\n".join(words) + "\n")
  print(f"wrote {len(words)} words to {path}")


if __name__ == "__main__":
  main()
