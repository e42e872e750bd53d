"""A self-contained web demo of an exported TFLite file (``export.py --web_demo``).

The demo is a folder any static file server can serve, offline:

    <version>.web/
      index.html, demo.js, audio.js, style.css   the page (web/demo/ in the repository)
      demo.json                                  model file, styles, input limits
      model.tflite                               the run as TFLite, static input shapes
      litert/core/, litert/wasm-utils/           LiteRT.js (ES modules, an import map
      litert/wasm/                               names them) and its WebAssembly runtimes

LiteRT.js comes from the npm package pinned in ``web/package.json``, installed
by ``scripts/setup.sh`` (``npm ci --prefix web``) and copied here: the page
never fetches anything from a CDN. The browser downloads one of the three
runtimes: relaxed-SIMD, its threaded build (only where the page is
cross-origin isolated: ``serve`` sends the headers that needs), or the
compat build for browsers without relaxed SIMD.

The page checks a recording as ``LiteTransform`` does, with the limits
written here into demo.json (one home: ``core.waveforms``, the front-end's
analysis window, the export's ``max_seconds``).
"""

import functools
import http.server
import json
import os
import shutil

from tf_transforms.core import waveforms
from tf_transforms.core.errors import RunError
from tf_transforms.core.files import atomic_output
from tf_transforms.export.lite import FRONT_END

WEB_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "web")
PAGE_DIR = os.path.join(WEB_ROOT, "demo")
PAGE_FILES = ("index.html", "demo.js", "audio.js", "style.css")
LITERT_PACKAGES = {"core": "@litertjs/core", "wasm-utils": "@litertjs/wasm-utils"}
# The runtimes the page may load (LiteRT.js picks by the browser's features);
# the JSPI build is for WebNN / WebGPU partitioning, which the demo does not use.
WASM_RUNTIMES = ("litert_wasm_internal", "litert_wasm_threaded_internal",
                 "litert_wasm_compat_internal")
SIGNATURE = "serving_default"
MODEL_FILE = "model.tflite"


def litert_dir(package: str) -> str:
  """The installed npm package's folder; RunError with the command that installs it."""
  path = os.path.join(WEB_ROOT, "node_modules", *package.split("/"))
  if not os.path.isfile(os.path.join(path, "package.json")):
    raise RunError(f"{package} is not installed under {os.path.join(WEB_ROOT, 'node_modules')}: "
                   "run `npm ci --prefix web` (scripts/setup.sh does)")
  return path


def litert_version() -> str:
  with open(os.path.join(litert_dir(LITERT_PACKAGES["core"]), "package.json")) as handle:
    return json.load(handle)["version"]


def demo_config(styles_path: str, max_seconds: float, name: str) -> dict:
  """demo.json: what the page needs to run and check, from the export's styles.json."""
  try:
    with open(styles_path) as handle:
      stored = json.load(handle)
    styles, unknown_source = list(stored["styles"]), bool(stored.get("unknown_source"))
  except (OSError, ValueError, KeyError, TypeError) as error:
    raise RunError(f"{styles_path}: cannot read the export's styles.json ({error})") from None
  # The file's waveform input is always max_samples long (static shapes);
  # its int32 input `samples` says how many of them are the clip.
  return {"name": name, "model": MODEL_FILE, "signature": SIGNATURE, "styles": styles,
          "unknown_source": unknown_source, "sample_rate": FRONT_END.sample_rate,
          "min_samples": FRONT_END.frame_length,
          "max_samples": int(max_seconds * FRONT_END.sample_rate),
          "max_magnitude": waveforms.MAX_MAGNITUDE, "litert_version": litert_version()}


