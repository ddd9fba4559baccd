use nblint_engine::ruff_python_ast::helpers::any_over_expr;
use nblint_engine::ruff_python_ast::{CmpOp, Expr, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::{declare_rule, AstRule, Checker, Diagnostic, Rule, Span};

use crate::{
    in_parameters_cell, is_allowed, number, parameter_fix, upper_snake, MagicNumbersOptions,
};

declare_rule! {
    /// ## What it does
    /// Reports a number in a comparison, pandas and numpy filters included
    /// (`df[df.score > 0.73]`, `np.where(a < 3.5, ...)`), unless it is one of the
    /// `allowed-numbers` (0, 1, -1, 2, 100, 0.5).
    ///
    /// Not reported: the parameters cell (tagged `parameters`, or papermill's
    /// `injected-parameters`), size checks (`len(x) > 10`, `df.shape[0] < 5`), version checks
    /// (`sys.version_info >= (3, 8)`, `tf.__version__`), HTTP status codes compared with a
    /// response's status (`r.status_code == 404`), membership tests (`if 8 in edges`), and
    /// comparisons of two literals, days of the week (`df.index.weekday < 5`), missing-value
    /// codes of all nines compared for equality, or negative (`df.wdsp != 999.9`, `df.t > -9999`), a number that also divides on the same line
    /// (`i < 10` next to `i % 10`), assertions (`assert loss < 0.001` checks a result, it
    /// does not decide one), and comparisons whose value is only shown: a statement that is
    /// a bare expression (`data[data > 0.3]`) or only computes something to look at
    /// (`np.all(x == 6)`, `print(...)`, `df[df.a > 3].head()`).
    ///
    /// Off by default: whether a number is a threshold someone would tune or a fact of the
    /// data (a loop that shows the first eight images, a frequency below every real note) is
    /// often clear only to a reader of the whole notebook. Turn it on (`--extend-select NB201`)
    /// to review a notebook's cut-offs before it is parameterised.
    ///
    /// ## Why is this bad?
    /// A threshold buried in a filter decides what the notebook computes, and nobody tuning or
    /// re-running it finds it without reading every line. Named in the parameters cell, it can
    /// be read at a glance and changed per run (`papermill -p MIN_SCORE 0.8`).
    ///
    /// ## Example
    /// ```python
    /// good = df[df["score"] > 0.73]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% tags=["parameters"]
    /// MIN_SCORE = 0.73
    /// # %%
    /// good = df[df["score"] > MIN_SCORE]
    /// ```
    ///
    /// ## Fix safety
    /// The fix replaces the number with a constant named after what it is compared with
    /// and the bound it sets (`MIN_SCORE` for `score > 0.73`, `MAX_LATENCY` for
    /// `latency <= 250`, `LABEL_VALUE` for `label == 3`) and defines it in the parameters cell,
    /// creating that cell (tagged `parameters`, before the first code cell) when the notebook
    /// has none. It is unsafe: the constant now lives in another cell, which must run first.
    pub struct MagicNumberComparison {
        code: "NB201",
        name: "magic-number-comparison",
        family: "magic-numbers",
        severity: Warning,
        default: false,
        fix: Always(Unsafe),
    }
}

impl Rule for MagicNumberComparison {}

/// The expressions (by cell) whose comparisons check or show a value rather than decide one:
/// an `assert`'s test, and statements that only show a value (see [`only_shows`]).
#[derive(Default)]
struct Checked(Vec<(usize, TextRange)>);

impl AstRule for MagicNumberComparison {
    fn check_stmt(&self, stmt: &Stmt, checker: &Checker<'_>) {
        let range = match stmt {
            Stmt::Assert(assert) => assert.test.range(),
            Stmt::Expr(statement) if only_shows(&statement.value) => statement.value.range(),
            _ => return,
        };
        let cell = checker.cell_index();
        checker.with_state(|checked: &mut Checked| {
            // Statements come in document order: the ranges of earlier cells are done with.
            checked.0.retain(|&(c, _)| c == cell);
            checked.0.push((cell, range));
        });
    }

    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        let Expr::Compare(compare) = expr else {
            return;
        };
        if in_parameters_cell(checker) {
            return;
        }
        let cell = checker.cell_index();
        let shown = checker.with_state(|checked: &mut Checked| {
            checked
                .0
                .iter()
                .any(|&(c, range)| c == cell && range.contains_range(compare.range()))
        });
        if shown {
            return;
        }
        let options = checker.options::<MagicNumbersOptions>();
        let operands: Vec<&Expr> = std::iter::once(&*compare.left)
            .chain(compare.comparators.iter())
            .collect();
        for (i, op) in compare.ops.iter().enumerate() {
            // Membership and identity tests name values, not thresholds: `if 8 in edges`.
            if matches!(op, CmpOp::In | CmpOp::NotIn | CmpOp::Is | CmpOp::IsNot) {
                continue;
            }
            let (a, b) = (operands[i], operands[i + 1]);
            for (literal, other, literal_on_right) in [(b, a, true), (a, b, false)] {
                let Some((value, range)) = number(literal) else {
                    continue;
                };
                let source = checker.source();
                let text = &source[range];
                if is_allowed(options, value)
                    || number(other).is_some()
                    || is_excused(other, value)
                    // `!= 999.9`, or `> -9999`: what lies beyond a negative code is data.
                    || ((matches!(op, CmpOp::Eq | CmpOp::NotEq) || text.starts_with('-'))
                        && is_sentinel(text))
                    || is_modulus_nearby(source, range, text)
                {
                    continue;
                }
                let subject = subject(other);
                // `score > 0.73` keeps scores above a minimum, `0.73 > score` below a maximum.
                let bound = match (op, literal_on_right) {
                    (CmpOp::Gt | CmpOp::GtE, true) | (CmpOp::Lt | CmpOp::LtE, false) => Some("MIN"),
                    (CmpOp::Lt | CmpOp::LtE, true) | (CmpOp::Gt | CmpOp::GtE, false) => Some("MAX"),
                    _ => None,
                };
                let name = match (&subject, bound) {
                    (Some(subject), Some(bound)) => format!("{bound}_{}", upper_snake(subject)),
                    (Some(subject), None) => format!("{}_VALUE", upper_snake(subject)),
                    (None, Some(bound)) => format!("{bound}_THRESHOLD"),
                    (None, None) => "VALUE".to_string(),
                };
                let cell = checker.cell_index();
                let compared = subject.map(|s| format!(" with `{s}`")).unwrap_or_default();
                checker.report(
                    Diagnostic::new(
                        &Self::META,
                        Span::cell(cell, range),
                        format!("magic number `{text}` in a comparison{compared}"),
                    )
                    .with_help("name it in the parameters cell, so it can be found and tuned")
                    .with_fix(parameter_fix(
                        checker,
                        &[(cell, range)],
                        text,
                        &name,
                    )),
                );
            }
        }
    }
}

