#!/usr/bin/env bash
# Packaging check: what Python users and pre-commit users install works.
#   1. The wheel `maturin build --release` makes (pyproject.toml) installs a working `nblint`
#      into a fresh venv: `--version` runs, `check` exits 1 on a notebook with a finding and 0
#      on a clean one.
#   2. A real pre-commit round trip with the hooks of .pre-commit-hooks.yaml, installed from
#      a snapshot of this work tree (committed and uncommitted files, as git sees them) with
#      `pip install .`, as pre-commit does for `language: python`:
#      `nblint` fails on a notebook that prints a GitHub token, `nblint-fix` rewrites it, and
#      `nblint` then passes.
# Everything happens in a temporary directory that is removed at the end. Both builds share
# one cargo target directory there, so the pre-commit build reuses the dependencies the wheel
# build compiled. When PyPI cannot be reached the check is skipped with a printed reason.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

started=$(date +%s)
step_started=$started
step() {
  step_started=$(date +%s)
  echo "==> packaging: $*"
}
step_done() {
  local now
  now=$(date +%s)
  echo "<== packaging: $* ($((now - step_started)) s)"
}
fail() {
  echo "packaging: FAILED: $*" >&2
  exit 1
}
# expect_status N COMMAND...: runs COMMAND and fails unless it exits with status N.
expect_status() {
  local want=$1 got=0
  shift
  "$@" || got=$?
  if [ "$got" -ne "$want" ]; then
    fail "expected exit status $want, got $got: $*"
  fi
}

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null; then
  echo "packaging: skipped: $python not found"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nblint-packaging.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# The files of the work tree as git sees them (committed, changed and untracked but not
# ignored), listed before the temporary repositories' git configuration is isolated below.
git -C "$repo" ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do
    if [ -e "$repo/$f" ] || [ -L "$repo/$f" ]; then printf '%s\0' "$f"; fi
  done >"$tmp/files.list"

step "probing PyPI"
if ! timeout 120 "$python" -m pip download --no-deps --no-cache-dir --disable-pip-version-check \
  --timeout 20 --retries 1 -d "$tmp/probe" -q pip >"$tmp/probe.log" 2>&1; then
  tail -n 5 "$tmp/probe.log" || true
  echo "packaging: skipped: PyPI unreachable (pip could not download a package)"
  exit 0
fi
step_done "PyPI reachable"

export CARGO_TARGET_DIR="$tmp/target"
export PRE_COMMIT_HOME="$tmp/pre-commit-home"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# The machine's git configuration must not change what the temporary repositories do.
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=packaging GIT_AUTHOR_EMAIL=packaging@example.invalid
export GIT_COMMITTER_NAME=packaging GIT_COMMITTER_EMAIL=packaging@example.invalid
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

step "creating a venv with maturin and pre-commit"
"$python" -m venv "$tmp/venv"
venv_bin="$tmp/venv/bin"
"$venv_bin/python" -m pip install -q maturin pre-commit
"$venv_bin/python" -m pip --version
"$venv_bin/maturin" --version
"$venv_bin/pre-commit" --version
step_done "venv ready"

step "maturin build --release (the wheel a release would publish)"
if ! "$venv_bin/maturin" build --release --out "$tmp/dist" >"$tmp/maturin-build.log" 2>&1; then
  tail -n 60 "$tmp/maturin-build.log"
  fail "maturin build --release"
fi
grep -E "Finished|Built wheel" "$tmp/maturin-build.log" || true
step_done "wheel built"

step "pip install of the wheel"
wheels=("$tmp"/dist/nblint-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  fail "expected one nblint wheel in the maturin output"
fi
"$venv_bin/python" -m pip install -q --no-index "${wheels[0]}"
step_done "nblint installed from $(basename "${wheels[0]}")"

step "running the installed nblint"
nblint="$venv_bin/nblint"
[ -x "$nblint" ] || fail "the wheel did not install an nblint executable"
version=$("$nblint" --version)
echo "$version"
case "$version" in
  "nblint "*) ;;
  *) fail "unexpected nblint --version output: $version" ;;
esac