def write_web_demo(directory: str, model_dir: str, styles_path: str, max_seconds: float,
                   variant: str = "float32", name: str = "tf_transforms", vocoder=None) -> int:
  """Writes the demo folder ``directory`` for the run in ``model_dir``
  (complete or absent: written beside it, renamed into place). Its
  model.tflite is the run's TFLite ``variant`` with static input shapes
  (``saved_model.export_tflite_variants(static_max_seconds=...)``: LiteRT.js
  cannot resize inputs). Returns the bytes a browser downloads to run it (the
  page, one runtime, the model)."""
  from tf_transforms.export import saved_model  # TensorFlow
  if os.path.exists(directory):
    raise FileExistsError(f"{directory}: already exists; a web demo is never overwritten")
  config = demo_config(styles_path, max_seconds, name)
  sources = {package: litert_dir(package) for package in LITERT_PACKAGES.values()}
  with atomic_output(directory, overwrite=False) as temporary:
    os.makedirs(temporary)
    saved_model.export_tflite_variants(
        model_dir, {variant: os.path.join(temporary, config["model"])},
        static_max_seconds=max_seconds, **(vocoder or {}))
    for page_file in PAGE_FILES:
      shutil.copy(os.path.join(PAGE_DIR, page_file), temporary)
    for folder, package in LITERT_PACKAGES.items():
      shutil.copytree(os.path.join(sources[package], "dist"),
                      os.path.join(temporary, "litert", folder),
                      ignore=shutil.ignore_patterns("*.map", "*.d.ts", "*metafile*"))
    wasm = os.path.join(temporary, "litert", "wasm")
    os.makedirs(wasm)
    for runtime in WASM_RUNTIMES:
      for extension in (".js", ".wasm"):
        shutil.copy(os.path.join(sources[LITERT_PACKAGES["core"]], "wasm", runtime + extension),
                    wasm)
    with open(os.path.join(temporary, "demo.json"), "w") as handle:
      json.dump(config, handle, indent=1)
  return download_bytes(directory)


def download_bytes(directory: str) -> int:
  """Bytes a browser with relaxed SIMD fetches to run the single-threaded demo."""
  runtime = os.path.join(directory, "litert", "wasm", WASM_RUNTIMES[0])
  files = [os.path.join(directory, f) for f in (*PAGE_FILES, "demo.json", MODEL_FILE)]
  files += [runtime + ".js", runtime + ".wasm"]
  for folder in LITERT_PACKAGES:
    root = os.path.join(directory, "litert", folder)
    files += [os.path.join(root, f) for f in os.listdir(root)]
  return sum(os.path.getsize(path) for path in files)


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
  """A static file handler that makes the page cross-origin isolated (COOP /
  COEP), so that it may use the threaded runtime; quiet by default."""

  def end_headers(self):
    self.send_header("Cross-Origin-Opener-Policy", "same-origin")
    self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
    self.send_header("Cache-Control", "no-store")
    super().end_headers()

  def log_message(self, format, *args):  # noqa: A002 (the base class's name)
    del format, args


def make_server(directory: str, port: int = 0, host: str = "127.0.0.1",
                isolated: bool = True) -> http.server.ThreadingHTTPServer:
  """A server of ``directory`` on ``host:port`` (0: a free port): call
  ``serve_forever`` (tests run it in a thread; ``server.server_address``)."""
  handler = IsolatedHandler if isolated else http.server.SimpleHTTPRequestHandler
  return http.server.ThreadingHTTPServer(
      (host, port), functools.partial(handler, directory=directory))


def main(argv=None):
  """``python -m tf_transforms.export.web_demo DIR [--port=8000]``: serves a
  demo folder with the headers the threaded runtime needs."""
  import argparse
  parser = argparse.ArgumentParser(description=main.__doc__)
  parser.add_argument("directory")
  parser.add_argument("--port", type=int, default=8000)
  args = parser.parse_args(argv)
  if not os.path.isfile(os.path.join(args.directory, "demo.json")):
    parser.error(f"{args.directory}: not a web demo folder (no demo.json)")
  server = make_server(args.directory, args.port)
  print(f"serving {args.directory} at http://{server.server_address[0]}:"
        f"{server.server_address[1]}/ (Ctrl-C stops)")
  try:
    server.serve_forever()
  except KeyboardInterrupt:
    pass
  finally:
    server.server_close()


if __name__ == "__main__":
  main()
