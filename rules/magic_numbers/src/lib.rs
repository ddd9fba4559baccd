//! The magic-numbers family (NB2xx): numeric literals that decide what a notebook computes (a
//! threshold in a filter, a hyperparameter in a call) buried in the code, where nobody tuning
//! or reviewing the notebook finds them. Their fix names them in the papermill `parameters`
//! cell. The family never reports a literal in the parameters cell, in an `UPPER_CASE`
//! constant definition, in a default argument, an index or a slice.

mod magic_number_argument;
mod magic_number_comparison;

pub use magic_number_argument::MagicNumberArgument;
pub use magic_number_comparison::MagicNumberComparison;

use nblint_engine::edits;
use nblint_engine::ruff_python_ast::{Expr, Number, UnaryOp};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::{
    declare_options, rules, Applicability, Checker, Edit, Family, Fix, OptionsDecl,
};

/// The family's configuration table: `[magic-numbers]`.
pub const NAME: &str = "magic-numbers";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "numbers that decide what the notebook computes, buried in its code",
    rules: rules![MagicNumberComparison, MagicNumberArgument],
    options: OptionsDecl::of::<MagicNumbersOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the magic-numbers family: `[magic-numbers]`.
    pub struct MagicNumbersOptions {
        /// Numbers that are never magic: identities, halves and percentages. Setting the
        /// option replaces the list.
        allowed_numbers: Numbers = "[0, 1, -1, 2, 100, 0.5]", key = "allowed-numbers", rules = ["NB201", "NB202"];
        /// Keyword arguments that are display, formatting, performance or bookkeeping settings
        /// rather than tuning knobs: their numbers are not reported (`*` matches any text:
        /// `save_*`, `*_alpha`). `random_state` and `seed` are NB701's.
        /// Setting the option replaces the list; `extend-ignore-keywords` adds to it.
        ignore_keywords: Texts = "['figsize', 'dpi', 'fontsize', 'labelsize', 'titlesize', 'size', 's', 'alpha', 'linewidth', 'lw', 'linestyle', 'ls', 'markersize', 'ms', 'markeredgewidth', 'mew', 'edgewidth', 'zorder', 'bins', 'rotation', 'width', 'height', 'aspect', 'pad', 'labelpad', 'fraction', 'shrink', 'ncol', 'ncols', 'nrows', 'loc', 'bbox_to_anchor', 'hspace', 'wspace', 'top', 'bottom', 'left', 'right', 'x', 'y', 'xmin', 'xmax', 'ymin', 'ymax', 'vmin', 'vmax', 'n', 'axis', 'ndim', 'verbose', 'verbosity', 'precision', 'decimals', 'ndigits', 'digits', 'indent', 'max_rows', 'max_columns', 'max_colwidth', 'line_width', 'linewidth', 'skiprows', 'skipfooter', 'header', 'index_col', 'usecols', 'level', 'random_state', 'seed', 'n_jobs', 'workers', 'num_workers', 'nthread', 'n_threads', 'timeout', 'retries', 'max_retries', 'port', 'print_every', 'log_every', 'disp', 'start', 'stop', 'step', 'col_wrap', 'font_scale', 'stacklevel', 'protocol', 'compresslevel', 'chunksize', 'buffer_size', 'priority', 'num_parallel_calls', 'num_parallel_reads', 'cycle_length', 'prefetch', 'max_queue_size', 'steps_per_execution', 'throttle_secs', 'start_delay_secs', 'every_n_iter', 'every_n_steps', 'eval_every', '*_alpha', '*_color', '*_colour', '*fontsize', '*_width', '*_height', '*_secs', '*_seconds', 'save_*', 'log_*', 'logging_*', 'print_*', 'checkpoint_*', 'keep_checkpoint_*', '*_checkpoints_steps', '*_summary_steps', '*_step_count_steps', '*_bytes', 'round_*', '*_digits', '*_digit', 'lat_*', 'lon_*']", key = "ignore-keywords", rules = ["NB202"];
        /// More keywords to ignore, added to `ignore-keywords`.
        extend_ignore_keywords: Texts = "[]", key = "extend-ignore-keywords", rules = ["NB202"];
        /// Calls whose numeric keyword arguments are not reported, by the name as written
        /// (`plt.plot`, `ax.set_title`; `?.plot` for a method of a computed value); `*`
        /// matches any text. Plotting, display and formatting calls. Setting the option
        /// replaces the list; `extend-ignore-functions` adds to it.
        ignore_functions: Texts = "['plt.*', 'matplotlib.*', 'sns.*', 'seaborn.*', 'px.*', 'plotly.*', 'go.*', 'bokeh.*', 'altair.*', 'alt.*', 'display', 'print', 'IPython.*', 'ax.*', 'axs.*', 'axes.*', 'fig.*', 'g.*', '*.plot', '*.plot.*', '*.hist', '*.boxplot', '*.scatter', '*.bar', '*.barh', '*.imshow', '*.set_*', '*.add_subplot', '*.subplots', '*.figure', '*.legend', '*.annotate', '*.text', '*.axhline', '*.axvline', '*.tick_params', '*.style.*', '*.head', '*.tail', '*.round', '*.set_option', '*.set_printoptions', '*.option_context', 'time.sleep', 'sleep', 'range', 'tqdm', 'tqdm.*', 'widgets.*', 'ipywidgets.*', 'json.dump', 'json.dumps', 'logging.*', 'warnings.*', 'np.set_printoptions', 'Basemap', '*.Basemap', 'folium.*']", key = "ignore-functions", rules = ["NB202"];
        /// More calls to ignore, added to `ignore-functions`.
        extend_ignore_functions: Texts = "[]", key = "extend-ignore-functions", rules = ["NB202"];
    }
}

