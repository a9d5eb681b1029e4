#!/usr/bin/env bash
# Serving model vs published results, as a new user would ask for them: every row of
# data/serving_results.toml (maximum-throughput runs, --offline) and every llama2-70b / mixtral
# row of ../shared/reference/serving_runs.csv (MLPerf Offline with --offline; Server at its p99
# TTFT/TPOT limits), through `gpuplan size serve` at the published TP and accelerator count with
# the checked-in constants. Prints predicted, published and their ratio, then the median and
# 90th-percentile absolute error per source. (tests/sizing/serving_test.cpp refits the constants
# leaving each campaign out; this script does not refit.)
# Usage: bench/serving.sh   (GPUPLAN=path/to/gpuplan, default build/release/gpuplan)
set -euo pipefail
cd "$(dirname "$0")/.."
GPUPLAN=${GPUPLAN:-build/release/gpuplan}
SHARED=${GPUPLAN_SHARED_DIR:-../shared}
python3 - "$GPUPLAN" "$SHARED" <<'PY'
import csv, json, subprocess, sys, tomllib
gpuplan, shared = sys.argv[1], sys.argv[2]
# Mean prompt lengths of the MLPerf datasets are not published (SERVING_RUNS.md); assumed as in
# tests/sizing/serving_test.cpp.
PROMPT = {"llama2-70b": 300, "mixtral-8x7b": 450}
IDS = {"H100-SXM-80GB": "h100-sxm5-80gb", "H100-NVL-94GB": "h100-nvl-94gb",
       "H200-SXM-141GB": "h200-sxm-141gb", "B200-SXM-180GB": "b200", "GH200-144GB": "gh200-144gb",
       "L40S-48GB": "l40s", "MI300X-192GB": "mi300x", "Gaudi2-96GB": "gaudi2"}
rows = []
with open("data/serving_results.toml", "rb") as f:
    for r in tomllib.load(f)["result"]:
        rows.append(dict(source=r["campaign"], model=r["model"], acc=r["accelerator"],
                         prec=r["precision"], tp=r["tp"], gpus=r["gpus"], isl=r["prompt_tokens"],
                         osl=r["output_tokens"], limits=None, published=r["output_tokens_per_s"],
                         extra=[f"--{flag}={r[key]}" for flag, key in
                                (("pp", "pp"), ("ep", "ep"), ("kv-cache", "kv_cache"),
                                 ("max-batch", "max_batch"),
                                 ("max-tokens-per-step", "max_tokens_per_step"),
                                 ("attention-precision", "attention_precision"),
                                 ("attention-out-precision", "attention_output_precision"))
                                if key in r]
                               + (["--attention-dp=on"] if r.get("attention_dp") else [])))
for r in csv.DictReader(open(f"{shared}/reference/serving_runs.csv")):
    b = r["benchmark"]
    model = "llama2-70b" if b.startswith("llama2-70b") else "mixtral-8x7b" if b == "mixtral-8x7b" else None
    if not model or not r["tokens_per_s"]:
        continue
    par = r["parallelism"]
    acc = IDS[r["accelerator"]]
    limits = None if r["scenario"] == "Offline" else (r["ttft_limit_ms"], r["tpot_limit_ms"], r["latency_percentile"])
    rows.append(dict(source=r["round"], model=model, acc=acc, prec="fp4" if acc == "b200" else "fp8",
                     tp=int(par.split()[0][2:]) if par.startswith("TP") else 0,
                     gpus=int(r["num_accelerators"]), isl=PROMPT[model],
                     osl=round(float(r["output_tokens_mean"])), limits=limits,
                     published=float(r["tokens_per_s"])))
print(f"{'source':<30} {'model':<12} {'accelerator':<15} {'tp':>2} {'isl/osl':>9} {'limits':>13} "
      f"{'predicted':>9} {'published':>9} {'ratio':>5}")
errors = {}
for r in rows:
    cmd = [gpuplan, "size", "serve", "--model", r["model"], "--accelerator", r["acc"],
           "--precision", r["prec"], "--gpus", str(r["gpus"]), "--prompt-tokens", str(r["isl"]),
           "--output-tokens", str(r["osl"]), "--json"]
    if r["tp"]:
        cmd += ["--tp", str(r["tp"])]
    cmd += r.get("extra", [])
    if r["limits"]:
        cmd += ["--ttft-ms", r["limits"][0], "--tpot-ms", r["limits"][1], "--percentile", r["limits"][2]]
    else:
        cmd += ["--offline"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print(f"{r['source']:<30} {r['model']:<12} {r['acc']:<15} error: {out.stderr.strip()[:120]}")
        continue
    predicted = json.loads(out.stdout)["tokens_per_s"]
    ratio = predicted / r["published"]
    errors.setdefault(r["source"], []).append(abs(ratio - 1))
    lim = "offline" if not r["limits"] else f"{r['limits'][0]}/{r['limits'][1]}"
    print(f"{r['source']:<30} {r['model']:<12} {r['acc']:<15} {r['tp']:>2} "
          f"{str(r['isl']) + '/' + str(r['osl']):>9} {lim:>13} {predicted:>9.0f} "
          f"{r['published']:>9.0f} {ratio:>5.2f}")
def q(v, p):
    v = sorted(v)
    return v[round(p * (len(v) - 1))]
every = [e for v in errors.values() for e in v]
for source, v in sorted(errors.items()) + [("all", every)]:
    print(f"{source}: {len(v)} rows, median error {100 * q(v, 0.5):.0f}%, p90 {100 * q(v, 0.9):.0f}%")
PY
