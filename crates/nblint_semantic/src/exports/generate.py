#!/usr/bin/env python3
"""Regenerate the star-import export tables embedded by ``exports.rs``.

For every module in ``MODULES`` this script computes the exact set of names that
``from <module> import *`` binds, by executing that statement in a fresh
namespace dict and listing its keys (minus ``__builtins__``). That is the
ground truth: it honours ``__all__`` when the module defines one, falls back to
the public names of ``dir(module)`` otherwise, and includes whatever the
module's own star imports pull in.

Each module is imported in its own child interpreter (``sys.executable``), so
that the names of a module without ``__all__`` (whose ``dir()`` lists the
submodules imported so far) do not depend on which other modules this script
happened to import first. Matplotlib is forced onto the non-interactive Agg
backend and ``DISPLAY`` is removed, so no module opens a window.

Output: one file per module, ``<dotted.module.name>.txt`` in this script's
directory (or ``--out DIR``), holding a header comment and then one name per
line, sorted by code point (the order Rust's ``str`` comparison uses), without
duplicates. The output depends only on the Python version, the platform and
the installed package versions, all of which are recorded in the header.

Usage (the third-party packages must be importable by the interpreter that
runs the script)::

    python3 -m venv /tmp/exports-venv
    /tmp/exports-venv/bin/pip install numpy pandas matplotlib sympy scipy seaborn ipython
    /tmp/exports-venv/bin/python crates/nblint_semantic/src/exports/generate.py

    # only compare with the committed tables, write nothing; exit 1 on a difference
    /tmp/exports-venv/bin/python crates/nblint_semantic/src/exports/generate.py --check

The committed tables of the third-party modules are the union over two releases, so that
notebooks written for either bind what they use (numpy 2 dropped `NaN`, `float_`, ...)::

    python3 -m venv /tmp/old-venv
    /tmp/old-venv/bin/pip install numpy==1.26.4 matplotlib==3.8.4 pandas==1.5.3 \
        scipy==1.11.4 seaborn==0.12.2 sympy==1.12
    /tmp/exports-venv/bin/python crates/nblint_semantic/src/exports/generate.py \
        --also /tmp/old-venv/bin/python

A module that cannot be imported is reported on stderr and its table is left
as it is (the script then exits 1, so a missing package does not go unnoticed).
When adding a module, add its ``.txt`` file to the ``TABLES`` list in
``exports.rs`` too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

# Standard-library modules that notebooks star-import. Their tables depend on
# the Python version (and, for os, socket, time, ctypes, on the platform).
STDLIB = [
    "typing",
    "math",
    "cmath",
    "os",
    "os.path",
    "sys",
    "re",
    "collections",
    "itertools",
    "functools",
    "random",
    "statistics",
    "string",
    "time",
    "datetime",
    "json",
    "glob",
    "pathlib",
    "tkinter",
    "turtle",
    "decimal",
    "fractions",
    "operator",
    "socket",
    "struct",
    "ctypes",
]

# Third-party modules, each with the distribution whose version is recorded.
THIRD_PARTY = {
    "numpy": "numpy",
    "pylab": "matplotlib",
    "matplotlib.pyplot": "matplotlib",
    "matplotlib.pylab": "matplotlib",
    "sympy": "sympy",
    "pandas": "pandas",
    "scipy": "scipy",
    "seaborn": "seaborn",
    "IPython.display": "ipython",
}

MODULES = STDLIB + list(THIRD_PARTY)

SCRIPT_PATH = "crates/nblint_semantic/src/exports/generate.py"

# Run in a child interpreter: prints, as its last line, a JSON list of the names the star
# import binds.
CHILD = r"""
import json, sys, warnings
# `-c` puts the working directory first on sys.path: a local file must not shadow the module.
if sys.path and sys.path[0] == "":
    del sys.path[0]
warnings.simplefilter("ignore")
ns = {}
exec("from %s import *" % sys.argv[1], ns)
ns.pop("__builtins__", None)
version = None
if len(sys.argv) > 2:
    from importlib.metadata import version as dist_version
    version = dist_version(sys.argv[2])
# On a line of its own, last: the import may have printed something.
sys.stdout.write("\n" + json.dumps({"names": sorted(ns), "version": version}) + "\n")
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def star_names(module: str, python: str) -> tuple[list[str], str | None]:
    dist = THIRD_PARTY.get(module)
    proc = subprocess.run(
        [python, "-c", CHILD, module] + ([dist] if dist else []),
        capture_output=True,
        text=True,
        env=child_env(),
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    result = json.loads(proc.stdout.splitlines()[-1])
    # Code-point order, which is also UTF-8 byte order, i.e. Rust's `str` order.
    return sorted(set(result["names"])), result["version"]


def header(module: str, versions: list[str]) -> str:
    py = platform.python_version()
    dist = THIRD_PARTY.get(module)
    if dist is None:
        source = "standard library"
    else:
        source = f"{dist} {' + '.join(versions)}"
    return (
        f"# from {module} import * \u2014 {source}, Python {py}; regenerate with {SCRIPT_PATH}\n"
        f"# platform: {sys.platform} {platform.machine()}\n"
    )


def render(module: str, also: list[str]) -> str:
    names, version = star_names(module, sys.executable)
    if not names:
        raise RuntimeError("the star import binds no name")
    versions = [version] if version else []
    # Other releases of third-party packages: their names are added.
    if module in THIRD_PARTY:
        for python in also:
            more, other = star_names(module, python)
            names = sorted(set(names) | set(more))
            if other and other not in versions:
                versions.append(other)
    return header(module, versions) + "".join(f"{n}\n" for n in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="directory to write the tables to (default: this script's)")
    parser.add_argument("--check", action="store_true",
                        help="compare with the existing tables instead of writing them")
    parser.add_argument("--also", action="append", default=[], metavar="PYTHON",
                        help="another interpreter whose third-party names are added (repeatable)")
    parser.add_argument("modules", nargs="*", help="only these modules (default: all)")
    args = parser.parse_args()

    failed = False
    for module in args.modules or MODULES:
        if module not in MODULES:
            print(f"{module}: not in MODULES", file=sys.stderr)
            failed = True
            continue
        try:
            text = render(module, args.also)
        except Exception as err:  # noqa: BLE001 - report and carry on with the others
            print(f"{module}: skipped: {err}", file=sys.stderr)
            failed = True
            continue
        path = args.out / f"{module}.txt"
        count = text.count("\n") - 2
        if args.check:
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old != text:
                print(f"{module}: differs from {path}", file=sys.stderr)
                failed = True
            continue
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"{module}: {count} names", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
