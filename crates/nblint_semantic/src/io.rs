//! File I/O calls: which calls read or write a file, and which argument is its path. Shared by
//! the rule that reports data paths written into calls (NB303) and by `nblint graph`, which
//! draws the files a notebook reads and writes. Calls are resolved through the imports
//! (`pd.read_csv` after `import pandas as pd`); methods only readers and writers have
//! (`df.to_csv`, `fig.savefig`) and Spark's `spark.read.csv` / `df.write.parquet` are known by
//! name, and `open` is the builtin unless some cell binds that name.

use ruff_python_ast::{Expr, ExprCall};

use crate::{Imports, SemanticIndex};

/// Whether a call reads or writes its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Read,
    Write,
}

/// A call that reads or writes a file: which positional argument is the path (a keyword of
/// [`PATH_KEYWORDS`] may give it instead), and which way the data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoCall {
    pub argument: usize,
    pub direction: Direction,
}

/// Functions, by qualified name, whose first argument (or one of [`PATH_KEYWORDS`]) is a path.
const FIRST_ARGUMENT: &[(&str, Direction)] = {
    use Direction::{Read, Write};
    &[
        ("pandas.read_csv", Read),
        ("pandas.read_table", Read),
        ("pandas.read_excel", Read),
        ("pandas.read_json", Read),
        ("pandas.read_parquet", Read),
        ("pandas.read_feather", Read),
        ("pandas.read_pickle", Read),
        ("pandas.read_hdf", Read),
        ("pandas.read_sas", Read),
        ("pandas.read_stata", Read),
        ("pandas.read_spss", Read),
        ("pandas.read_orc", Read),
        ("pandas.read_fwf", Read),
        ("pandas.read_xml", Read),
        ("polars.read_csv", Read),
        ("polars.read_parquet", Read),
        ("polars.read_excel", Read),
        ("polars.read_json", Read),
        ("polars.read_ipc", Read),
        ("polars.scan_csv", Read),
        ("polars.scan_parquet", Read),
        ("numpy.load", Read),
        ("numpy.loadtxt", Read),
        ("numpy.genfromtxt", Read),
        ("numpy.fromfile", Read),
        ("numpy.save", Write),
        ("numpy.savez", Write),
        ("numpy.savez_compressed", Write),
        ("numpy.savetxt", Write),
        ("joblib.load", Read),
        ("torch.load", Read),
        ("PIL.Image.open", Read),
        ("cv2.imread", Read),
        ("cv2.imwrite", Write),
        ("h5py.File", Read),
        ("scipy.io.loadmat", Read),
        ("scipy.io.savemat", Write),
        ("pyarrow.parquet.read_table", Read),
        ("xarray.open_dataset", Read),
        ("geopandas.read_file", Read),
        ("glob.glob", Read),
        ("keras.models.load_model", Read),
        ("tensorflow.keras.models.load_model", Read),
        ("matplotlib.pyplot.savefig", Write),
    ]
};

/// Functions whose second argument is the path.
const SECOND_ARGUMENT: &[(&str, Direction)] = &[
    ("joblib.dump", Direction::Write),
    ("torch.save", Direction::Write),
];

/// Methods that only file readers and writers have, whatever they are called on.
const METHODS: &[(&str, Direction)] = {
    use Direction::{Read, Write};
    &[
        ("to_csv", Write),
        ("to_parquet", Write),
        ("to_excel", Write),
        ("to_json", Write),
        ("to_pickle", Write),
        ("to_feather", Write),
        ("to_hdf", Write),
        ("to_stata", Write),
        ("to_orc", Write),
        ("savefig", Write),
        ("save_weights", Write),
        ("load_weights", Read),
    ]
};

/// Spark's `spark.read.<format>(path)` and `df.write.<format>(path)`.
const SPARK_FORMATS: &[&str] = &["csv", "parquet", "json", "load", "save", "orc", "text"];

/// Keywords that name the path argument.
pub const PATH_KEYWORDS: &[&str] = &[
    "filepath_or_buffer",
    "path",
    "path_or_buf",
    "io",
    "file",
    "fname",
    "filename",
    "filepath",
    "f",
    "fp",
    "source",
    "name",
    "excel_writer",
    "file_name",
    "pathname",
];

/// The file I/O `call` (in `cell`) performs, if it is a known reader or writer.
pub fn io_call(
    imports: &Imports,
    semantic: &SemanticIndex,
    cell: usize,
    call: &ExprCall,
) -> Option<IoCall> {
    let found = |table: &[(&str, Direction)], name: &str, argument: usize| {
        table
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, direction)| IoCall {
                argument,
                direction,
            })
    };
    if let Some(name) = imports.resolve_call(cell, call) {
        let name = name.to_string();
        let io = found(FIRST_ARGUMENT, &name, 0).or_else(|| found(SECOND_ARGUMENT, &name, 1));
        // `h5py.File(path, "w")` opens like `open`: its mode says which way.
        return io.map(|io| match name.as_str() {
            "h5py.File" => IoCall {
                direction: open_direction(call),
                ..io
            },
            _ => io,
        });
    }
    match &*call.func {
        // `open` is the builtin unless some cell binds it (`def open`, an import).
        Expr::Name(name) if name.id.as_str() == "open" && !semantic.binds("open") => Some(IoCall {
            argument: 0,
            direction: open_direction(call),
        }),
        Expr::Attribute(attribute) => {
            let method = attribute.attr.as_str();
            if let Some(io) = found(METHODS, method, 0) {
                return Some(io);
            }
            // `spark.read.csv(path)`, `df.write.mode("overwrite").parquet(path)`.
            let receiver = match &*attribute.value {
                Expr::Attribute(inner) => Some(inner.attr.as_str()),
                Expr::Call(inner) => match &*inner.func {
                    Expr::Attribute(a) => match &*a.value {
                        Expr::Attribute(w) => Some(w.attr.as_str()),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            let direction = match receiver {
                Some("read") => Direction::Read,
                Some("write") => Direction::Write,
                _ => return None,
            };
            SPARK_FORMATS.contains(&method).then_some(IoCall {
                argument: 0,
                direction,
            })
        }
        _ => None,
    }
}

/// `open(path)` reads; `open(path, "w")` (or `a`, `x`, `+`, as `mode=` too) writes. The same
/// for `h5py.File`.
fn open_direction(call: &ExprCall) -> Direction {
    let mode = call.arguments.args.get(1).or_else(|| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "mode"))
            .map(|k| &k.value)
    });
    match mode {
        Some(Expr::StringLiteral(s)) if s.value.to_str().contains(['w', 'a', 'x', '+']) => {
            Direction::Write
        }
        _ => Direction::Read,
    }
}

/// The path argument of an I/O call: the positional argument at `position`, or a keyword of
/// [`PATH_KEYWORDS`].
pub fn path_argument(call: &ExprCall, position: usize) -> Option<&Expr> {
    call.arguments
        .args
        .get(position)
        .filter(|a| !a.is_starred_expr())
        .or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| {
                    k.arg
                        .as_ref()
                        .is_some_and(|a| PATH_KEYWORDS.contains(&a.as_str()))
                })
                .map(|k| &k.value)
        })
}
