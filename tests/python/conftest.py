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

# A center small enough to buy, simulate and plan in about a second (tests/plan's kSmall):
# 64 H100 owned, H200 and B200 to buy, two tenants, a training run and a service.
SMALL_TOML = """name = "small"
[horizon]
first = "2026Q4"
last = "2027Q3"
[budget]
capex_per_year = { "2026" = 2e7, "2027" = 4e7 }
[opex]
power_price_per_kwh = 0.1
pue = 1.3
[[existing]]
accelerator = "h100-sxm5-80gb"
gpus = 64
[[candidate]]
accelerator = "h200-sxm-141gb"
node_price = 320000
node_power_kw = 10.2
max_nodes_per_quarter = 40
lead_time_quarters = 1
[[candidate]]
accelerator = "b200"
node_price = 450000
node_power_kw = 14.3
max_nodes_per_quarter = 40
lead_time_quarters = 1
[power]
facility_mw = { "2026Q4" = 5 }
[[workload]]
name = "lab-8b"
model = "llama3-8b"
tokens = "1T"
deadline_days = 30
[[service]]
name = "assistant"
model = "llama3-8b"
requests_per_s = 5
from = "2027Q2"
[[tenant]]
name = "startups"
class = "startup"
[tenant.demand]
jobs_per_day = 30
gpu_mix = { "1" = 0.5, "8" = 0.5 }
median_duration_h = 3
[[tenant]]
name = "labs"
class = "industry"
[tenant.demand]
jobs_per_day = 3
gpu_mix = { "16" = 0.5, "32" = 0.5 }
median_duration_h = 12
[simulation]
policy = "fifo"
seed = 7
"""


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """The path of the small scenario."""
    path = tmp_path_factory.mktemp("scenarios") / "small.toml"
    path.write_text(SMALL_TOML)
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
