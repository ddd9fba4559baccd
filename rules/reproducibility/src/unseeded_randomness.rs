use nblint_engine::edits;
use nblint_engine::ruff_python_ast::{Expr, ExprCall, Number};
use nblint_engine::ruff_text_size::{Ranged, TextRange, TextSize};
use nblint_engine::{
    declare_rule, Applicability, AstRule, Checker, Diagnostic, Edit, Fix, Rule, Span,
};

declare_rule! {
    /// ## What it does
    /// Reports randomness a re-run cannot reproduce:
    ///
    /// - draws from `numpy.random` (`np.random.rand`, `choice`, `shuffle`, ...), `random`
    ///   (`random.random`, `choice`, `shuffle`, `sample`, ...), `torch` (`torch.rand`,
    ///   `randn`, `randint`, `randperm`, ...) and `tf.random` with no seed set earlier in the
    ///   notebook (`np.random.seed`, `random.seed`, `torch.manual_seed`, `tf.random.set_seed`;
    ///   `keras.utils.set_random_seed` seeds all of numpy, `random` and TensorFlow);
    /// - generators made without a seed: `np.random.default_rng()`, `np.random.RandomState()`,
    ///   `random.Random()`;
    /// - scikit-learn splitters and estimators that shuffle or sample, called without
    ///   `random_state`: `train_test_split`, `KFold(shuffle=True)`,
    ///   `StratifiedKFold(shuffle=True)`, `ShuffleSplit`, `shuffle`, random forests, gradient
    ///   boosting, trees, `KMeans`, `TSNE`, `SGDClassifier`, `MLPClassifier`,
    ///   `RandomizedSearchCV`, the `make_*` data generators; pandas' `.sample(...)` without
    ///   `random_state`.
    ///
    /// Calls are resolved through the imports, in the order a restart-and-run-all runs them.
    /// A seed call that gives no seed (`np.random.seed()`, `random.seed(None)`) seeds nothing:
    /// the operating system picks one on every run. Not reported: scikit-learn and pandas calls
    /// without `random_state` after a fixed `np.random.seed(...)` (they draw from numpy's
    /// global generator), XGBoost's and LightGBM's estimators (their default seeds are fixed),
    /// and draws that only set a pause (`time.sleep(random.uniform(1, 3))`).
    ///
    /// Off by default: many unseeded draws only fill a plot or a demonstration, which no
    /// result depends on, and a static reading cannot tell them from the draws that matter.
    /// Turn it on (`--extend-select NB701`) for notebooks whose results must be reproducible.
    ///
    /// ## Why is this bad?
    /// A result that changes on every run cannot be checked, compared or reviewed: the model
    /// that scored 0.91 yesterday scores 0.89 today, and nobody can tell a real improvement
    /// from a lucky split.
    ///
    /// ## Example
    /// ```python
    /// from sklearn.model_selection import train_test_split
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// # %% tags=["parameters"]
    /// SEED = 42
    /// # %%
    /// from sklearn.model_selection import train_test_split
    /// X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=SEED)
    /// ```
    ///
    /// ## Fix safety
    /// For the scikit-learn calls and pandas' `.sample`, the fix adds `random_state=SEED` and
    /// defines `SEED = 42` in the parameters cell (creating it when missing). It is unsafe: the
    /// results change once, to the ones seed 42 gives. Unseeded draws from `numpy.random`,
    /// `random`, `torch` and `tf.random` get no fix: where to seed is a decision about the
    /// whole notebook.
    pub struct UnseededRandomness {
        code: "NB701",
        name: "unseeded-randomness",
        family: "reproducibility",
        severity: Warning,
        default: false,
        fix: Sometimes(Unsafe),
    }
}

/// Libraries whose global generator a seed call seeds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Library {
    Numpy,
    Random,
    Torch,
    Tensorflow,
}

/// The libraries seeded so far in the walk (which is in document order), and those whose seed
/// call gave no seed (`np.random.seed()`: a seed from the operating system).
#[derive(Default)]
struct Seeded {
    fixed: Vec<Library>,
    from_entropy: Vec<Library>,
    /// The arguments of `time.sleep(...)` calls, by cell: a random pause changes only when
    /// the notebook runs, not what it computes.
    pauses: Vec<(usize, TextRange)>,
}

