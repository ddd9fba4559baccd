#!/usr/bin/env bash
# Seeds the fuzz corpora from ruff's notebook fixtures, the project's fixtures and the smaller
# notebooks of the dev corpus. Usage: fuzz/seed.sh (from the repository root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared}
for target in load lint fix; do
  dir=$root/fuzz/corpus/$target
  mkdir -p "$dir"
  find "$root/tests/fixtures" -name '*.ipynb' -exec cp {} "$dir/" \;
  if [ -d "$shared/corpus/ruff-fixtures" ]; then
    find "$shared/corpus/ruff-fixtures" -name '*.ipynb' -exec cp {} "$dir/" \;
  fi
  if [ -d "$shared/corpus/dev" ]; then
    find "$shared/corpus/dev" -name '*.ipynb' -size -24k | sort | head -150 | while read -r f; do
      cp "$f" "$dir/$(basename "$(dirname "$f")")__$(basename "$f")"
    done
  fi
  chmod -R u+w "$dir"
done
echo "seeded: $(ls "$root/fuzz/corpus/load" | wc -l) files per target"
