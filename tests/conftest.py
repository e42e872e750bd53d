"""Shared fixtures: a seeded RNG, quiet TensorFlow logs, one TFDS directory per test run."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests.commands import run_command, tiny_notes_command  # noqa: E402


def pytest_configure(config):
  """In the controlling process, before any worker starts: compile (or load)
  the pitch tracker's numba kernels once, so that the workers and the
  processes they start only read numba's cache (``pitch.compile_kernels``:
  concurrent first compilations corrupted it on a fresh install)."""
  if not hasattr(config, "workerinput"):
    from tf_transforms.evaluation import pitch  # pylint: disable=import-outside-toplevel
    pitch.compile_kernels()


@pytest.fixture
def rng():
  return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory, request):
  """One TFDS data directory for the whole test run, shared by the xdist
  workers (their base temp directories are siblings): each small dataset is
  rendered once per run, not once per module. Concurrent first builds are
  safe: TFDS renames a complete build into place and ``pipeline.load_index``
  takes the other process's copy when it lost the race. Tests that damage or
  fail a build use their own directory."""
  base = tmp_path_factory.getbasetemp()
  in_worker = hasattr(request.config, "workerinput")  # an xdist worker process
  shared = (base.parent if in_worker else base) / "shared_tfds"
  shared.mkdir(exist_ok=True)
  return str(shared)


@pytest.fixture(scope="session")
def tiny_notes_run(tfds_dir):
  """A finished ``train.py`` run (``tiny_notes_command``), trained once per
  test run and shared by the xdist workers through a lock file beside the
  shared TFDS directory: the export and notes-evaluation tests use it, and
  it is the uninterrupted reference of the kill-and-resume test. Read-only:
  a test that changes a run trains or copies its own. The directory is named
  ``run`` (evaluation results are keyed by that name)."""
  import fcntl
  root = os.path.join(os.path.dirname(tfds_dir), "shared_runs", "notes_tiny")
  os.makedirs(root, exist_ok=True)
  model_dir = os.path.join(root, "run")
  with open(os.path.join(root, "lock"), "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits for the first build
    if not os.path.exists(os.path.join(model_dir, "model.keras")):
      trained = run_command(tiny_notes_command(model_dir, tfds_dir))
      assert trained.returncode == 0, trained.stderr[-3000:]
  return model_dir


def pytest_collection_modifyitems(config, items):
  """Long tests first, so that xdist's worksteal (scripts/test.sh) balances
  the short ones around them instead of waiting for one at the end: every
  ``slow`` test, then the other tests of the files that have slow tests, then
  the rest, each group in collection order. A slow file's module fixtures may
  so be built twice in one worker; theirs are cheap (an index load), and the
  expensive ones are session-scoped (``tiny_notes_run``)."""
  del config
  slow_files = {item.path for item in items if item.get_closest_marker("slow")}
  order = {id(item): i for i, item in enumerate(items)}
  items.sort(key=lambda item: (item.path not in slow_files,
                               item.get_closest_marker("slow") is None, order[id(item)]))
