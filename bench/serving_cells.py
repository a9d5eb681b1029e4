#!/usr/bin/env python3
"""Held-out check of the serving model: TensorRT-LLM perf-overview cells NOT in
data/serving_results.toml.

Source: NVIDIA TensorRT-LLM docs/source/developer-guide/perf-overview.md at commit
03e27c7d5ff0c6e89f8328838c0a8e64f1b34f9d ("Output Throughput per GPU (tokens/sec/GPU)",
trtllm-bench throughput, PyTorch backend, ISL/OSL fixed with stdev 0). The file holds this page's
1000/1000 cells (campaign trtllm-perf-overview-03e27c7); the other ISL/OSL cells below are kept
out of every data file on purpose, so that this figure stays a check on results the model was
not fitted to. Do not add them to data/serving_results.toml.

Each cell is asked as a new user would: `gpuplan size serve --offline` at the page's layout
(DEPn = tp n, ep n, attention DP), precision, lengths and --kv-admission reserve (trtllm-bench's
GUARANTEED_NO_EVICT), with the checked-in efficiencies. The DeepSeek R1 0528 FP4 checkpoint
(nvidia/DeepSeek-R1-0528-NVFP4-v2) keeps MLA's Q/K/V projections in BF16 and its output
projection in FP4, as data/serving_results.toml's rows of it say. Cells that are in the data
file are printed with "(in file)" and left out of the held-out figures.

Usage: bench/serving_cells.py [path/to/gpuplan]   (default build/release/gpuplan, else
build/ci/gpuplan). Prints each cell's predicted / published ratio, then the median, 90th
percentile and maximum absolute error of the held-out EP (MoE, expert parallel) and dense cells.
"""
import json
import os
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEEPSEEK_FP4 = ["--attention-precision", "bf16", "--attention-out-precision", "fp4"]
# (model, accelerator, precision, tp, ep (0: dense), pp, extra flags, {(isl, osl): per GPU})
CELLS = [
    ("qwen3-235b-a22b", "b200", "fp4", 4, 4, 1, [],
     {(1000, 1000): 5764, (1024, 8192): 3389, (1024, 32768): 1255, (8192, 1024): 1410,
      (32768, 1024): 319}),
    ("qwen3-235b-a22b", "h200-sxm-141gb", "fp8", 4, 4, 1, [],
     {(1000, 1000): 3288, (1024, 8192): 1417, (8192, 1024): 627, (32768, 1024): 134}),
    ("qwen3-235b-a22b", "h100-sxm5-80gb", "fp8", 8, 8, 1, [],
     {(1000, 1000): 1932, (1024, 8192): 873}),
    ("qwen3-235b-a22b", "rtx-pro-6000-server", "fp4", 2, 2, 2, [],
     {(1000, 1000): 1731, (1024, 8192): 644, (32768, 1024): 70}),
    ("qwen3-235b-a22b", "rtx-pro-6000-server", "fp4", 8, 8, 1, [],
     {(1000, 1000): 969, (1024, 8192): 711}),
    ("llama4-maverick", "b200", "fp4", 4, 4, 1, [],
     {(1000, 1000): 11337, (1024, 8192): 5174, (1024, 32768): 2204, (8192, 1024): 3279,
      (32768, 1024): 859}),
    ("llama4-maverick", "h200-sxm-141gb", "fp8", 8, 8, 1, [],
     {(1000, 1000): 4146, (1024, 8192): 1157, (1024, 32768): 679, (8192, 1024): 1276}),
    ("deepseek-v3", "b200", "fp4", 4, 4, 1, DEEPSEEK_FP4,
     {(1000, 1000): 6463, (1024, 8192): 3862, (1024, 32768): 1451, (8192, 1024): 1168}),
    ("deepseek-v3", "h200-sxm-141gb", "fp8", 8, 8, 1, [],
     {(1000, 1000): 1627, (1024, 8192): 1218, (1024, 32768): 438}),
    ("llama3-70b", "b200", "fp4", 1, 0, 1, [],
     {(1000, 1000): 6920, (1024, 8192): 3242, (8192, 1024): 1362, (32768, 1024): 274}),
    ("llama3-70b", "h200-sxm-141gb", "fp8", 2, 0, 1, [],
     {(1000, 1000): 2587, (1024, 8192): 2009, (8192, 1024): 537, (32768, 1024): 120}),
    ("llama3-70b", "h100-sxm5-80gb", "fp8", 2, 0, 1, [],
     {(1000, 1000): 2209, (8192, 1024): 398}),
    ("llama3-70b", "rtx-pro-6000-server", "fp4", 1, 0, 1, [],
     {(1000, 1000): 1724, (8192, 1024): 296}),
    ("llama3-70b", "rtx-pro-6000-server", "fp4", 1, 0, 2, [],
     {(1000, 1000): 1901, (8192, 1024): 327, (32768, 1024): 67}),
]


def in_file_keys():
    """(model, accelerator, tp, pp, isl, osl) of every row of data/serving_results.toml."""
    with open(os.path.join(ROOT, "data", "serving_results.toml"), "rb") as f:
        rows = tomllib.load(f)["result"]
    return {(r["model"], r["accelerator"], r["tp"], r.get("pp", 1), r["prompt_tokens"],
             r["output_tokens"]) for r in rows}


def summary(errors):
    v = sorted(errors)
    if not v:
        return "none"
    return "median {:.1f}%, p90 {:.1f}%, max {:.1f}%".format(
        100 * v[len(v) // 2], 100 * v[round(0.9 * (len(v) - 1))], 100 * v[-1])


def main():
    gpuplan = sys.argv[1] if len(sys.argv) > 1 else None
    if gpuplan is None:
        for candidate in ("build/release/gpuplan", "build/ci/gpuplan"):
            if os.path.exists(os.path.join(ROOT, candidate)):
                gpuplan = os.path.join(ROOT, candidate)
                break
    if gpuplan is None:
        sys.exit("no gpuplan binary: build one or pass its path")
    known = in_file_keys()
    errors = {"ep": [], "dense": []}
    failed = 0
    for model, acc, prec, tp, ep, pp, extra, cells in CELLS:
        for (isl, osl), published in cells.items():
            cmd = [gpuplan, "size", "serve", "--model", model, "--accelerator", acc,
                   "--precision", prec, "--tp", str(tp), "--pp", str(pp), "--gpus",
                   str(tp * pp), "--offline", "--prompt-tokens", str(isl), "--output-tokens",
                   str(osl), "--kv-admission", "reserve", "--json"] + extra
            if ep:
                cmd += ["--ep", str(ep), "--attention-dp", "on"]
            run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            try:
                predicted = json.loads(run.stdout)["tokens_per_s_per_gpu"]
            except (ValueError, KeyError):
                print(f"{model} {acc} {isl}/{osl}: no plan: {run.stderr.strip()[:200]}")
                failed += 1
                continue
            ratio = predicted / published
            held_out = (model, acc, tp, pp, isl, osl) not in known
            if held_out:
                errors["ep" if ep else "dense"].append(abs(ratio - 1))
            layout = f"tp{tp} ep{ep} pp{pp}" if ep else f"tp{tp} pp{pp}"
            print(f"{model:16s} {acc:20s} {layout:14s} {isl:5d}/{osl:<5d} published {published:6d}"
                  f" predicted {predicted:8.0f} ratio {ratio:5.2f}"
                  f"{'' if held_out else '  (in file)'}")
    for group, v in errors.items():
        print(f"held-out {group} cells: {len(v)}, {summary(v)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