const SEEDS: &[(&str, &[Library])] = &[
    ("numpy.random.seed", &[Library::Numpy]),
    ("random.seed", &[Library::Random]),
    ("torch.manual_seed", &[Library::Torch]),
    ("torch.random.manual_seed", &[Library::Torch]),
    ("tensorflow.random.set_seed", &[Library::Tensorflow]),
    ("tensorflow.set_random_seed", &[Library::Tensorflow]),
    (
        "tensorflow.compat.v1.set_random_seed",
        &[Library::Tensorflow],
    ),
    (
        "keras.utils.set_random_seed",
        &[Library::Numpy, Library::Random, Library::Tensorflow],
    ),
    (
        "tensorflow.keras.utils.set_random_seed",
        &[Library::Numpy, Library::Random, Library::Tensorflow],
    ),
    (
        "transformers.set_seed",
        &[
            Library::Numpy,
            Library::Random,
            Library::Torch,
            Library::Tensorflow,
        ],
    ),
    (
        "pytorch_lightning.seed_everything",
        &[Library::Numpy, Library::Random, Library::Torch],
    ),
    (
        "lightning.seed_everything",
        &[Library::Numpy, Library::Random, Library::Torch],
    ),
];

const NUMPY_DRAWS: &[&str] = &[
    "rand",
    "randn",
    "randint",
    "random",
    "random_sample",
    "ranf",
    "sample",
    "choice",
    "shuffle",
    "permutation",
    "normal",
    "uniform",
    "binomial",
    "poisson",
    "beta",
    "gamma",
    "exponential",
    "multinomial",
    "multivariate_normal",
    "standard_normal",
    "lognormal",
    "laplace",
    "logistic",
    "geometric",
    "dirichlet",
    "triangular",
    "bytes",
];
const RANDOM_DRAWS: &[&str] = &[
    "random",
    "randint",
    "randrange",
    "choice",
    "choices",
    "shuffle",
    "sample",
    "uniform",
    "gauss",
    "normalvariate",
    "expovariate",
    "triangular",
    "betavariate",
    "getrandbits",
];
const TORCH_DRAWS: &[&str] = &[
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "rand_like",
    "randn_like",
    "randint_like",
    "poisson",
];
const TF_DRAWS: &[&str] = &[
    "uniform",
    "normal",
    "truncated_normal",
    "shuffle",
    "categorical",
    "gamma",
    "poisson",
];

/// scikit-learn and friends: callables that take `random_state` and are random without it.
const RANDOM_STATE: &[&str] = &[
    "sklearn.model_selection.train_test_split",
    "sklearn.model_selection.ShuffleSplit",
    "sklearn.model_selection.StratifiedShuffleSplit",
    "sklearn.model_selection.GroupShuffleSplit",
    "sklearn.model_selection.RandomizedSearchCV",
    "sklearn.utils.shuffle",
    "sklearn.utils.resample",
    "sklearn.ensemble.RandomForestClassifier",
    "sklearn.ensemble.RandomForestRegressor",
    "sklearn.ensemble.ExtraTreesClassifier",
    "sklearn.ensemble.ExtraTreesRegressor",
    "sklearn.ensemble.GradientBoostingClassifier",
    "sklearn.ensemble.GradientBoostingRegressor",
    "sklearn.ensemble.HistGradientBoostingClassifier",
    "sklearn.ensemble.HistGradientBoostingRegressor",
    "sklearn.ensemble.BaggingClassifier",
    "sklearn.ensemble.BaggingRegressor",
    "sklearn.ensemble.AdaBoostClassifier",
    "sklearn.ensemble.AdaBoostRegressor",
    "sklearn.ensemble.IsolationForest",
    "sklearn.tree.DecisionTreeClassifier",
    "sklearn.tree.DecisionTreeRegressor",
    "sklearn.cluster.KMeans",
    "sklearn.cluster.MiniBatchKMeans",
    "sklearn.manifold.TSNE",
    "sklearn.linear_model.SGDClassifier",
    "sklearn.linear_model.SGDRegressor",
    "sklearn.neural_network.MLPClassifier",
    "sklearn.neural_network.MLPRegressor",
    "sklearn.datasets.make_classification",
    "sklearn.datasets.make_regression",
    "sklearn.datasets.make_blobs",
    "sklearn.datasets.make_moons",
    "sklearn.datasets.make_circles",
];

/// Splitters that are random only with `shuffle=True`.
const SHUFFLE_SPLITTERS: &[&str] = &[
    "sklearn.model_selection.KFold",
    "sklearn.model_selection.StratifiedKFold",
    "sklearn.model_selection.GroupKFold",
];

/// Generators that need a seed argument.
const GENERATORS: &[&str] = &[
    "numpy.random.default_rng",
    "numpy.random.RandomState",
    "numpy.random.Generator",
    "random.Random",
];

/// The top-level modules the tables above name (`numpy`, `sklearn`, ...).
static MODULES: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        let first = |name: &'static str| name.split('.').next().unwrap_or(name);
        SEEDS
            .iter()
            .map(|(name, _)| first(name))
            .chain(RANDOM_STATE.iter().map(|n| first(n)))
            .chain(SHUFFLE_SPLITTERS.iter().map(|n| first(n)))
            .chain(GENERATORS.iter().map(|n| first(n)))
            .chain(["numpy", "random", "torch", "tensorflow"])
            .collect()
    });

