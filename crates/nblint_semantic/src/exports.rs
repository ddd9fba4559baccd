//! Export tables of well-known modules: for each module, the names `from <module> import *`
//! binds, so that a star import of one of them does not make every name of the notebook
//! unknowable.
//!
//! # What the tables are
//!
//! One text file per module in `exports/<dotted.module.name>.txt`, embedded with
//! [`include_str!`]: one name per line, sorted in byte order (which is code-point order, the
//! order of Python's `sorted`), without duplicates; lines starting with `#` are comments, and
//! the first one records the package version, the Python version and the platform the table
//! was produced with. The files are parsed once, on first use.
//!
//! # How they were produced
//!
//! `exports/generate.py` runs `exec("from <module> import *", ns)` in a fresh namespace, in a
//! fresh interpreter per module, and lists the keys of `ns` minus `__builtins__`. That is the
//! ground truth: `__all__` when the module defines it (underscore names included when `__all__`
//! lists them, like numpy's `__version__` or `os._exit`), the public names of `dir(module)`
//! otherwise, plus whatever the module's own star imports pull in. To regenerate every table
//! (the third-party packages must be importable by the interpreter that runs the script):
//!
//! ```text
//! python3 -m venv /tmp/exports-venv
//! /tmp/exports-venv/bin/pip install numpy pandas matplotlib sympy scipy seaborn ipython
//! /tmp/exports-venv/bin/python crates/nblint_semantic/src/exports/generate.py [--check]
//! ```
//!
//! A module added to the script's `MODULES` must be added to `TABLES` below as well.
//!
//! # Limits
//!
//! Each table is what one version of the package (and of Python, on Linux x86_64) exports.
//! Callers should treat a table as exact for NB104 purposes: a name the table lacks is reported
//! as undefined. But the notebook may have run with another version:
//!
//! - Later versions may export more: a name added since is missing here, although a star
//!   import of the module binds it on that version.
//! - Earlier versions may have exported names since removed (numpy 2 dropped `NaN`, `float_`,
//!   `alltrue` and others that numpy 1.x notebooks star-import); those are missing too.
//! - Standard-library tables follow the Python version, and platform-dependent modules (`os`,
//!   `socket`, `time`, `ctypes`) list the Linux names (`os.path` is `posixpath`).
//! - A module without `__all__` (`sys`, `pylab`, `seaborn`, `IPython.display`) exports what
//!   `dir()` shows at import time, which depends on the run: its submodules imported later, or
//!   `sys.ps1` and `sys.last_value` of an interactive session, are not in the table.
//!
//! Modules are matched by exact dotted name (`matplotlib.pyplot`, not `pyplot`); a module
//! without a table gives `None`, and the caller then knows nothing of what its star import binds.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Expands to `(module, contents of exports/<module>.txt)` pairs.
macro_rules! tables {
    ($($module:literal),* $(,)?) => {
        &[$(($module, include_str!(concat!("exports/", $module, ".txt")))),*]
    };
}

/// Every embedded table: the module's dotted name and the text of its file.
static TABLES: &[(&str, &str)] = tables![
    // Standard library.
    "cmath",
    "collections",
    "ctypes",
    "datetime",
    "decimal",
    "fractions",
    "functools",
    "glob",
    "itertools",
    "json",
    "math",
    "operator",
    "os",
    "os.path",
    "pathlib",
    "random",
    "re",
    "socket",
    "statistics",
    "string",
    "struct",
    "sys",
    "time",
    "tkinter",
    "turtle",
    "typing",
    // Third party.
    "IPython.display",
    "matplotlib.pylab",
    "matplotlib.pyplot",
    "numpy",
    "pandas",
    "pylab",
    "scipy",
    "seaborn",
    "sympy",
];

/// The parsed tables, by module name.
static EXPORTS: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    TABLES
        .iter()
        .map(|&(module, text)| (module, parse_table(text)))
        .collect()
});

/// The names of one table file, in file order: comment and blank lines skipped.
fn parse_table(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// The names `from <module> import *` binds, sorted in byte order, or `None` when there is no
/// table for `module`.
pub fn star_exports(module: &str) -> Option<&'static [&'static str]> {
    let exports: &'static HashMap<&'static str, Vec<&'static str>> = &EXPORTS;
    exports.get(module).map(Vec::as_slice)
}

