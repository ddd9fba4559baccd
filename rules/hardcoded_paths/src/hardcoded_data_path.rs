use nblint_engine::ruff_python_ast::Expr;
use nblint_engine::semantic::io;
use nblint_engine::{declare_rule, AstRule, Checker, Diagnostic, Rule, Span};

use crate::{
    classify, has_extension, in_parameters_cell, parameter_fix, string_text, HardcodedPathsOptions,
};

declare_rule! {
    /// ## What it does
    /// Reports a relative data path written into a call that reads or writes a file:
    /// `pd.read_csv("sales.csv")`, `df.to_parquet("out/clean.parquet")`, `np.load("x.npy")`,
    /// `open("data/raw.txt")`, `joblib.dump(model, "model.pkl")`, `plt.savefig("fig.png")`.
    /// Functions are recognised through the imports (`pandas.read_csv` however pandas was
    /// imported); methods that only file writers have (`to_csv`, `to_parquet`, `savefig`,
    /// `save_weights`, ...) by name. The path must look like one: a file name with an
    /// extension, or a path with a separator. Absolute paths are NB301's and NB302's.
    ///
    /// The calls, with the argument that is the path:
    ///
    /// - `open`, `pandas.read_*` (`csv`, `table`, `excel`, `json`, `parquet`, `feather`, `pickle`,
    ///   `hdf`, `sas`, `stata`, `spss`, `orc`, `fwf`, `xml`), `polars.read_*`/`scan_*`,
    ///   `numpy.load`/`loadtxt`/`genfromtxt`/`fromfile`/`save`/`savez`/`savez_compressed`/`savetxt`,
    ///   `joblib.load`, `torch.load`, `PIL.Image.open`, `cv2.imread`/`imwrite`, `h5py.File`,
    ///   `scipy.io.loadmat`/`savemat`, `pyarrow.parquet.read_table`, `xarray.open_dataset`,
    ///   `geopandas.read_file`, `glob.glob`, `keras`/`tensorflow.keras` `models.load_model`,
    ///   `matplotlib.pyplot.savefig`: the first argument;
    /// - `joblib.dump`, `torch.save`: the second argument;
    /// - the methods `to_csv`, `to_parquet`, `to_excel`, `to_json`, `to_pickle`, `to_feather`,
    ///   `to_hdf`, `to_stata`, `to_orc`, `savefig`, `save_weights`, `load_weights`, and
    ///   Spark's `read.csv`/`read.parquet`/`read.json`/`read.load` and `write.csv`/`write.parquet`/
    ///   `write.json`/`write.save`: the first argument.
    ///
    /// ## Why is this bad?
    /// A data path buried in a call is one more thing to find and edit before the notebook
    /// runs on other data, and it resolves against whatever directory the kernel was started
    /// in. In the parameters cell it is listed with the other inputs and outputs, and papermill
    /// can point the notebook at other data without editing it.
    ///
    /// ## Example
    /// ```python
    /// import pandas as pd
    /// df = pd.read_csv("data/sales.csv")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% tags=["parameters"]
    /// SALES_CSV = "data/sales.csv"
    /// # %%
    /// import pandas as pd
    /// df = pd.read_csv(SALES_CSV)
    /// ```
    ///
    /// ## Fix safety
    /// The fix moves the literal into a constant in the parameters cell, named after the file
    /// (`SALES_CSV`), creating that cell when the notebook has none. It is unsafe: the constant
    /// lives in another cell, which must run first.
    pub struct HardcodedDataPath {
        code: "NB303",
        name: "hardcoded-data-path",
        family: "hardcoded-paths",
        severity: Warning,
        default: false,
        fix: Sometimes(Unsafe),
    }
}

impl Rule for HardcodedDataPath {}

impl AstRule for HardcodedDataPath {
    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        let Expr::Call(call) = expr else {
            return;
        };
        // The cheap question first: does the call have a relative-path literal where a path
        // argument could be? Only then is the callee resolved through the imports.
        let literal_at =
            |position: usize| -> Option<(String, nblint_engine::ruff_text_size::TextRange)> {
                let argument = io::path_argument(call, position)?;
                let (text, range, literal) = string_text(argument)?;
                (literal && is_relative_data_path(&text)).then_some((text, range))
            };
        if literal_at(0).is_none() && literal_at(1).is_none() {
            return;
        }
        let Some(io) = io::io_call(
            checker.imports(),
            checker.semantic(),
            checker.cell_index(),
            call,
        ) else {
            return;
        };
        let position = io.argument;
        let Some((text, range)) = literal_at(position) else {
            return;
        };
        if in_parameters_cell(checker) {
            return;
        }
        let options = checker.options::<HardcodedPathsOptions>();
        if classify(&text, options).is_some() {
            return;
        }
        checker.report(
            Diagnostic::new(
                &Self::META,
                Span::cell(checker.cell_index(), range),
                format!("data path `{text}` written into the call"),
            )
            .with_help(
                "name it in the parameters cell, with the notebook's other inputs and outputs",
            )
            .with_fix(parameter_fix(checker, range, &text)),
        );
    }
}

/// A relative path to data: a file name with an extension, or a path with a separator;
/// never a URL, an absolute path, or standard input's `-`.
fn is_relative_data_path(text: &str) -> bool {
    if text.is_empty()
        || text.len() > 260
        || text.contains("://")
        || text.contains(['\n', '\r', '\t', '{', '}', '<', '>', '|', '"'])
        || text.starts_with(['/', '\\', '~'])
        || text.trim() != text
        || text.as_bytes().get(1) == Some(&b':')
    {
        return false;
    }
    let last = text
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    has_extension(last) || text.contains(['/', '\\'])
}