impl Rule for UnseededRandomness {}

impl AstRule for UnseededRandomness {
    fn check_expr(&self, expr: &Expr, checker: &Checker<'_>) {
        let Expr::Call(call) = expr else { return };
        let cell = checker.cell_index();
        let has_keyword = |name: &str| {
            call.arguments.keywords.iter().any(|k| {
                k.arg.as_ref().is_some_and(|a| a.as_str() == name)
                    && !k.value.is_none_literal_expr()
            })
        };
        let Some(qualified) = checker.imports().resolve_call(cell, call) else {
            // pandas' `.sample(...)` on a frame or series: a method of a value, not an import.
            if let Expr::Attribute(attribute) = &*call.func {
                let receiver_is_import = matches!(&*attribute.value, Expr::Name(n)
                    if checker.imports().resolve_name(cell, call.start(), n.id.as_str()).is_some());
                if attribute.attr.as_str() == "sample"
                    && !receiver_is_import
                    && (!call.arguments.args.is_empty() || has_keyword("frac") || has_keyword("n"))
                    && !has_keyword("random_state")
                    && !numpy_seeded(checker)
                {
                    // `frac=1` keeps every row: only their order changes.
                    // (`replace=True` draws rows with repeats: a different set.)
                    let shuffles_only = call.arguments.keywords.iter().any(|k| {
                        k.arg.as_ref().is_some_and(|a| a.as_str() == "frac")
                            && matches!(&k.value, Expr::NumberLiteral(n)
                                if matches!(&n.value, Number::Int(i) if i.as_u8() == Some(1))
                                    || matches!(&n.value, Number::Float(f) if *f == 1.0))
                    }) && !call.arguments.keywords.iter().any(|k| {
                        k.arg.as_ref().is_some_and(|a| a.as_str() == "replace")
                            && !matches!(&k.value, Expr::BooleanLiteral(b) if !b.value)
                    });
                    report(
                        checker,
                        call,
                        attribute.attr.range(),
                        if shuffles_only {
                            "`.sample(frac=1)` shuffles the rows into a different order on every run"
                        } else {
                            "`.sample(...)` draws different rows on every run"
                        },
                        true,
                    );
                }
            }
            return;
        };
        if let ["time" | "asyncio", "sleep"] = qualified.segments() {
            let arguments = call.arguments.range();
            checker.with_state(|seeded: &mut Seeded| seeded.pauses.push((cell, arguments)));
            return;
        }
        // Most calls are of modules no table names: skip them before building the name.
        if !qualified
            .segments()
            .first()
            .is_some_and(|first| MODULES.contains(first))
        {
            return;
        }
        let name = qualified.to_string();
        if let Some((_, libraries)) = SEEDS.iter().find(|(seed, _)| *seed == name) {
            // `np.random.seed()` and `random.seed(None)` seed from the operating system's
            // entropy: the draws after them still change on every run.
            let fixed = gives_seed(call);
            checker.with_state(|seeded: &mut Seeded| {
                if fixed {
                    seeded.fixed.extend(libraries.iter().copied());
                } else {
                    // A reseed from the operating system undoes an earlier fixed seed.
                    seeded.fixed.retain(|l| !libraries.contains(l));
                    seeded.from_entropy.extend(libraries.iter().copied());
                }
            });
            return;
        }
        let segments = qualified.segments();
        let draw = match segments {
            ["numpy", "random", draw] if NUMPY_DRAWS.contains(draw) => {
                Some((Library::Numpy, "np.random.seed"))
            }
            ["random", draw] if RANDOM_DRAWS.contains(draw) => {
                Some((Library::Random, "random.seed"))
            }
            ["torch", draw] if TORCH_DRAWS.contains(draw) => {
                Some((Library::Torch, "torch.manual_seed"))
            }
            ["tensorflow", "random", draw] if TF_DRAWS.contains(draw) => {
                Some((Library::Tensorflow, "tf.random.set_seed"))
            }
            _ => None,
        };
        if let Some((library, seed)) = draw {
            let (fixed, from_entropy) = checker.with_state(|seeded: &mut Seeded| {
                (
                    seeded.fixed.contains(&library),
                    seeded.from_entropy.contains(&library),
                )
            });
            if !fixed {
                let why = if from_entropy {
                    format!("the `{seed}` call above gives no seed, so it takes one from the operating system on every run")
                } else {
                    format!("no cell above calls `{seed}`")
                };
                report(
                    checker,
                    call,
                    call.func.range(),
                    &format!(
                        "{} draws without a seed: {why}",
                        callee(checker, call, &name)
                    ),
                    false,
                );
            }
            return;
        }
        if GENERATORS.contains(&name.as_str()) {
            if !gives_seed(call) {
                report(
                    checker,
                    call,
                    call.func.range(),
                    &format!(
                        "{} makes a generator without a seed",
                        callee(checker, call, &name)
                    ),
                    false,
                );
            }
            return;
        }
        let shuffles = SHUFFLE_SPLITTERS.contains(&name.as_str())
            && call.arguments.keywords.iter().any(|k| {
                k.arg.as_ref().is_some_and(|a| a.as_str() == "shuffle")
                    && k.value.is_boolean_literal_expr()
                    && matches!(&k.value, Expr::BooleanLiteral(b) if b.value)
            });
        // Without `random_state`, scikit-learn draws from numpy's global generator
        // (`check_random_state(None)`): a fixed `np.random.seed` above makes it reproducible.
        if (RANDOM_STATE.contains(&name.as_str()) || shuffles)
            && !has_keyword("random_state")
            && !numpy_seeded(checker)
        {
            let short = name.rsplit('.').next().unwrap_or(&name);
            report(
                checker,
                call,
                call.func.range(),
                &format!(
                    "{} is called without `random_state`: it changes on every run",
                    callee(checker, call, short)
                ),
                true,
            );
        }
    }
}

