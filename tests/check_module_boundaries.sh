#!/usr/bin/env bash
# STYLE.md section 1: a module includes another module only through its one public header
# <m>/<m>.h. Lists every include that reaches into another module's internals, and every file
# outside src/config that includes toml++; fails if any.
# Usage: check_module_boundaries.sh SRC_DIR
set -euo pipefail
src=$1
bad=0
while IFS= read -r line; do
  file=${line%%:*}
  module=$(basename "$(dirname "${file#"$src"/}")")
  [[ "${file#"$src"/}" == */policies/* ]] && module=sim
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
  target=${inc%%/*}
  header=$(basename "$inc" .h)
  if [[ "$target" != "$module" && "$header" != "$target" ]]; then
    echo "$file includes $inc: use $target/$target.h" >&2
    bad=1
  fi
done < <(grep -rn --include='*.h' --include='*.cpp' '^#include "[a-z_]*/' "$src" | cut -d: -f1,3-)
# toml++ is read by src/config alone (config.h says why).
while IFS= read -r file; do
  echo "$file includes toml++: read TOML through config/config.h" >&2
  bad=1
done < <(grep -rl --include='*.h' --include='*.cpp' '#include <toml++' "$src" | grep -v "^$src/config/")
[[ $bad -eq 0 ]] && echo "ok: every cross-module include is a module's public header; only config reads toml++"
exit $bad