/// Whether `from <module> import *` binds `name`, or `None` when there is no table for
/// `module`.
pub fn exports_name(module: &str, name: &str) -> Option<bool> {
    star_exports(module).map(|names| names.binary_search(&name).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_exports_generics() {
        assert_eq!(exports_name("typing", "List"), Some(true));
        assert_eq!(exports_name("typing", "Optional"), Some(true));
        assert_eq!(exports_name("typing", "TYPE_CHECKING"), Some(true));
        assert_eq!(exports_name("typing", "sys"), Some(false));
    }

    #[test]
    fn math_exports_functions_and_constants() {
        assert_eq!(exports_name("math", "pi"), Some(true));
        assert_eq!(exports_name("math", "sqrt"), Some(true));
        assert_eq!(exports_name("math", "array"), Some(false));
    }

    #[test]
    fn numpy_exports_public_names_only() {
        assert_eq!(exports_name("numpy", "array"), Some(true));
        assert_eq!(exports_name("numpy", "zeros"), Some(true));
        assert_eq!(exports_name("numpy", "_NoValue"), Some(false));
        // Listed in numpy's `__all__`, so bound despite the underscores.
        assert_eq!(exports_name("numpy", "__version__"), Some(true));
    }

    #[test]
    fn pylab_exports_numpy_and_pyplot() {
        for name in ["plot", "np", "plt", "mpl", "array", "zeros", "pi", "show"] {
            assert_eq!(exports_name("pylab", name), Some(true), "{name}");
        }
        assert_eq!(star_exports("pylab"), star_exports("matplotlib.pylab"));
        assert_eq!(exports_name("matplotlib.pyplot", "plot"), Some(true));
        assert_eq!(exports_name("matplotlib.pyplot", "np"), Some(true));
        assert_eq!(exports_name("matplotlib.pyplot", "array"), Some(false));
    }

    #[test]
    fn other_modules() {
        assert_eq!(exports_name("os.path", "join"), Some(true));
        assert_eq!(exports_name("os", "path"), Some(true));
        assert_eq!(exports_name("os", "_exit"), Some(true));
        assert_eq!(exports_name("sympy", "symbols"), Some(true));
        assert_eq!(exports_name("IPython.display", "display"), Some(true));
        assert_eq!(exports_name("seaborn", "heatmap"), Some(true));
        assert_eq!(exports_name("pandas", "DataFrame"), Some(true));
        assert_eq!(exports_name("scipy", "stats"), Some(true));
        assert_eq!(exports_name("collections", "defaultdict"), Some(true));
        assert_eq!(exports_name("fractions", "Fraction"), Some(true));
        assert_eq!(exports_name("tkinter", "END"), Some(true));
        assert_eq!(exports_name("turtle", "forward"), Some(true));
    }

    #[test]
    fn unknown_module_is_none() {
        assert_eq!(star_exports("no_such_module"), None);
        assert_eq!(exports_name("no_such_module", "x"), None);
        // Exact dotted names only.
        assert_eq!(star_exports("pyplot"), None);
        assert_eq!(star_exports("Numpy"), None);
    }

    #[test]
    fn every_table_is_sorted_non_empty_and_unique() {
        assert_eq!(EXPORTS.len(), TABLES.len(), "a module is listed twice");
        for &(module, _) in TABLES {
            let names = star_exports(module).expect("listed module has a table");
            assert!(!names.is_empty(), "{module}: empty table");
            for pair in names.windows(2) {
                assert!(
                    pair[0] < pair[1],
                    "{module}: {:?} before {:?}: unsorted or duplicated",
                    pair[0],
                    pair[1]
                );
            }
            for name in names {
                assert!(
                    !name.chars().any(char::is_whitespace),
                    "{module}: {name:?} is not a name"
                );
                assert_eq!(exports_name(module, name), Some(true), "{module}: {name}");
            }
        }
    }

    #[test]
    fn every_table_has_its_header() {
        for &(module, text) in TABLES {
            let first = text.lines().next().unwrap_or_default();
            assert!(
                first.starts_with(&format!("# from {module} import * \u{2014} ")),
                "{module}: header is {first:?}"
            );
        }
    }
}
