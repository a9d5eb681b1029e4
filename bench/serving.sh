#!/usr/bin/env bash
# Serving model vs published maximum-throughput results (data/serving_results.toml): for each row,
# `gpuplan size serve` at the published TP and GPU count with no latency target (--offline), and
# prints predicted and published output tokens/s and their ratio, then the geometric-mean ratio
# and mean absolute log error per serving stack (calibration rows excluded).
# Usage: bench/serving.sh   (GPUPLAN=path/to/gpuplan, default build/release/gpuplan)
set -euo pipefail
cd "$(dirname "$0")/.."
GPUPLAN=${GPUPLAN:-build/release/gpuplan}
python3 - "$GPUPLAN" <<'PY'
import json, math, subprocess, sys, tomllib
gpuplan = sys.argv[1]
with open("data/serving_results.toml", "rb") as f:
    rows = tomllib.load(f)["result"]
print(f"{'model':<12} {'accelerator':<15} {'tp':>2} {'isl/osl':>10} {'prec':>4} "
      f"{'predicted':>10} {'published':>10} {'ratio':>6}  stack")
logs = {}
for r in rows:
    cmd = [gpuplan, "size", "serve", "--model", r["model"], "--accelerator", r["accelerator"],
           "--precision", r["precision"], "--tp", str(r["tp"]), "--gpus", str(r["gpus"]),
           "--prompt-tokens", str(r["prompt_tokens"]), "--output-tokens", str(r["output_tokens"]),
           "--offline", "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    predicted = json.loads(out)["tokens_per_s"]
    published = r["output_tokens_per_s"]
    ratio = predicted / published
    tag = r["software"] + (" (calibration)" if r.get("calibration") else "")
    if not r.get("calibration"):
        logs.setdefault(r["software"], []).append(math.log(ratio))
    print(f"{r['model']:<12} {r['accelerator']:<15} {r['tp']:>2} "
          f"{str(r['prompt_tokens']) + '/' + str(r['output_tokens']):>10} {r['precision']:>4} "
          f"{predicted:>10.0f} {published:>10.0f} {ratio:>6.2f}  {tag}")
for stack, ls in sorted(logs.items()):
    gm = math.exp(sum(ls) / len(ls))
    mae = math.exp(sum(abs(x) for x in ls) / len(ls)) - 1
    print(f"{stack}: {len(ls)} check rows, geometric-mean ratio {gm:.2f}, "
          f"mean absolute error {mae * 100:.0f}%")
PY
