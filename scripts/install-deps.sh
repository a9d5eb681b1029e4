#!/usr/bin/env bash
# Installs gpuplan's build and test dependencies from Debian's packages.
# Idempotent: installs only what is missing; runs apt-get update first when it must install.
# Usage: scripts/install-deps.sh [--browser] [--slurm] [--python]
#   --browser  chromium, for the report's real-browser test
#   --slurm    Slurm (slurmctld, slurmd, slurmdbd, sacct), munge, MariaDB's server binary alone
#              (mariadb-server-core: no client, perl or galera) for slurmdbd's accounting, and jq,
#              for the Slurm round trip (tests/slurm/slurm_test.sh); about 11 MB to download
#   --python   pybind11, pytest, pandas and Dask distributed, for the Python package and its tests
#              (python/, tests/python/)
set -euo pipefail

packages=(g++ clang clang-format cmake make pkg-config libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
          libfmt-dev coinor-libcbc-dev libgtest-dev libbenchmark-dev libjs-chart.js)
for arg in "$@"; do
  case "$arg" in
    --browser) packages+=(chromium) ;;
    --slurm) packages+=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server-core jq) ;;
    --python) packages+=(python3-dev pybind11-dev python3-pybind11 python3-pytest python3-pandas
                         python3-distributed) ;;
    *) echo "install-deps: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