/// Whether a cell above (or this one, earlier) gives numpy's global generator a fixed seed,
/// which scikit-learn and pandas draw from when no `random_state` is given.
fn numpy_seeded(checker: &Checker<'_>) -> bool {
    checker.with_state(|seeded: &mut Seeded| seeded.fixed.contains(&Library::Numpy))
}

/// Whether a seed call or a generator is given a seed: an argument that is not the literal
/// `None` (`seed()`, `seed(None)` and `default_rng(seed=None)` take one from the operating
/// system). Unpacked arguments (`*args`, `**options`) may hold one: they count as a seed.
fn gives_seed(call: &ExprCall) -> bool {
    call.arguments
        .args
        .iter()
        .any(|a| !a.is_none_literal_expr())
        || call
            .arguments
            .keywords
            .iter()
            .any(|k| !k.value.is_none_literal_expr())
}

/// The called function for a message: `` `name` ``, or `` `alias` (`name`) `` when the cell
/// calls it by another name (`RF` for `RandomForestClassifier`).
fn callee(checker: &Checker<'_>, call: &ExprCall, name: &str) -> String {
    let written = checker.source()[call.func.range()].to_string();
    let last = |s: &str| s.rsplit('.').next().unwrap_or_default().to_string();
    if last(&written) == last(name) || written.contains(['\n', '\r']) {
        format!("`{name}`")
    } else {
        format!("`{written}` (`{name}`)")
    }
}

/// Reports `call`, pointing at `at` (the callee, or a method's name).
fn report(checker: &Checker<'_>, call: &ExprCall, at: TextRange, message: &str, fixable: bool) {
    let cell = checker.cell_index();
    let in_pause = checker.with_state(|seeded: &mut Seeded| {
        seeded
            .pauses
            .iter()
            .any(|&(c, range)| c == cell && range.contains_range(call.range()))
    });
    if in_pause {
        return;
    }
    let mut diagnostic = Diagnostic::new(&UnseededRandomness::META, Span::cell(cell, at), message)
        .with_help("seed it: `random_state=SEED` (a constant in the parameters cell), or a seed call in the first cells");
    if fixable {
        if let Some(fix) = random_state_fix(checker, call) {
            diagnostic = diagnostic.with_fix(fix);
        }
    }
    checker.report(diagnostic);
}

/// Adds `random_state=SEED` before the call's closing parenthesis, and `SEED = 42` to the
/// parameters cell.
fn random_state_fix(checker: &Checker<'_>, call: &ExprCall) -> Option<Fix> {
    let source = checker.source();
    let close = call.arguments.end().to_usize().checked_sub(1)?;
    if source.as_bytes().get(close) != Some(&b')') {
        return None;
    }
    // After the last argument (a trailing comma kept), or right after `(`.
    let last = call
        .arguments
        .args
        .iter()
        .map(Ranged::end)
        .chain(call.arguments.keywords.iter().map(Ranged::end))
        .max();
    let parameter = edits::parameter(checker, "SEED", "42");
    let (at, content) = match last {
        Some(end) => {
            let end = end.to_usize();
            let between = &source[end..close];
            if between.trim_start().starts_with(',') {
                let comma = end + between.find(',')? + 1;
                (comma, format!(" random_state={}", parameter.name))
            } else {
                (end, format!(", random_state={}", parameter.name))
            }
        }
        None => (close, format!("random_state={}", parameter.name)),
    };
    let mut fix_edits = vec![Edit::ReplaceSource {
        cell: checker.cell_index(),
        range: TextRange::empty(TextSize::try_from(at).ok()?),
        content,
    }];
    fix_edits.extend(parameter.edit);
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!("Pass `random_state={}`", parameter.name),
        edits: fix_edits,
    })
}
