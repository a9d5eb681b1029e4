"""Shared by the Python tests: the CLI whose --json each result must equal."""

import json
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("GPUPLAN_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[2]))
DATA_DIR = SOURCE_DIR / "data"
KOREA = DATA_DIR / "scenarios" / "korea.toml"

# A center small enough to buy, simulate and plan in about a second, shared with tests/plan.
SMALL = SOURCE_DIR / "tests" / "fixtures" / "small.toml"


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """The path of the small scenario."""
    path = tmp_path_factory.mktemp("scenarios") / "small.toml"
    path.write_text(SMALL.read_text())
    return path


def run_cli(*args, expect=0, stream="stdout"):
    """Runs `gpuplan <args>`, checks its exit code and returns its stdout (or stderr)."""
    binary = os.environ.get("GPUPLAN_BIN")
    if not binary:
        pytest.fail("GPUPLAN_BIN is not set (ctest sets it; run the tests with ctest)")
    p = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, check=False)
    assert p.returncode == expect, p.stderr
    return p.stdout if stream == "stdout" else p.stderr


def cli_json(*args):
    return json.loads(run_cli(*args, "--json"))


def without_wall_s(doc):
    """A document less its wall-clock fields (the one thing two runs may differ in)."""
    if isinstance(doc, dict):
        return {k: without_wall_s(v) for k, v in doc.items() if k != "wall_s"}
    if isinstance(doc, list):
        return [without_wall_s(v) for v in doc]
    return doc
