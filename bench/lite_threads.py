r"""LiteTransform served from a thread pool, requests per second, one run: one
instance shared by every thread (each thread gets its own interpreter inside
it), one instance per thread, and one interpreter's calls taking turns behind a
lock, against a single thread as the reference.

Every configuration runs the same requests (``--requests`` clips of
``--seconds`` of a harmonic tone) from ``--threads`` worker threads; the
reference is one instance called from one thread, measured in the same run,
and every line prints its ratio to it.

Usage:
  python export.py --model_dir=runs/main_ours --tflite=float32
  python bench/lite_threads.py --tflite=exports/tf_transforms/1.float32.tflite \
      --styles=exports/tf_transforms/1/assets.extra/styles.json
"""

import concurrent.futures
import contextlib
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from tests import signals  # noqa: E402
from tf_transforms.export.lite import LiteTransform  # noqa: E402

flags.DEFINE_string("tflite", None, "An export.py --tflite file.", required=True)
flags.DEFINE_string("styles", None, "The export's styles.json.", required=True)
flags.DEFINE_integer("threads", 4, "Worker threads.")
flags.DEFINE_integer("requests", 24, "Requests per configuration.")
flags.DEFINE_float("seconds", 1.0, "Seconds of audio per request.")
flags.DEFINE_integer("interpreter_threads", 2, "Each interpreter's num_threads.")
FLAGS = flags.FLAGS


def requests_per_second(instances, threads, clips, lock=None):
  """Requests per second serving ``clips`` from ``threads`` threads, request i
  by ``instances[i % len(instances)]``; with ``lock``, one request at a time
  (what one interpreter shared behind a lock serves)."""
  def serve(i):
    lite = instances[i % len(instances)]
    with lock or contextlib.nullcontext():
      return lite.transform(clips[i], lite.styles[0], lite.styles[1])
  start = time.perf_counter()
  with concurrent.futures.ThreadPoolExecutor(threads) as pool:
    list(pool.map(serve, range(len(clips))))
  return len(clips) / (time.perf_counter() - start)


def main(argv):
  del argv
  make = lambda: LiteTransform(FLAGS.tflite, FLAGS.styles,
                               num_threads=FLAGS.interpreter_threads)
  clips = [signals.harmonic_tone(f0=150.0 + 10 * i, seconds=FLAGS.seconds)
           for i in range(FLAGS.requests)]
  shared = make()
  own = [make() for _ in range(FLAGS.threads)]
  for lite in [shared] + own:  # warm every interpreter once
    lite.transform(clips[0], lite.styles[0], lite.styles[1])
  reference = requests_per_second([shared], 1, clips)
  print(f"one instance, one thread: {reference:.2f} requests/s (reference)")
  for name, instances, lock in (
      (f"one instance behind a lock, {FLAGS.threads} threads", [shared], threading.Lock()),
      (f"one shared instance, {FLAGS.threads} threads", [shared], None),
      (f"an instance per thread, {FLAGS.threads} threads", own, None)):
    rate = requests_per_second(instances, FLAGS.threads, clips, lock)
    print(f"{name}: {rate:.2f} requests/s, {rate / reference:.2f}x the reference")


if __name__ == "__main__":
  app.run(main)
