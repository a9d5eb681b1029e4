#!/usr/bin/env bash
# Every C++ file of the tree is formatted as .clang-format says (clang-format 14, Debian 12's).
# Another major version formats some constructs differently, so it reports "skipped" (exit 77,
# ctest's SKIP_RETURN_CODE) rather than failing on its own differences.
# Fix: clang-format -i $(git ls-files '*.cpp' '*.h')
# Usage: check_format.sh REPO_DIR
set -euo pipefail
repo=$1
want=14
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
have=$(clang-format --version | sed -E 's/.*version ([0-9]+).*/\1/')
if [[ "$have" != "$want" ]]; then
  echo "skipped: clang-format $have, the tree is formatted by clang-format $want" >&2
  exit 77
fi
cd "$repo"
mapfile -t files < <(find src tests bench python -name '*.cpp' -o -name '*.h' | sort)
# One clang-format process for the whole tree (a process per file cost ~20 s of CI); only when
# it fails, one per file to name the culprits.
if clang-format --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
  echo "ok: every C++ file is clang-formatted"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
printf '%s is not clang-formatted\n' "${bad[@]}" >&2
echo "fix: clang-format -i ${bad[*]}" >&2
exit 1