# One code cell whose only problem is a GitHub token in its saved stream output (NB403).
write_notebook() { # write_notebook PATH OUTPUT_TEXT
  cat >"$1" <<EOF
{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "5f3c1a2b",
   "metadata": {},
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "$2\\n"
     ]
    }
   ],
   "source": [
    "print(1)"
   ]
  }
 ],
 "metadata": {
  "kernelspec": {
   "display_name": "Python 3",
   "language": "python",
   "name": "python3"
  },
  "language_info": {
   "name": "python"
  }
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
EOF
}
mkdir -p "$tmp/notebooks"
token=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
write_notebook "$tmp/notebooks/bad.ipynb" "$token"
write_notebook "$tmp/notebooks/clean.ipynb" "1"
(
  cd "$tmp/notebooks"
  echo "nblint check bad.ipynb (expecting exit 1):"
  expect_status 1 "$nblint" check --output-format concise bad.ipynb
  echo "nblint check clean.ipynb (expecting exit 0):"
  expect_status 0 "$nblint" check --output-format concise clean.ipynb
)
step_done "installed nblint works"

step "snapshotting the work tree into a git repository for pre-commit"
# pre-commit clones the hook repository; a snapshot holds the files as they are now,
# uncommitted and untracked (not ignored) ones included, and leaves target/ behind.
src="$tmp/nblint-src"
mkdir -p "$src"
tar -C "$repo" --null -T "$tmp/files.list" -cf - | tar -C "$src" -xf -
git -C "$src" -c init.defaultBranch=main init -q
git -C "$src" add -A
git -C "$src" commit -q -m snapshot
[ -f "$src/.pre-commit-hooks.yaml" ] || fail ".pre-commit-hooks.yaml missing from the snapshot"
step_done "snapshot committed"

step "pre-commit: nblint (pre-commit installs the hooks with pip install . from the snapshot)"
work="$tmp/project"
mkdir -p "$work"
cp "$tmp/notebooks/bad.ipynb" "$work/bad.ipynb"
git -C "$work" -c init.defaultBranch=main init -q
git -C "$work" add bad.ipynb
pre_commit() {
  (cd "$work" && "$venv_bin/pre-commit" try-repo "$src" "$@" --files bad.ipynb)
}
show_pre_commit_log() {
  if [ -f "$PRE_COMMIT_HOME/pre-commit.log" ]; then tail -n 60 "$PRE_COMMIT_HOME/pre-commit.log"; fi
}

echo "--- hook nblint on a notebook that prints a token (expecting a failure; the first run builds the hook's environment)"
status=0
pre_commit nblint >"$tmp/pc1.log" 2>&1 || status=$?
cat "$tmp/pc1.log"
if [ "$status" -eq 0 ]; then fail "the nblint hook passed on a notebook with a token in an output"; fi
grep -q "NB403" "$tmp/pc1.log" || {
  show_pre_commit_log
  fail "the nblint hook failed without reporting NB403"
}
step_done "nblint hook fails on the leaked token (includes the hook environment's build)"

step "pre-commit: nblint-fix"
echo "--- hook nblint-fix (rewrites the notebook, so pre-commit reports a failure)"
status=0
pre_commit nblint-fix >"$tmp/pc2.log" 2>&1 || status=$?
cat "$tmp/pc2.log"
if [ "$status" -eq 0 ]; then fail "the nblint-fix hook did not report modifying the notebook"; fi
if git -C "$work" diff --quiet -- bad.ipynb; then
  show_pre_commit_log
  fail "the nblint-fix hook did not change bad.ipynb"
fi
if grep -q "$token" "$work/bad.ipynb"; then fail "the token is still in bad.ipynb after nblint-fix"; fi
git -C "$work" diff --stat -- bad.ipynb
step_done "nblint-fix hook cleared the output"

step "pre-commit: nblint again"
echo "--- hook nblint on the fixed notebook (expecting a pass)"
if ! pre_commit nblint >"$tmp/pc3.log" 2>&1; then
  cat "$tmp/pc3.log"
  fail "the nblint hook failed on the fixed notebook"
fi
cat "$tmp/pc3.log"
step_done "nblint hook passes on the fixed notebook"

echo "packaging: OK: pip install . and the pre-commit hooks work ($(($(date +%s) - started)) s in all)"
