"""In-browser real-time factor of a web demo (export.py --web_demo) beside
LiteRT-Python's on the same clip, in one run (the hosts here are shared).

  python bench/browser.py --demo=exports/tf_transforms/1.web \
      --tflite=exports/tf_transforms/1.float32.tflite --clip=note.wav --target=1

Prints best-of-5 seconds and real-time factors for 1 s and 4 s (the clip is
repeated to 4 s), LiteRT.js with 2 threads (cross-origin isolated) and 1, and
LiteTransform with 2 interpreter threads; ratios are to LiteTransform's.
"""
import argparse
import json
import os
import subprocess
import tempfile
import threading
import time

import numpy as np
import soundfile as sf

from tf_transforms.export import web_demo
from tf_transforms.export.lite import LiteTransform

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--demo", required=True)
  parser.add_argument("--tflite", required=True)
  parser.add_argument("--clip", required=True)
  parser.add_argument("--source", type=int, default=-1)
  parser.add_argument("--target", type=int, default=1)
  args = parser.parse_args()
  clip = sf.read(args.clip, dtype="float32")[0]
  clip = np.tile(clip, int(np.ceil(4 * 16000 / len(clip))))[:4 * 16000]
  lite = LiteTransform(args.tflite, os.path.join(args.tflite.rsplit(".", 2)[0],
                                                 "assets.extra", "styles.json"))
  python = {}
  for seconds in (1, 4):
    part = clip[:16000 * seconds]
    lite.transform(part, None if args.source < 0 else args.source, args.target)
    times = []
    for _ in range(5):
      started = time.perf_counter()
      lite.transform(part, None if args.source < 0 else args.source, args.target)
      times.append(time.perf_counter() - started)
    python[seconds] = min(times)
  server = web_demo.make_server(args.demo)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  with tempfile.TemporaryDirectory() as work:
    json.dump(clip.tolist(), open(os.path.join(work, "samples.json"), "w"))
    for query, label in (("", "LiteRT.js, threads if isolated"), ("?threads=0", "LiteRT.js, 1 thread")):
      spec = {"url": f"http://127.0.0.1:{server.server_address[1]}/{query}",
              "bench": {"seconds": [1, 4], "repeats": 5, "source": args.source,
                        "target": args.target, "samples": os.path.join(work, "samples.json")}}
      json.dump(spec, open(os.path.join(work, "spec.json"), "w"))
      subprocess.run(["node", os.path.join(ROOT, "web", "drive_demo.mjs"),
                      os.path.join(work, "spec.json"), os.path.join(work, "result.json")],
                     check=True)
      result = json.load(open(os.path.join(work, "result.json")))
      for row in result["bench"]:
        print(f"{row['seconds']} s | {label} ({result['runtime']['numThreads']}) | "
              f"{row['best_s']:.3f} s | RTF {row['rtf']:.3f} | "
              f"{row['best_s'] / python[row['seconds']]:.2f}x LiteTransform")
  server.shutdown()
  for seconds, best in python.items():
    print(f"{seconds} s | LiteTransform (LiteRT-Python, 2 threads) | {best:.3f} s | "
          f"RTF {best / seconds:.3f} | reference")


if __name__ == "__main__":
  main()