/// Functions and methods that compute a value to look at, changing nothing: a statement of one
/// of these calls, like a bare expression, shows its value and decides nothing.
const SHOWING: &[&str] = &[
    "print",
    "display",
    "all",
    "any",
    "sum",
    "count_nonzero",
    "nonzero",
    "argwhere",
    "mean",
    "len",
    "head",
    "tail",
    "describe",
    "value_counts",
    "unique",
    "nunique",
    "count",
];

/// Whether an expression statement only shows a value: a bare expression that is not a call
/// (`data[data > 0.3]`, `x <= 3`), or a call of a function that only computes something to
/// look at (`np.all(x == 6)`, `print(...)`, `df[df.a > 3].head()`), whose arguments only show
/// values too (`print(train(x > 3))` trains).
fn only_shows(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return !any_over_expr(expr, &|e: &Expr| e.is_call_expr() || e.is_named_expr());
    };
    let (name, receiver_shows) = match &*call.func {
        Expr::Name(name) => (name.id.as_str(), true),
        Expr::Attribute(attribute) => (attribute.attr.as_str(), only_shows(&attribute.value)),
        _ => return false,
    };
    // `df.where(df.a > 3, 0, inplace=True)` changes the frame.
    let inplace = call
        .arguments
        .keywords
        .iter()
        .any(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "inplace"));
    SHOWING.contains(&name)
        && !inplace
        && receiver_shows
        && call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
            .all(only_shows)
}