/// A numeric literal, negative ones included: its value and its range.
pub(crate) fn number(expr: &Expr) -> Option<(f64, TextRange)> {
    match expr {
        Expr::NumberLiteral(literal) => {
            let value = match &literal.value {
                Number::Int(int) => int.as_u64()? as f64,
                Number::Float(float) => *float,
                Number::Complex { .. } => return None,
            };
            Some((value, literal.range()))
        }
        Expr::UnaryOp(unary) if unary.op == UnaryOp::USub => {
            let (value, _) = number(&unary.operand)?;
            Some((-value, unary.range()))
        }
        _ => None,
    }
}

/// Whether the options allow this number.
pub(crate) fn is_allowed(options: &MagicNumbersOptions, value: f64) -> bool {
    options.allowed_numbers.contains(&value)
}

/// Whether the cell being walked holds the notebook's parameters, where numbers belong.
pub(crate) fn in_parameters_cell(checker: &Checker<'_>) -> bool {
    edits::is_parameters_cell(checker.cell())
}

/// `UPPER_SNAKE` from a name: `learningRate` and `learning_rate` give `LEARNING_RATE`.
pub(crate) fn upper_snake(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower {
                out.push('_');
            }
            out.extend(c.to_uppercase());
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N_{out}")
    } else {
        out
    }
}

/// The unsafe fix that names the literals at `ranges` of their cells `NAME` in the parameters
/// cell (the same constant for every occurrence).
pub(crate) fn parameter_fix(
    checker: &Checker<'_>,
    occurrences: &[(usize, TextRange)],
    literal: &str,
    name: &str,
) -> Fix {
    let parameter = edits::parameter(checker, name, literal);
    let mut fix_edits: Vec<Edit> = occurrences
        .iter()
        .map(|(cell, range)| Edit::ReplaceSource {
            cell: *cell,
            range: *range,
            content: parameter.name.clone(),
        })
        .collect();
    fix_edits.extend(parameter.edit);
    Fix {
        applicability: Applicability::Unsafe,
        title: format!("Name it `{}` in the parameters cell", parameter.name),
        edits: fix_edits,
    }
}

/// `*` matches any text (dots included); everything else matches itself.
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_patterns() {
        assert_eq!(upper_snake("learningRate"), "LEARNING_RATE");
        assert_eq!(upper_snake("max_depth"), "MAX_DEPTH");
        assert_eq!(upper_snake("df['Sale Price']"), "DF_SALE_PRICE");
        assert_eq!(upper_snake("2nd"), "N_2ND");
        assert!(wildcard("plt.*", "plt.plot"));
        assert!(wildcard("*.set_*", "ax.set_title"));
        assert!(wildcard("display", "display"));
        assert!(!wildcard("display", "displays"));
        assert!(!wildcard("plt.*", "np.plot"));
        assert!(wildcard("*.plot", "df.plot"));
        assert!(!wildcard("*.plot", "df.plotting"));
    }
}
