"""Shared fixtures: a seeded RNG, quiet TensorFlow logs, one TFDS directory per test run."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
  return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory, request):
  """One TFDS data directory for the whole test run, shared by the xdist
  workers (their base temp directories are siblings): each small dataset is
  rendered once per run, not once per module. Concurrent first builds are
  safe: TFDS renames a complete build into place and ``data.load_index``
  takes the other process's copy when it lost the race. Tests that damage or
  fail a build use their own directory."""
  base = tmp_path_factory.getbasetemp()
  in_worker = hasattr(request.config, "workerinput")  # an xdist worker process
  shared = (base.parent if in_worker else base) / "shared_tfds"
  shared.mkdir(exist_ok=True)
  return str(shared)