/// What a number is compared with, as a name for its constant: the column of `df["score"]`,
/// the attribute of `df.score`, a variable's name.
fn subject(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => Some(attribute.attr.to_string()),
        Expr::Subscript(subscript) => match &*subscript.slice {
            Expr::StringLiteral(key) => {
                let key = key.value.to_str();
                (!key.is_empty() && key.chars().any(char::is_alphabetic)).then(|| key.to_string())
            }
            _ => subject(&subscript.value),
        },
        Expr::Call(call) => match &*call.func {
            // `df.score.mean() > 3`: the attribute the method is called on.
            Expr::Attribute(method) => subject(&method.value),
            _ => None,
        },
        _ => None,
    }
}

/// Comparisons whose numbers are not magic: sizes, versions, HTTP statuses.
fn is_excused(other: &Expr, value: f64) -> bool {
    match other {
        // A day of the week (`df.index.weekday < 5`: Saturday and Sunday are 5 and 6).
        Expr::Attribute(attribute)
            if matches!(
                attribute.attr.as_str(),
                "weekday" | "dayofweek" | "day_of_week" | "isoweekday"
            ) && value.fract() == 0.0
                && (0.0..=7.0).contains(&value) =>
        {
            true
        }
        Expr::Call(call) => match &*call.func {
            Expr::Name(name) => name.id.as_str() == "len",
            // `d.weekday() < 5`, `d.isoweekday() <= 5`.
            Expr::Attribute(attribute)
                if matches!(attribute.attr.as_str(), "weekday" | "isoweekday")
                    && value.fract() == 0.0
                    && (0.0..=7.0).contains(&value) =>
            {
                true
            }
            Expr::Attribute(attribute) => is_excused(&attribute.value, value),
            _ => false,
        },
        Expr::Attribute(attribute) => {
            let attr = attribute.attr.as_str();
            matches!(
                attr,
                "shape" | "size" | "ndim" | "__version__" | "version_info" | "version"
            ) || (matches!(attr, "status_code" | "status" | "code")
                && value.fract() == 0.0
                && (100.0..600.0).contains(&value))
                || is_version(&attribute.value)
        }
        Expr::Subscript(subscript) => is_excused(&subscript.value, value),
        Expr::Name(name) => {
            let id = name.id.as_str();
            id.contains("version")
                || (matches!(id, "status_code" | "status") && (100.0..600.0).contains(&value))
        }
        _ => false,
    }
}

/// A missing-value code of a data format: all nines (`999`, `-9999`, `999.9`).
fn is_sentinel(text: &str) -> bool {
    let digits = text.trim_start_matches('-');
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    whole.len() >= 3
        && whole.bytes().all(|b| b == b'9')
        && (fraction.bytes().all(|b| b == b'9') || fraction.bytes().all(|b| b == b'0'))
}

/// Whether the number also divides on the same line (`i < 10` next to `i % 10`, the ten
/// digits): a property of the numbering, not a threshold to tune.
fn is_modulus_nearby(source: &str, at: TextRange, text: &str) -> bool {
    let start = source[..at.start().to_usize()]
        .rfind(['\n', '\r'])
        .map_or(0, |i| i + 1);
    let end = source[at.end().to_usize()..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| at.end().to_usize() + i);
    let line = &source[start..end];
    line.match_indices('%').any(|(i, _)| {
        let after = line[i + 1..].trim_start();
        after.starts_with(text)
            && !after[text.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    })
}

fn is_version(expr: &Expr) -> bool {
    match expr {
        Expr::Attribute(attribute) => {
            attribute.attr.as_str().contains("version") || is_version(&attribute.value)
        }
        Expr::Name(name) => name.id.as_str().contains("version"),
        _ => false,
    }
}
