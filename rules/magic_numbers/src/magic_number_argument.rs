use nblint_engine::ruff_python_ast::name::UnqualifiedName;
use nblint_engine::ruff_python_ast::Expr;
use nblint_engine::ruff_text_size::TextRange;
use nblint_engine::{declare_rule, AstRule, Checker, Diagnostic, Rule, Span};

use crate::{
    in_parameters_cell, is_allowed, number, parameter_fix, upper_snake, wildcard,
    MagicNumbersOptions,
};

declare_rule! {
    /// ## What it does
    /// Reports a number passed as a keyword argument: the tuning knobs of a model or an
    /// analysis (`max_depth=6`, `learning_rate=0.1`, `test_size=0.2`, `n_estimators=500`,
    /// `epochs=30`, `batch_size=64`, `window=7`). The same keyword with the same number in
    /// several places is one finding, with the other places as related locations.
    ///
    /// Not reported: the `allowed-numbers`; display, formatting and bookkeeping keywords
    /// (`ignore-keywords`: `figsize`, `dpi`, `fontsize`, `alpha`, `bins`, `axis`, `verbose`,
    /// `n_jobs`, ...; `random_state` and `seed` belong to NB701); plotting, display and
    /// formatting calls (`ignore-functions`, matched against the name as written: `plt.*`,
    /// `sns.*`, `ax.*`, `*.plot`, `*.set_*`, `display`, `print`, ...); the parameters cell.
    ///
    /// ## Why is this bad?
    /// Hyperparameters scattered through calls are the numbers people tune, compare and report,
    /// and the ones nobody finds again. Named in the parameters cell, they are listed in one
    /// place and can be changed per run (`papermill -p MAX_DEPTH 8`).
    ///
    /// ## Example
    /// ```python
    /// model = GradientBoostingClassifier(max_depth=6, learning_rate=0.05)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% tags=["parameters"]
    /// MAX_DEPTH = 6
    /// LEARNING_RATE = 0.05
    /// # %%
    /// model = GradientBoostingClassifier(max_depth=MAX_DEPTH, learning_rate=LEARNING_RATE)
    /// ```
    ///
    /// ## Fix safety
    /// The fix replaces every occurrence with a constant named after the keyword
    /// (`MAX_DEPTH`; `MAX_DEPTH_2` for a second value) and defines it in the parameters cell,
    /// creating that cell when the notebook has none. It is unsafe: the constant now lives in
    /// another cell, which must run first.
    pub struct MagicNumberArgument {
        code: "NB202",
        name: "magic-number-argument",
        family: "magic-numbers",
        severity: Warning,
        default: false,
        fix: Always(Unsafe),
    }
}

/// Where a literal is: cell and range.
type Place = (usize, TextRange);

/// Occurrences gathered during the walk: keyword and literal text, then every place.
#[derive(Default)]
struct Found {
    groups: Vec<((String, String), Vec<Place>)>,
}

impl Rule for MagicNumberArgument {
    fn check_notebook(&self, checker: &Checker<'_>) {
        let groups = checker.with_state(|found: &mut Found| std::mem::take(&mut found.groups));
        for ((keyword, literal), places) in groups {
            let (cell, range) = places[0];
            let mut diagnostic = Diagnostic::new(
                &Self::META,
                Span::cell(cell, range),
                format!("magic number `{literal}` passed as `{keyword}`"),
            )
            .with_help("name it in the parameters cell, so it can be found and tuned");
            for (other, other_range) in &places[1..] {
                diagnostic = diagnostic.with_related(
                    Span::cell(*other, *other_range),
                    format!("`{keyword}={literal}` again"),
                );
            }
            let fix = parameter_fix(checker, &places, &literal, &upper_snake(&keyword));
            checker.report(diagnostic.with_fix(fix));
        }
    }
}

impl AstRule for MagicNumberArgument {
    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        let Expr::Call(call) = expr else {
            return;
        };
        if call.arguments.keywords.is_empty() || in_parameters_cell(checker) {
            return;
        }
        let options = checker.options::<MagicNumbersOptions>();
        let mut ignored_call = None;
        for keyword in call.arguments.keywords.iter() {
            let Some(arg) = &keyword.arg else { continue };
            let Some((value, range)) = number(&keyword.value) else {
                continue;
            };
            let name = arg.as_str();
            if is_allowed(options, value)
                || options
                    .ignore_keywords
                    .iter()
                    .chain(&options.extend_ignore_keywords)
                    .any(|k| wildcard(k, name))
            {
                continue;
            }
            let ignored = *ignored_call.get_or_insert_with(|| is_ignored_call(&call.func, options));
            if ignored {
                return;
            }
            let literal = checker.source()[range].to_string();
            let cell = checker.cell_index();
            checker.with_state(|found: &mut Found| {
                let key = (name.to_string(), literal);
                match found.groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, places)) => places.push((cell, range)),
                    None => found.groups.push((key, vec![(cell, range)])),
                }
            });
        }
    }
}

/// Whether a call is one whose keywords are display settings, by the name written
/// (`ax.set_title`, `plt.plot`; `?.plot` for a method of a computed value such as
/// `df.groupby(...).plot`). Names are matched as written, without resolving imports: the
/// check runs on every call with a numeric keyword, and the conventional aliases (`plt`,
/// `sns`, `px`) are what the patterns name.
fn is_ignored_call(func: &Expr, options: &MagicNumbersOptions) -> bool {
    let written = UnqualifiedName::from_expr(func)
        .map(|n| n.to_string())
        .or_else(|| match func {
            Expr::Attribute(attribute) => Some(format!("?.{}", attribute.attr)),
            _ => None,
        });
    let Some(name) = written else {
        return false;
    };
    options
        .ignore_functions
        .iter()
        .chain(&options.extend_ignore_functions)
        .any(|p| wildcard(p, &name))
}
