//! The leakage dataflow that NB702, NB705, NB706 and NB707 share: one pass over the notebook's
//! module-level statements, in the order a restart-and-run-all runs them, that follows data
//! values through assignments and cells.
//!
//! Every value the pass can tell something about gets an abstract [`Value`]: data (with the
//! dataset it comes from, the part of a split it is, and the *taints* it carries: a transformer
//! fit on it, a statistic of its own used to fill or scale it, rows duplicated by
//! oversampling), a statistic of data, a transformer, a splitter, a model. Derivations keep the
//! dataset (`X = df.drop(...)`, `X.values`, `np.log(X)`); splits (`train_test_split`, a
//! splitter's `split`, cross-validation, slicing into names such as `train` and `test`) check
//! the taints of what they split. Bodies of `for`, `if`, `with` and `try` run in order; a
//! function body runs when it is called and is not followed.
//!
//! The pass runs once per notebook, on first use, and only when the notebook imports a
//! machine-learning library: there is nothing to leak without one.

use nblint_engine::semantic::Map;

use nblint_engine::ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use nblint_engine::ruff_text_size::{Ranged, TextRange};
use nblint_engine::{Checker, Diagnostic, RuleMeta, Span};

use nblint_engine::semantic::names::any_word;

use crate::{quoted, ReproducibilityOptions};

/// Which rule a finding of the pass belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// NB702.
    FitOnTest,
    /// NB705.
    Preprocessing,
    /// NB706.
    Overlap,
    /// NB707.
    MultiTest,
}

#[derive(Clone, Debug)]
pub(crate) struct Leak {
    pub kind: Kind,
    pub span: Span,
    pub message: String,
    pub related: Vec<(Span, String)>,
}

/// The findings of the pass, computed once per notebook.
#[derive(Default)]
struct Cache(Option<Vec<Leak>>);

/// The findings of one kind.
pub(crate) fn leaks(checker: &Checker<'_>, kind: Kind) -> Vec<Leak> {
    checker.with_state(|cache: &mut Cache| {
        cache
            .0
            .get_or_insert_with(|| analyze(checker))
            .iter()
            .filter(|leak| leak.kind == kind)
            .cloned()
            .collect()
    })
}

/// Reports the findings of one kind as diagnostics of `meta`, with their related spans.
pub(crate) fn report(checker: &Checker<'_>, meta: &'static RuleMeta, kind: Kind, help: &str) {
    for leak in leaks(checker, kind) {
        let mut diagnostic = Diagnostic::new(meta, leak.span, leak.message).with_help(help);
        for (span, note) in leak.related {
            diagnostic = diagnostic.with_related(span, note);
        }
        checker.report(diagnostic);
    }
}

/// Packages whose presence makes the pass worth running.
const ML_PACKAGES: &[&str] = &[
    "sklearn",
    "imblearn",
    "keras",
    "tensorflow",
    "torch",
    "xgboost",
    "lightgbm",
    "catboost",
    "category_encoders",
];

fn analyze(checker: &Checker<'_>) -> Vec<Leak> {
    let imports = checker.imports();
    let relevant = imports.all().iter().any(|import| {
        let module = import.module.as_str();
        let package = module.split('.').next().unwrap_or(module);
        ML_PACKAGES.contains(&package)
    });
    if !relevant {
        return Vec::new();
    }
    let options = checker.options::<ReproducibilityOptions>();
    let mut flow = Flow {
        checker,
        test_words: &options.test_words,
        cell: 0,
        env: Map::default(),
        next_id: 0,
        splits: Vec::new(),
        manual: Map::default(),
        leaks: Vec::new(),
        reported: Vec::new(),
        loops: Vec::new(),
        next_loop: 0,
        fits: Vec::new(),
        evaluations: Vec::new(),
        validated: false,
        made_in_loop: Map::default(),
        sampled_train: Vec::new(),
        loop_targets: Vec::new(),
        index_splits: Vec::new(),
        pending: Vec::new(),
    };
    for (index, parsed) in checker.cells.iter().enumerate() {
        let Some(module) = parsed.parsed.as_ref() else {
            continue;
        };
        if !module.errors().is_empty() {
            continue;
        }
        flow.cell = index;
        flow.body(&module.syntax().body);
    }
    for (_, _, leak) in std::mem::take(&mut flow.pending) {
        flow.leaks.push(leak);
    }
    flow.multi_test();
    flow.leaks
}

/// Something a transformer learned, or a statistic was taken, or rows were duplicated: where,
/// by what, from which data.
#[derive(Clone, Debug, PartialEq)]
struct Taint {
    kind: TaintKind,
    cell: usize,
    range: TextRange,
    /// What learned or computed it: `` `scaler` ``, `` `df["age"].mean()` ``, `` `SMOTE` ``.
    actor: String,
    /// The data it was computed from: `` `X` ``.
    data: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TaintKind {
    Fit,
    Statistic,
    Oversample,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Part {
    split: usize,
    test: bool,
}

#[derive(Clone, Debug)]
struct Data {
    /// The dataset it comes from.
    root: u32,
    part: Option<Part>,
    taints: Vec<Taint>,
}

/// What a fit learned from.
#[derive(Clone, Debug)]
struct Fitted {
    root: u32,
    part: Option<Part>,
    cell: usize,
    range: TextRange,
    data: String,
}

#[derive(Clone, Debug)]
enum Value {
    Data(Data),
    /// A statistic of data: `X.mean()`, `np.std(X)`.
    Stat {
        root: u32,
        part: Option<Part>,
        cell: usize,
        range: TextRange,
    },
    Transformer {
        oversampler: bool,
        fitted: Option<Fitted>,
    },
    Splitter,
    /// Label encoders, embeddings for plots (`TSNE`) and baselines (`DummyClassifier`): what
    /// they learn reaches no model that is chosen.
    Harmless,
    /// `GridSearchCV(...)` and friends: cross-validation when fit.
    Search,
    Model {
        id: u32,
        fitted: Option<Fitted>,
    },
    /// What a tuple or a function returning several values holds.
    Seq(Vec<Option<Value>>),
}

/// A place where data is split into train and test.
#[derive(Clone, Debug)]
struct Split {
    cell: usize,
    range: TextRange,
    root: u32,
    /// The part of an earlier split the data split here is (cross-validation of a training part).
    source: Option<Part>,
    /// Validation rather than test data (a name such as `X_val` holds its second part).
    how: &'static str,
}

/// A `.fit` of a model or an evaluation on test data, for NB707.
#[derive(Clone, Debug)]
struct Use {
    receiver: String,
    model: Option<u32>,
    loops: Vec<u32>,
    cell: usize,
    range: TextRange,
    /// For evaluations: the test data, by split or by name.
    test: Option<String>,
    /// For evaluations: the test data as written.
    data: String,
    /// For fits: the model was made in the loop (a new setting each pass).
    constructed_in_loop: bool,
}

struct Flow<'c, 'a> {
    checker: &'c Checker<'a>,
    test_words: &'c [String],
    cell: usize,
    env: Map<String, Value>,
    next_id: u32,
    splits: Vec<Split>,
    /// Manual splits (`train = df[:800]`), by the dataset they split.
    manual: Map<u32, usize>,
    leaks: Vec<Leak>,
    /// (kind, cell, range) of findings made, so one place is reported once.
    reported: Vec<(Kind, usize, TextRange)>,
    loops: Vec<u32>,
    next_loop: u32,
    fits: Vec<Use>,
    evaluations: Vec<Use>,
    /// The notebook has validation data or cross-validation: NB707 stays quiet.
    validated: bool,
    /// Models made in a loop: the name, and the loop.
    made_in_loop: Map<String, u32>,
    /// Manual splits whose training part is a `sample` of the whole data.
    sampled_train: Vec<usize>,
    /// Splits of row numbers or an index (`train_test_split(df.index)`), whose parts select rows.
    index_splits: Vec<usize>,
    /// The names each running loop's target binds (`model` in `for name, model in ...`).
    loop_targets: Vec<Vec<String>>,
    /// Fits on a test part known only by flow: the receiver, the split, the finding. Dropped
    /// when the receiver then evaluates the training part (cross-validation by hand).
    pending: Vec<(String, usize, Leak)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holdout {
    Test,
    Validation,
}

/// Words of [`ReproducibilityOptions::test_words`] that mean validation data.
const VALIDATION_WORDS: &[&str] = &["val", "valid", "validation", "dev"];

const TRANSFORMERS: &[&str] = &[
    // sklearn.preprocessing
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
    "QuantileTransformer",
    "PowerTransformer",
    "KBinsDiscretizer",
    "OneHotEncoder",
    "OrdinalEncoder",
    "TargetEncoder",
    "SplineTransformer",
    // sklearn.impute
    "SimpleImputer",
    "KNNImputer",
    "IterativeImputer",
    // sklearn.feature_extraction.text
    "CountVectorizer",
    "TfidfVectorizer",
    "TfidfTransformer",
    "DictVectorizer",
    // sklearn.decomposition
    "PCA",
    "IncrementalPCA",
    "KernelPCA",
    "SparsePCA",
    "TruncatedSVD",
    "NMF",
    "FastICA",
    "FactorAnalysis",
    "LatentDirichletAllocation",
    // sklearn.feature_selection
    "SelectKBest",
    "SelectPercentile",
    "SelectFpr",
    "SelectFdr",
    "SelectFwe",
    "GenericUnivariateSelect",
    "VarianceThreshold",
    "RFE",
    "RFECV",
    "SelectFromModel",
    "SequentialFeatureSelector",
    // keras
    "Tokenizer",
    "Normalization",
    "TextVectorization",
    "StringLookup",
    "IntegerLookup",
    "Discretization",
];

/// Packages whose classes named in [`TRANSFORMERS`] learn from the data they are fit on.
const TRANSFORMER_PACKAGES: &[&str] = &["sklearn", "keras", "tensorflow", "category_encoders"];

/// Classes whose fit learns nothing a model is scored with.
const HARMLESS: &[&str] = &[
    "LabelEncoder",
    "LabelBinarizer",
    "MultiLabelBinarizer",
    "TSNE",
    "UMAP",
    "Isomap",
    "MDS",
    "SpectralEmbedding",
    "LocallyLinearEmbedding",
];

const SPLITTERS: &[&str] = &[
    "KFold",
    "StratifiedKFold",
    "GroupKFold",
    "StratifiedGroupKFold",
    "RepeatedKFold",
    "RepeatedStratifiedKFold",
    "ShuffleSplit",
    "StratifiedShuffleSplit",
    "GroupShuffleSplit",
    "TimeSeriesSplit",
    "LeaveOneOut",
    "LeavePOut",
    "LeaveOneGroupOut",
    "LeavePGroupsOut",
    "PredefinedSplit",
];

const SEARCHES: &[&str] = &[
    "GridSearchCV",
    "RandomizedSearchCV",
    "HalvingGridSearchCV",
    "HalvingRandomSearchCV",
    "RFECV",
    "LogisticRegressionCV",
    "RidgeCV",
    "LassoCV",
    "ElasticNetCV",
];

/// Functions that split their data into folds: the data they get is split there.
const CROSS_VALIDATION: &[&str] = &[
    "cross_val_score",
    "cross_validate",
    "cross_val_predict",
    "learning_curve",
    "validation_curve",
    "permutation_test_score",
];

/// Functions that scale data with its own statistics.
const SCALE_FUNCTIONS: &[&str] = &[
    "scale",
    "minmax_scale",
    "robust_scale",
    "maxabs_scale",
    "quantile_transform",
    "power_transform",
];

const STAT_METHODS: &[&str] = &[
    "mean", "median", "std", "var", "min", "max", "mode", "quantile",
];

const NUMPY_STATS: &[&str] = &[
    "mean",
    "median",
    "std",
    "var",
    "min",
    "max",
    "amin",
    "amax",
    "nanmean",
    "nanmedian",
    "nanstd",
    "nanvar",
    "nanmin",
    "nanmax",
    "percentile",
    "quantile",
];

const CONCATS: &[&str] = &[
    "pandas.concat",
    "numpy.concatenate",
    "numpy.vstack",
    "numpy.hstack",
    "numpy.row_stack",
    "numpy.column_stack",
    "numpy.append",
];

/// Methods that learn from their first argument.
const FIT_METHODS: &[&str] = &[
    "fit",
    "fit_transform",
    "partial_fit",
    "fit_resample",
    "fit_on_texts",
    "fit_on_sequences",
    "adapt",
];

/// Methods that apply what a fit learned: scikit-learn's `transform` and Keras'
/// `Tokenizer` methods.
const TRANSFORM_METHODS: &[&str] = &[
    "transform",
    "texts_to_sequences",
    "texts_to_matrix",
    "sequences_to_matrix",
];

const EVALUATIONS: &[&str] = &["score", "evaluate", "predict", "predict_proba"];

/// Model packages: a capitalized class of one of them makes a model.
const MODEL_PACKAGES: &[&str] = &[
    "sklearn",
    "xgboost",
    "lightgbm",
    "catboost",
    "keras",
    "tensorflow",
];

const TRAIN_WORDS: &[&str] = &["train", "training", "trn", "tr"];

fn has_word(name: &str, list: &[impl AsRef<str>]) -> bool {
    let found = |word: &str| list.iter().any(|w| w.as_ref() == word);
    any_word(name, |word| {
        found(word)
            || word
                .strip_prefix(['x', 'y'])
                .is_some_and(|rest| rest.len() > 2 && found(rest))
    })
}

impl Flow<'_, '_> {
    fn is_test_name(&self, name: &str) -> bool {
        // `val` and `dev` alone are too common as plain variables (`for key, val in ...`).
        if matches!(name, "val" | "dev" | "tst") {
            return false;
        }
        has_word(name, self.test_words) && !has_word(name, TRAIN_WORDS)
    }

    /// Whether a name says test or validation data.
    fn holdout(&self, name: &str) -> Option<Holdout> {
        if !self.is_test_name(name) {
            return None;
        }
        let tests: Vec<&String> = self
            .test_words
            .iter()
            .filter(|w| !VALIDATION_WORDS.contains(&w.as_str()))
            .collect();
        Some(if has_word(name, &tests) {
            Holdout::Test
        } else {
            Holdout::Validation
        })
    }

    fn is_train_name(&self, name: &str) -> bool {
        has_word(name, TRAIN_WORDS) && !has_word(name, self.test_words)
    }

    fn source(&self) -> &str {
        &self.checker.notebook.cells[self.cell].source
    }

    /// The source of an expression, shortened for a message.
    fn text(&self, range: TextRange) -> String {
        quoted(self.source(), range)
    }

    fn fresh(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn qualified(&self, expr: &Expr) -> Option<String> {
        self.checker
            .imports()
            .resolve_expr(self.cell, expr)
            .map(|q| q.to_string())
    }

    fn body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Assign(assign) => {
                let value = self.eval(&assign.value);
                if let (Some(Value::Model { .. }), Some(&innermost), Expr::Call(_)) =
                    (&value, self.loops.last(), &*assign.value)
                {
                    for target in &assign.targets {
                        if let Expr::Name(name) = target {
                            self.made_in_loop.insert(name.id.to_string(), innermost);
                        }
                    }
                }
                for target in &assign.targets {
                    self.bind(target, value.clone(), &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    let evaluated = self.eval(value);
                    self.bind(&assign.target, evaluated, value);
                }
            }
            Stmt::AugAssign(assign) => {
                let left = self.eval(&assign.target);
                let right = self.eval(&assign.value);
                let value = self.binop(left, assign.op, right, assign.range());
                self.bind(&assign.target, value, &assign.value);
            }
            Stmt::Expr(expr) => {
                self.eval(&expr.value);
            }
            Stmt::For(for_stmt) => {
                let iterated = self.eval(&for_stmt.iter);
                self.next_loop += 1;
                self.loops.push(self.next_loop);
                let loop_target = match iterated {
                    Some(Value::Data(data)) => Some(Value::Data(data)),
                    _ => None,
                };
                self.bind(&for_stmt.target, loop_target, &for_stmt.iter);
                let mut targets = Vec::new();
                names_in(&for_stmt.target, &mut targets);
                self.loop_targets.push(targets);
                self.body(&for_stmt.body);
                self.loop_targets.pop();
                self.loops.pop();
                self.body(&for_stmt.orelse);
            }
            Stmt::While(while_stmt) => {
                self.eval(&while_stmt.test);
                self.next_loop += 1;
                self.loops.push(self.next_loop);
                self.loop_targets.push(Vec::new());
                self.body(&while_stmt.body);
                self.loop_targets.pop();
                self.loops.pop();
                self.body(&while_stmt.orelse);
            }
            Stmt::If(if_stmt) => {
                self.eval(&if_stmt.test);
                self.body(&if_stmt.body);
                for clause in &if_stmt.elif_else_clauses {
                    self.body(&clause.body);
                }
            }
            Stmt::With(with) => {
                for item in &with.items {
                    let value = self.eval(&item.context_expr);
                    if let Some(target) = &item.optional_vars {
                        self.bind(target, value, &item.context_expr);
                    }
                }
                self.body(&with.body);
            }
            Stmt::Try(try_stmt) => {
                self.body(&try_stmt.body);
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    self.body(&handler.body);
                }
                self.body(&try_stmt.orelse);
                self.body(&try_stmt.finalbody);
            }
            Stmt::FunctionDef(def) => {
                self.env.remove(def.name.as_str());
            }
            Stmt::ClassDef(def) => {
                self.env.remove(def.name.as_str());
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    let first = bound.as_str().split('.').next().unwrap_or_default();
                    self.env.remove(first);
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.env.remove(bound.as_str());
                }
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if let Expr::Name(name) = target {
                        self.env.remove(name.id.as_str());
                    }
                }
            }
            _ => {}
        }
    }

    /// Binds the value of `source` to `target`.
    fn bind(&mut self, target: &Expr, value: Option<Value>, source: &Expr) {
        match target {
            Expr::Name(name) => {
                let name = name.id.as_str();
                let value = self.manual_split(name, value, source);
                match value {
                    Some(value) => {
                        self.env.insert(name.to_string(), value);
                    }
                    None => {
                        self.env.remove(name);
                    }
                }
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                let values: Vec<Option<Value>> = match value {
                    Some(Value::Seq(values)) if values.len() == elts.len() => values,
                    // Unpacking data (`X, y = data`) keeps its dataset; anything else is unknown.
                    Some(Value::Data(data)) => vec![Some(Value::Data(data)); elts.len()],
                    _ => vec![None; elts.len()],
                };
                let sources: Vec<&Expr> = match source {
                    Expr::Tuple(tuple) if tuple.elts.len() == elts.len() => {
                        tuple.elts.iter().collect()
                    }
                    _ => vec![source; elts.len()],
                };
                for ((target, value), source) in elts.iter().zip(values).zip(sources) {
                    self.bind(target, value, source);
                }
            }
            Expr::Starred(starred) => self.bind(&starred.value, None, source),
            // `df["a"] = ...`, `df.loc[:, cols] = ...`: what the value carries reaches `df`.
            Expr::Subscript(_) | Expr::Attribute(_) => {
                let Some(base) = base_name(target) else {
                    return;
                };
                let Some(Value::Data(new)) = value else {
                    return;
                };
                if let Some(Value::Data(data)) = self.env.get_mut(base) {
                    for taint in new.taints {
                        if !data.taints.contains(&taint) {
                            data.taints.push(taint);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// `train = df[:800]`, `test = df.drop(train.index)`: data bound to a name that says train or
    /// test, taken from a whole dataset by slicing, filtering or sampling, is a part of a manual
    /// split of that dataset. Binding the test part splits it.
    fn manual_split(&mut self, name: &str, value: Option<Value>, source: &Expr) -> Option<Value> {
        let Some(Value::Data(mut data)) = value else {
            return value;
        };
        let test = self.is_test_name(name);
        if data.part.is_some() || !(test || self.is_train_name(name)) || !takes_rows(source) {
            return Some(Value::Data(data));
        }
        let split = match self.manual.get(&data.root) {
            Some(&split) => split,
            None => {
                let split = self.splits.len();
                self.splits.push(Split {
                    cell: self.cell,
                    range: source.range(),
                    root: data.root,
                    source: None,
                    how: "split by hand into train and test",
                });
                self.manual.insert(data.root, split);
                split
            }
        };
        if test {
            // The split happens when its test part is taken.
            self.splits[split].cell = self.cell;
            self.splits[split].range = source.range();
            let taints = std::mem::take(&mut data.taints);
            self.check_split(split, &taints, &self.text(source.range()));
            if is_sample(source) {
                self.sampled_overlap(split, source);
            }
        } else if is_sample(source) {
            self.sampled_train.push(split);
        }
        data.part = Some(Part { split, test });
        Some(Value::Data(data))
    }

    /// `train = df.sample(frac=0.8)` and `test = df.sample(frac=0.2)`: two samples of one
    /// dataset share rows.
    fn sampled_overlap(&mut self, split: usize, source: &Expr) {
        if !self.sampled_train.contains(&split) {
            return;
        }
        let range = source.range();
        self.leak(
            Kind::Overlap,
            range,
            format!(
                "the test data {} is sampled from the same data as the training data, so the two share rows: take the test part as what the training sample left out (`df.drop(train.index)`)",
                self.text(range)
            ),
            Vec::new(),
        );
    }

    fn leak(
        &mut self,
        kind: Kind,
        range: TextRange,
        message: String,
        related: Vec<(Span, String)>,
    ) {
        self.leak_at(kind, self.cell, range, message, related);
    }

    fn leak_at(
        &mut self,
        kind: Kind,
        cell: usize,
        range: TextRange,
        message: String,
        related: Vec<(Span, String)>,
    ) {
        if self.reported.contains(&(kind, cell, range)) {
            return;
        }
        self.reported.push((kind, cell, range));
        self.leaks.push(Leak {
            kind,
            span: Span::cell(cell, range),
            message,
            related,
        });
    }

    /// A split of data carrying `taints`: every taint is test information in training.
    fn check_split(&mut self, split: usize, taints: &[Taint], data: &str) {
        let Split {
            cell, range, how, ..
        } = self.splits[split].clone();
        let folds = how.contains("folds");
        for taint in taints {
            let (kind, message, note) = match taint.kind {
                TaintKind::Fit => (
                    Kind::Preprocessing,
                    format!(
                        "{} is fit on {} in cell {}, which is {how} in cell {}: {}",
                        taint.actor,
                        taint.data,
                        taint.cell + 1,
                        cell + 1,
                        if folds {
                            "fit it inside a `Pipeline`, so that each fold fits its own"
                        } else {
                            "fit it on the training part only"
                        }
                    ),
                    format!("{data} is {how} here"),
                ),
                TaintKind::Statistic => (
                    Kind::Preprocessing,
                    format!(
                        "{} is computed from all of {} in cell {}, which is {how} in cell {}: compute it on the training part only",
                        taint.actor,
                        taint.data,
                        taint.cell + 1,
                        cell + 1
                    ),
                    format!("{data} is {how} here"),
                ),
                TaintKind::Oversample => (
                    Kind::Overlap,
                    format!(
                        "{} duplicates rows of {} in cell {}, which is {how} in cell {}: copies of training rows end up in the test data; oversample the training part only",
                        taint.actor,
                        taint.data,
                        taint.cell + 1,
                        cell + 1
                    ),
                    format!("{data} is {how} here"),
                ),
            };
            self.leak_at(
                kind,
                taint.cell,
                taint.range,
                message,
                vec![(Span::cell(cell, range), note)],
            );
        }
    }

    /// Registers a split of the data `expr` evaluates to, at `range`.
    fn split_data(
        &mut self,
        value: Option<&Value>,
        expr: &Expr,
        range: TextRange,
        how: &'static str,
    ) -> Option<usize> {
        let Some(Value::Data(data)) = value else {
            return None;
        };
        if data.part.is_some_and(|p| p.test) {
            return None;
        }
        let split = self.splits.len();
        self.splits.push(Split {
            cell: self.cell,
            range,
            root: data.root,
            source: data.part,
            how,
        });
        let taints = data.taints.clone();
        self.check_split(split, &taints, &self.text(expr.range()));
        Some(split)
    }

    fn eval(&mut self, expr: &Expr) -> Option<Value> {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                if let Some(value) = self.env.get(id) {
                    return Some(value.clone());
                }
                if self
                    .checker
                    .imports()
                    .resolve_name(self.cell, name.start(), id)
                    .is_some()
                {
                    return None;
                }
                // A name the pass knows nothing about is a dataset of its own.
                let value = Value::Data(Data {
                    root: self.fresh(),
                    part: None,
                    taints: Vec::new(),
                });
                self.env.insert(id.to_string(), value.clone());
                Some(value)
            }
            Expr::Attribute(attribute) => match self.eval(&attribute.value)? {
                value @ (Value::Data(_) | Value::Stat { .. }) => Some(value),
                _ => None,
            },
            Expr::Subscript(subscript) => {
                let index = self.eval(&subscript.slice);
                match self.eval(&subscript.value)? {
                    // `X[train_index]` with the parts of `train_test_split(df.index)`: the
                    // split reaches `X` here.
                    Value::Data(data)
                        if data.part.is_none()
                            && matches!(&index, Some(Value::Data(Data { part: Some(p), root, .. }))
                                if self.index_splits.contains(&p.split)) =>
                    {
                        let Some(Value::Data(Data {
                            part: Some(part), ..
                        })) = index
                        else {
                            return None;
                        };
                        let taints = data.taints.clone();
                        self.check_split(part.split, &taints, &self.text(subscript.value.range()));
                        Some(Value::Data(Data {
                            root: data.root,
                            part: Some(part),
                            taints: Vec::new(),
                        }))
                    }
                    value @ (Value::Data(_) | Value::Stat { .. }) => Some(value),
                    Value::Seq(values) => {
                        let index = match &*subscript.slice {
                            Expr::NumberLiteral(number) => number.value.as_int()?.as_usize()?,
                            _ => return None,
                        };
                        values.into_iter().nth(index).flatten()
                    }
                    _ => None,
                }
            }
            Expr::Call(call) => self.call(call),
            Expr::BinOp(binop) => {
                let left = self.eval(&binop.left);
                let right = self.eval(&binop.right);
                self.binop(left, binop.op, right, binop.range())
            }
            Expr::UnaryOp(unary) => self.eval(&unary.operand),
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                Some(Value::Seq(elts.iter().map(|e| self.eval(e)).collect()))
            }
            Expr::Named(named) => {
                let value = self.eval(&named.value);
                self.bind(&named.target, value.clone(), &named.value);
                value
            }
            Expr::Compare(compare) => {
                self.eval(&compare.left);
                for comparator in &compare.comparators {
                    self.eval(comparator);
                }
                None
            }
            Expr::BoolOp(boolop) => {
                for value in &boolop.values {
                    self.eval(value);
                }
                None
            }
            _ => None,
        }
    }

    fn binop(
        &mut self,
        left: Option<Value>,
        op: Operator,
        right: Option<Value>,
        range: TextRange,
    ) -> Option<Value> {
        match (left, right) {
            (
                Some(Value::Stat {
                    root,
                    part,
                    cell,
                    range: at,
                }),
                Some(Value::Stat { .. }) | None,
            ) => Some(Value::Stat {
                root,
                part,
                cell,
                range: at,
            }),
            (
                None,
                Some(Value::Stat {
                    root,
                    part,
                    cell,
                    range: at,
                }),
            ) => Some(Value::Stat {
                root,
                part,
                cell,
                range: at,
            }),
            (Some(Value::Data(mut data)), right)
            | (right @ Some(Value::Stat { .. }), Some(Value::Data(mut data))) => {
                // Scaling by a statistic of the same data: `(x - x.mean()) / x.std()`.
                if let Some(Value::Stat { root, part, .. }) = right {
                    if op == Operator::Div
                        && root == data.root
                        && part == data.part
                        && learnable(part)
                    {
                        let taint = Taint {
                            kind: TaintKind::Statistic,
                            cell: self.cell,
                            range,
                            actor: format!("the scale in {}", self.text(range)),
                            data: "the data".to_string(),
                        };
                        if !data.taints.contains(&taint) {
                            data.taints.push(taint);
                        }
                    }
                }
                if let Some(Value::Data(other)) = right {
                    for taint in other.taints {
                        if !data.taints.contains(&taint) {
                            data.taints.push(taint);
                        }
                    }
                }
                Some(Value::Data(data))
            }
            _ => None,
        }
    }

    fn call(&mut self, call: &ast::ExprCall) -> Option<Value> {
        let qualified = self.qualified(&call.func);
        if let Some(qualified) = qualified {
            return self.function(call, &qualified);
        }
        if let Expr::Attribute(attribute) = &*call.func {
            return self.method(call, attribute);
        }
        self.generic(call)
    }

    /// The positional argument `index`, or the keyword argument `keyword`.
    fn argument<'e>(call: &'e ast::ExprCall, index: usize, keywords: &[&str]) -> Option<&'e Expr> {
        call.arguments.args.get(index).or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| {
                    k.arg
                        .as_ref()
                        .is_some_and(|a| keywords.contains(&a.as_str()))
                })
                .map(|k| &k.value)
        })
    }

    fn keyword_is_true(call: &ast::ExprCall, name: &str) -> bool {
        call.arguments.keywords.iter().any(|k| {
            k.arg.as_ref().is_some_and(|a| a.as_str() == name)
                && matches!(&k.value, Expr::BooleanLiteral(b) if b.value)
        })
    }

    /// A call the pass does not know: data in, the first data argument's data out.
    fn generic(&mut self, call: &ast::ExprCall) -> Option<Value> {
        let mut result: Option<Data> = None;
        for arg in call.arguments.args.iter() {
            if let Some(Value::Data(data)) = self.eval(arg) {
                match &mut result {
                    None => result = Some(data),
                    Some(result) => {
                        for taint in data.taints {
                            if !result.taints.contains(&taint) {
                                result.taints.push(taint);
                            }
                        }
                    }
                }
            }
        }
        for keyword in call.arguments.keywords.iter() {
            self.eval(&keyword.value);
        }
        match result {
            Some(data) => Some(Value::Data(data)),
            // `quantize_model(model)`, `clone(model)`: the same model.
            None => call.arguments.args.iter().find_map(|arg| match arg {
                Expr::Name(name) => match self.env.get(name.id.as_str()) {
                    Some(model @ Value::Model { .. }) => Some(model.clone()),
                    _ => None,
                },
                _ => None,
            }),
        }
    }

    fn function(&mut self, call: &ast::ExprCall, qualified: &str) -> Option<Value> {
        let segments: Vec<&str> = qualified.split('.').collect();
        let package = segments[0];
        let last = *segments.last()?;
        let range = call.range();
        if package == "sklearn" && last == "train_test_split" {
            let mut values = Vec::new();
            let mut split = None;
            for arg in call.arguments.args.iter() {
                let value = self.eval(arg);
                if split.is_none() {
                    split =
                        self.split_data(value.as_ref(), arg, range, "split into train and test");
                    if let Some(split) = split.filter(|_| is_index(arg)) {
                        self.index_splits.push(split);
                    }
                } else if let (Some(Value::Data(data)), Some(split)) = (&value, split) {
                    let taints = data.taints.clone();
                    self.check_split(split, &taints, &self.text(arg.range()));
                }
                values.push(value);
            }
            let mut parts = Vec::new();
            for value in values {
                for test in [false, true] {
                    parts.push(match (&value, split) {
                        (Some(Value::Data(data)), Some(split)) => Some(Value::Data(Data {
                            root: data.root,
                            part: Some(Part { split, test }),
                            taints: Vec::new(),
                        })),
                        _ => None,
                    });
                }
            }
            return Some(Value::Seq(parts));
        }
        if package == "sklearn" && CROSS_VALIDATION.contains(&last) {
            self.validated = true;
            if let Some(data) = Self::argument(call, 1, &["X"]) {
                let value = self.eval(data);
                self.split_data(
                    value.as_ref(),
                    data,
                    range,
                    "split into folds by cross-validation",
                );
            }
            return None;
        }
        if package == "sklearn" && SCALE_FUNCTIONS.contains(&last) {
            let data = Self::argument(call, 0, &["X"])?;
            let Some(Value::Data(mut value)) = self.eval(data) else {
                return None;
            };
            if learnable(value.part) {
                value.taints.push(Taint {
                    kind: TaintKind::Statistic,
                    cell: self.cell,
                    range,
                    actor: format!("`{last}`"),
                    data: self.text(data.range()),
                });
            }
            return Some(Value::Data(value));
        }
        if package == "sklearn" && last == "resample" {
            let replace = Self::keyword_is_true(call, "replace");
            let mut values = Vec::new();
            for arg in call.arguments.args.iter() {
                let mut value = self.eval(arg);
                if let Some(Value::Data(data)) = &mut value {
                    if replace && learnable(data.part) {
                        data.taints.push(Taint {
                            kind: TaintKind::Oversample,
                            cell: self.cell,
                            range,
                            actor: "`resample(..., replace=True)`".to_string(),
                            data: self.text(arg.range()),
                        });
                    }
                }
                values.push(value);
            }
            return match values.len() {
                1 => values.pop().flatten(),
                _ => Some(Value::Seq(values)),
            };
        }
        if package == "sklearn"
            && matches!(
                last,
                "make_pipeline" | "make_column_transformer" | "make_union"
            )
        {
            self.generic_arguments(call);
            let id = self.fresh();
            return Some(Value::Model { id, fitted: None });
        }
        if CONCATS.contains(&qualified) {
            let list = call.arguments.args.first()?;
            return self.concat(list);
        }
        if package == "numpy" && segments.len() == 2 && NUMPY_STATS.contains(&last) {
            let data = call.arguments.args.first()?;
            return match self.eval(data) {
                Some(Value::Data(data)) => Some(Value::Stat {
                    root: data.root,
                    part: data.part,
                    cell: self.cell,
                    range,
                }),
                _ => None,
            };
        }
        // Constructors.
        let is_class = last.chars().next().is_some_and(char::is_uppercase);
        if is_class {
            // A model made from another (`Sequential([model, Softmax()])`) is that model.
            let mut from_model = None;
            for arg in call.arguments.args.iter() {
                match self.eval(arg) {
                    Some(Value::Model { id, .. }) => {
                        from_model = from_model.or(Some(id));
                    }
                    Some(Value::Seq(values)) => {
                        for value in values.into_iter().flatten() {
                            if let Value::Model { id, .. } = value {
                                from_model = from_model.or(Some(id));
                            }
                        }
                    }
                    _ => {}
                }
            }
            for keyword in call.arguments.keywords.iter() {
                self.eval(&keyword.value);
            }
            if HARMLESS.contains(&last) {
                return Some(Value::Harmless);
            }
            if let Some(id) = from_model {
                return Some(Value::Model { id, fitted: None });
            }
            if package == "imblearn"
                && segments
                    .get(1)
                    .is_some_and(|m| matches!(*m, "over_sampling" | "combine"))
            {
                return Some(Value::Transformer {
                    oversampler: true,
                    fitted: None,
                });
            }
            if TRANSFORMER_PACKAGES.contains(&package) && TRANSFORMERS.contains(&last)
                || package == "category_encoders"
            {
                return Some(Value::Transformer {
                    oversampler: false,
                    fitted: None,
                });
            }
            if package == "sklearn" && SPLITTERS.contains(&last) {
                return Some(Value::Splitter);
            }
            if package == "sklearn" && SEARCHES.contains(&last) {
                return Some(Value::Search);
            }
            // A Keras layer is a part of a model, not one.
            if segments.contains(&"layers") {
                return None;
            }
            // A baseline is there to be compared with, not chosen.
            if matches!(last, "DummyClassifier" | "DummyRegressor") {
                return Some(Value::Harmless);
            }
            if MODEL_PACKAGES.contains(&package) || package == "imblearn" {
                let id = self.fresh();
                return Some(Value::Model { id, fitted: None });
            }
            return None;
        }
        self.generic(call)
    }

    fn generic_arguments(&mut self, call: &ast::ExprCall) {
        for arg in call.arguments.args.iter() {
            self.eval(arg);
        }
        for keyword in call.arguments.keywords.iter() {
            self.eval(&keyword.value);
        }
    }

    /// `pd.concat([a, b])`: one dataset when all come from one, with every taint; the same
    /// data twice duplicates its rows.
    fn concat(&mut self, list: &Expr) -> Option<Value> {
        let (Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. })) =
            list
        else {
            return match self.eval(list) {
                Some(Value::Data(data)) => Some(Value::Data(data)),
                _ => None,
            };
        };
        let mut parts: Vec<Data> = Vec::new();
        let mut texts: Vec<&str> = Vec::new();
        let mut duplicated = None;
        for element in elts {
            let checker = self.checker;
            let text = checker.notebook.cells[self.cell]
                .source
                .get(element.range().to_std_range())
                .unwrap_or("");
            if let Some(Value::Data(data)) = self.eval(element) {
                if texts.contains(&text) && data.part.is_none() {
                    duplicated = Some(element.range());
                }
                texts.push(text);
                parts.push(data);
            }
        }
        let first = parts.first()?.clone();
        let same_root = parts.iter().all(|p| p.root == first.root);
        let mut result = Data {
            root: if same_root { first.root } else { self.fresh() },
            part: if same_root && parts.iter().all(|p| p.part == first.part) {
                first.part
            } else {
                None
            },
            taints: Vec::new(),
        };
        for part in parts {
            for taint in part.taints {
                if !result.taints.contains(&taint) {
                    result.taints.push(taint);
                }
            }
        }
        if let Some(range) = duplicated {
            result.taints.push(Taint {
                kind: TaintKind::Oversample,
                cell: self.cell,
                range: list.range(),
                actor: "concatenating the same data twice".to_string(),
                data: self.text(range),
            });
        }
        Some(Value::Data(result))
    }

    fn method(&mut self, call: &ast::ExprCall, attribute: &ast::ExprAttribute) -> Option<Value> {
        let method = attribute.attr.as_str();
        let receiver = self.eval(&attribute.value);
        let range = call.range();
        if FIT_METHODS.contains(&method) {
            return self.fit(call, attribute, receiver);
        }
        match receiver {
            Some(Value::Transformer {
                fitted,
                oversampler,
            }) => {
                self.generic_arguments(call);
                if !TRANSFORM_METHODS.contains(&method) {
                    return None;
                }
                let data = Self::argument(call, 0, &["X", "raw_documents", "texts"])?;
                let Some(Value::Data(mut value)) = self.eval(data) else {
                    return None;
                };
                if let Some(fitted) = fitted.filter(|_| !oversampler) {
                    self.applied(&fitted, &value, attribute, data);
                    if fitted.part == value.part
                        && learnable(value.part)
                        && fitted.root == value.root
                    {
                        let taint = Taint {
                            kind: TaintKind::Fit,
                            cell: fitted.cell,
                            range: fitted.range,
                            actor: self.text(attribute.value.range()),
                            data: fitted.data.clone(),
                        };
                        if !value.taints.contains(&taint) {
                            value.taints.push(taint);
                        }
                    }
                }
                Some(Value::Data(value))
            }
            Some(Value::Splitter) if method == "split" => {
                self.validated = true;
                let data = Self::argument(call, 0, &["X"])?;
                let value = self.eval(data);
                self.split_data(value.as_ref(), data, range, "split into folds");
                self.generic_arguments(call);
                None
            }
            Some(Value::Model {
                fitted: Some(fitted),
                ..
            }) if method == "transform" => {
                self.generic_arguments(call);
                let data = Self::argument(call, 0, &["X"])?;
                let Some(Value::Data(mut value)) = self.eval(data) else {
                    return None;
                };
                self.applied(&fitted, &value, attribute, data);
                if fitted.part == value.part && learnable(value.part) && fitted.root == value.root {
                    value.taints.push(Taint {
                        kind: TaintKind::Fit,
                        cell: fitted.cell,
                        range: fitted.range,
                        actor: self.text(attribute.value.range()),
                        data: fitted.data.clone(),
                    });
                }
                Some(Value::Data(value))
            }
            Some(Value::Model { id, fitted }) if EVALUATIONS.contains(&method) => {
                self.evaluate(call, attribute, Some(id), fitted.as_ref())
            }
            Some(Value::Search) if EVALUATIONS.contains(&method) => {
                self.evaluate(call, attribute, None, None)
            }
            Some(Value::Data(data)) => {
                // A statistic of the data, or a derivation of it.
                if STAT_METHODS.contains(&method) {
                    self.generic_arguments(call);
                    return Some(Value::Stat {
                        root: data.root,
                        part: data.part,
                        cell: self.cell,
                        range,
                    });
                }
                let mut data = data;
                let mut stat_taint = None;
                for arg in call
                    .arguments
                    .args
                    .iter()
                    .chain(call.arguments.keywords.iter().map(|k| &k.value))
                {
                    match self.eval(arg) {
                        Some(Value::Stat { root, part, .. })
                            if root == data.root && part == data.part && learnable(part) =>
                        {
                            stat_taint = Some(arg.range());
                        }
                        _ => {}
                    }
                }
                if let Some(stat) = stat_taint {
                    data.taints.push(Taint {
                        kind: TaintKind::Statistic,
                        cell: self.cell,
                        range: stat,
                        actor: self.text(stat),
                        data: self.text(attribute.value.range()),
                    });
                    if Self::keyword_is_true(call, "inplace") {
                        if let Some(base) = base_name(&attribute.value) {
                            if let Some(Value::Data(target)) = self.env.get_mut(base) {
                                target.taints.extend(data.taints.iter().cloned());
                            }
                        }
                    }
                }
                if EVALUATIONS.contains(&method) {
                    // An unknown receiver (`model` bound in a loop, a function's result).
                    return self.evaluate(call, attribute, None, None);
                }
                Some(Value::Data(data))
            }
            Some(Value::Stat {
                root,
                part,
                cell,
                range,
            }) => {
                self.generic_arguments(call);
                Some(Value::Stat {
                    root,
                    part,
                    cell,
                    range,
                })
            }
            _ => {
                if EVALUATIONS.contains(&method) {
                    return self.evaluate(call, attribute, None, None);
                }
                self.generic_arguments(call);
                None
            }
        }
    }

    /// A transformer fit on a whole dataset applied to a part of a split of it: the training
    /// part is transformed with what the test part taught it.
    fn applied(
        &mut self,
        fitted: &Fitted,
        value: &Data,
        attribute: &ast::ExprAttribute,
        data: &Expr,
    ) {
        let Some(part) = value.part else { return };
        if self.splits[part.split].source != fitted.part
            || self.splits[part.split].root != fitted.root
        {
            return;
        }
        let split = self.splits[part.split].clone();
        let message = format!(
            "{} is fit on {} in cell {}, which holds the test rows of the data {} in cell {}: fit it on the training part only",
            self.text(attribute.value.range()),
            fitted.data,
            fitted.cell + 1,
            split.how,
            split.cell + 1
        );
        let related = vec![
            (
                Span::cell(split.cell, split.range),
                format!("the data is {} here", split.how),
            ),
            (
                Span::cell(self.cell, data.range()),
                format!("{} is transformed with it here", self.text(data.range())),
            ),
        ];
        self.leak_at(
            Kind::Preprocessing,
            fitted.cell,
            fitted.range,
            message,
            related,
        );
    }

    fn fit(
        &mut self,
        call: &ast::ExprCall,
        attribute: &ast::ExprAttribute,
        receiver: Option<Value>,
    ) -> Option<Value> {
        let method = attribute.attr.as_str();
        let range = call.range();
        let data_expr = Self::argument(call, 0, &["X", "x", "raw_documents", "texts", "data"]);
        let data = data_expr.and_then(|e| self.eval(e));
        let target_expr = Self::argument(call, 1, &["y"]);
        let target = target_expr.and_then(|e| self.eval(e));
        for keyword in call.arguments.keywords.iter() {
            if !keyword.arg.as_ref().is_some_and(|a| {
                matches!(
                    a.as_str(),
                    "X" | "x" | "y" | "raw_documents" | "texts" | "data"
                )
            }) {
                self.eval(&keyword.value);
            }
        }
        // NB702: learning from test data, by name or by flow. Label encoders and embeddings
        // for plots learn nothing a model uses; a model may be trained on validation data
        // (a blender in stacking), a preprocessing step may not.
        let preprocessing = matches!(receiver, Some(Value::Transformer { .. }));
        if !matches!(receiver, Some(Value::Harmless)) {
            for (expr, value) in [(data_expr, &data), (target_expr, &target)] {
                let Some(expr) = expr else { continue };
                let part = match value {
                    Some(Value::Data(Data {
                        part: Some(part @ Part { test: true, .. }),
                        ..
                    })) => Some(*part),
                    _ => None,
                };
                let named = base_name(expr).and_then(|name| self.holdout(name));
                let holdout = match (named, part) {
                    (Some(holdout), _) => holdout,
                    (None, Some(_)) => Holdout::Test,
                    (None, None) => continue,
                };
                if holdout == Holdout::Validation && !preprocessing {
                    continue;
                }
                let what = match holdout {
                    Holdout::Test => "test",
                    Holdout::Validation => "validation",
                };
                let message = format!(
                    "`.{method}` learns from the {what} data {}: fit on the training data, and only `transform` or `predict` the {what} data",
                    self.text(expr.range())
                );
                let range = expr.range();
                match (named, part) {
                    // Known only by flow, under a neutral name: fitting on one part and
                    // predicting the other, then the reverse, is cross-validation by hand.
                    (None, Some(part)) if !preprocessing => self.pending.push((
                        receiver_key(&attribute.value, self.source()),
                        part.split,
                        Leak {
                            kind: Kind::FitOnTest,
                            span: Span::cell(self.cell, range),
                            message,
                            related: Vec::new(),
                        },
                    )),
                    _ => self.leak(Kind::FitOnTest, range, message, Vec::new()),
                }
                break;
            }
        }
        let receiver_text = self.text(attribute.value.range());
        let data_text = data_expr.map(|e| self.text(e.range())).unwrap_or_default();
        let fitted = match &data {
            Some(Value::Data(data)) => Some(Fitted {
                root: data.root,
                part: data.part,
                cell: self.cell,
                range: attribute.value.range().cover(attribute.attr.range()),
                data: data_text.clone(),
            }),
            _ => None,
        };
        let updated = match receiver {
            Some(Value::Transformer { oversampler, .. }) => Some(Value::Transformer {
                oversampler,
                fitted: fitted.clone(),
            }),
            Some(Value::Model { id, .. }) => Some(Value::Model {
                id,
                fitted: fitted.clone(),
            }),
            Some(Value::Search) => {
                self.validated = true;
                if let Some(expr) = data_expr {
                    self.split_data(
                        data.as_ref(),
                        expr,
                        range,
                        "split into folds by cross-validation",
                    );
                }
                Some(Value::Search)
            }
            // An unknown receiver that is fit on data and then predicts: a model.
            Some(Value::Data(_)) | None if method == "fit" && target_expr.is_some() => {
                let id = self.fresh();
                Some(Value::Model {
                    id,
                    fitted: fitted.clone(),
                })
            }
            other => other,
        };
        if let (Expr::Name(name), Some(updated)) = (&*attribute.value, &updated) {
            self.env.insert(name.id.to_string(), updated.clone());
        }
        let constructed_in_loop = matches!(&updated, Some(Value::Model { .. }))
            && (matches!(&*attribute.value, Expr::Call(_))
                || self.constructed_in_loop(&attribute.value));
        if let Some(Value::Model { id, .. }) = &updated {
            self.fits.push(Use {
                receiver: receiver_text.clone(),
                model: Some(*id),
                loops: self.loops.clone(),
                cell: self.cell,
                range,
                test: None,
                data: String::new(),
                constructed_in_loop,
            });
        }
        let learner = match &updated {
            Some(Value::Transformer { oversampler, .. }) => Some(*oversampler),
            // A preprocessing `Pipeline` or `ColumnTransformer`.
            Some(Value::Model { .. }) if method == "fit_transform" => Some(false),
            _ => None,
        };
        match (learner, method) {
            (Some(oversampler), "fit_transform" | "fit_resample") => {
                let oversampler = &oversampler;
                let Some(Value::Data(mut value)) = data else {
                    return None;
                };
                if learnable(value.part) {
                    let taint = Taint {
                        kind: if *oversampler {
                            TaintKind::Oversample
                        } else {
                            TaintKind::Fit
                        },
                        cell: self.cell,
                        range: attribute.value.range().cover(attribute.attr.range()),
                        actor: receiver_text,
                        data: data_text,
                    };
                    value.taints.push(taint.clone());
                    if *oversampler {
                        let target = match target {
                            Some(Value::Data(mut target)) => {
                                target.taints.push(taint);
                                Some(Value::Data(target))
                            }
                            other => other,
                        };
                        return Some(Value::Seq(vec![Some(Value::Data(value)), target]));
                    }
                }
                if *oversampler {
                    return Some(Value::Seq(vec![Some(Value::Data(value)), target]));
                }
                Some(Value::Data(value))
            }
            _ => match updated {
                Some(Value::Transformer { .. }) if method != "fit_transform" => updated,
                Some(Value::Model { .. } | Value::Search) => updated,
                _ => None,
            },
        }
    }

    /// Whether the model `receiver` names was made inside the innermost loop being run: each
    /// pass trains a new setting.
    fn constructed_in_loop(&self, receiver: &Expr) -> bool {
        let Expr::Name(name) = receiver else {
            return false;
        };
        let Some(&innermost) = self.loops.last() else {
            return false;
        };
        self.made_in_loop.get(name.id.as_str()) == Some(&innermost)
            || self
                .loop_targets
                .last()
                .is_some_and(|targets| targets.iter().any(|t| t == name.id.as_str()))
    }

    /// `model.score(X_test, y_test)`, `model.predict(X_test)`: an evaluation on test data, and
    /// an overlap when the model was fit on data that holds those test rows.
    fn evaluate(
        &mut self,
        call: &ast::ExprCall,
        attribute: &ast::ExprAttribute,
        model: Option<u32>,
        fitted: Option<&Fitted>,
    ) -> Option<Value> {
        let data_expr = Self::argument(call, 0, &["X", "x"]);
        let data = data_expr.and_then(|e| self.eval(e));
        self.generic_arguments(call);
        let data_expr = data_expr?;
        if let Some(Value::Data(Data {
            part: Some(Part { test: false, split }),
            ..
        })) = &data
        {
            let receiver = receiver_key(&attribute.value, self.source());
            self.pending
                .retain(|(fitted, pending, _)| !(*pending == *split && *fitted == receiver));
        }
        let test_part = match &data {
            Some(Value::Data(Data {
                part: Some(part @ Part { test: true, .. }),
                ..
            })) => Some(*part),
            _ => None,
        };
        if let (Some(part), Some(fitted)) = (test_part, fitted) {
            let split = self.splits[part.split].clone();
            if fitted.part == split.source && fitted.root == split.root {
                let message = format!(
                    "the model is evaluated on {}, but it was fit on {} in cell {}, which holds those test rows: fit it on the training part",
                    self.text(data_expr.range()),
                    fitted.data,
                    fitted.cell + 1
                );
                let related = vec![
                    (
                        Span::cell(fitted.cell, fitted.range),
                        "fit on all of the data here".to_string(),
                    ),
                    (
                        Span::cell(split.cell, split.range),
                        format!("the data is {} here", split.how),
                    ),
                ];
                self.leak(Kind::Overlap, call.range(), message, related);
            }
        }
        let test = match (test_part, base_name(data_expr)) {
            (Some(part), _) => Some(format!("split {}", part.split)),
            (None, Some(name)) if self.is_test_name(name) => Some(name.to_string()),
            _ => None,
        };
        if test.is_some() {
            let receiver = self.text(attribute.value.range());
            let constructed_in_loop = matches!(&*attribute.value, Expr::Call(_))
                || self.constructed_in_loop(&attribute.value);
            let data = self.text(data_expr.range());
            self.evaluations.push(Use {
                receiver,
                model,
                loops: self.loops.clone(),
                cell: self.cell,
                range: call.range(),
                test,
                data,
                constructed_in_loop,
            });
        }
        match data {
            Some(Value::Data(data)) => Some(Value::Data(Data {
                root: data.root,
                part: data.part,
                taints: Vec::new(),
            })),
            _ => None,
        }
    }

    /// NB707: one test set that evaluates a new model in every pass of a loop, or several
    /// models, with no validation data and no cross-validation in the notebook.
    fn multi_test(&mut self) {
        if self.validated || self.has_validation_names() {
            return;
        }
        let evaluations = std::mem::take(&mut self.evaluations);
        let mut done: Vec<String> = Vec::new();
        for (index, evaluation) in evaluations.iter().enumerate() {
            let Some(test) = &evaluation.test else {
                continue;
            };
            if done.contains(test) {
                continue;
            }
            // In a loop: the model is made in it, or fit in it under the loop's own name.
            let in_loop = evaluation.loops.last().is_some_and(|innermost| {
                evaluation.constructed_in_loop
                    || self.fits.iter().any(|fit| {
                        fit.loops.contains(innermost)
                            && fit.receiver == evaluation.receiver
                            && fit.constructed_in_loop
                    })
            });
            let others: Vec<&Use> = evaluations[..index]
                .iter()
                .filter(|e| {
                    // Only models the pass made: a receiver it knows nothing about may be the
                    // same model under another name.
                    e.test.as_ref() == Some(test)
                        && matches!((e.model, evaluation.model), (Some(a), Some(b)) if a != b)
                })
                .collect();
            let data = &evaluation.data;
            if in_loop {
                done.push(test.clone());
                let message = format!(
                    "the test data {data} evaluates a new model in every pass of this loop, and there is no validation data: choosing among them on the test data makes its score optimistic; choose on a validation split or with cross-validation"
                );
                self.leak_at(
                    Kind::MultiTest,
                    evaluation.cell,
                    evaluation.range,
                    message,
                    Vec::new(),
                );
            } else if let Some(first) = others.first() {
                done.push(test.clone());
                let mut models: Vec<String> = Vec::new();
                let mut seen: Vec<(Option<u32>, &str)> = Vec::new();
                for used in others.iter().copied().chain([evaluation]) {
                    let key = (used.model, used.receiver.as_str());
                    if seen.iter().any(|seen| match (seen.0, key.0) {
                        (Some(a), Some(b)) => a == b,
                        _ => seen.1 == key.1,
                    }) {
                        continue;
                    }
                    seen.push(key);
                    models.push(format!("{} in cell {}", used.receiver, used.cell + 1));
                }
                let message = format!(
                    "the test data {data} evaluates {} models ({}), and there is no validation data: choosing among them on the test data makes its score optimistic; choose on a validation split or with cross-validation",
                    models.len(),
                    models.join(", ")
                );
                let related = vec![(
                    Span::cell(first.cell, first.range),
                    format!("{} is evaluated on it here", first.receiver),
                )];
                self.leak_at(
                    Kind::MultiTest,
                    evaluation.cell,
                    evaluation.range,
                    message,
                    related,
                );
            }
        }
    }

    fn has_validation_names(&self) -> bool {
        self.checker.semantic().cells.iter().any(|cell| {
            cell.events.iter().any(|event| {
                matches!(event.kind, nblint_engine::semantic::EventKind::Bind(_))
                    && any_word(event.name.as_str(), |w| {
                        matches!(w, "val" | "valid" | "validation" | "dev" | "holdout")
                    })
            })
        })
    }
}

/// The name an expression is data of: `X_test` in `X_test`, `X_test.values`, `X_test[cols]`,
/// `X_test.reshape(-1, 1)`.
fn base_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => base_name(&attribute.value),
        Expr::Subscript(subscript) => base_name(&subscript.value),
        Expr::Call(call) => match &*call.func {
            Expr::Attribute(attribute) => base_name(&attribute.value),
            _ => None,
        },
        _ => None,
    }
}

/// What names a model in `model.fit(...)`: its variable, or its source.
fn receiver_key(receiver: &Expr, source: &str) -> String {
    if let Expr::Call(call) = receiver {
        if let Expr::Attribute(attribute) = &*call.func {
            if FIT_METHODS.contains(&attribute.attr.as_str()) {
                return receiver_key(&attribute.value, source);
            }
        }
    }
    match base_name(receiver) {
        Some(name) => name.to_string(),
        None => source
            .get(receiver.range().to_std_range())
            .unwrap_or("")
            .to_string(),
    }
}

/// Row numbers or an index: `df.index`, `range(len(df))`, `np.arange(n)`.
fn is_index(expr: &Expr) -> bool {
    match expr {
        Expr::Attribute(attribute) => attribute.attr.as_str() == "index",
        Expr::Call(call) => match &*call.func {
            Expr::Name(name) => match name.id.as_str() {
                "range" => true,
                "list" => call.arguments.args.first().is_some_and(is_index),
                _ => false,
            },
            Expr::Attribute(attribute) => attribute.attr.as_str() == "arange",
            _ => false,
        },
        _ => false,
    }
}

/// Data that can be split again and learned from: the whole data or a training part.
fn learnable(part: Option<Part>) -> bool {
    !part.is_some_and(|p| p.test)
}

/// The names a loop target binds.
fn names_in(target: &Expr, names: &mut Vec<String>) {
    match target {
        Expr::Name(name) => names.push(name.id.to_string()),
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            for element in elts {
                names_in(element, names);
            }
        }
        Expr::Starred(starred) => names_in(&starred.value, names),
        _ => {}
    }
}

/// Whether an expression takes some of the rows of data: a slice, a filter, `iloc`/`loc`,
/// `head`/`tail`, `sample`, `drop`.
fn takes_rows(expr: &Expr) -> bool {
    match expr {
        Expr::Subscript(subscript) => {
            matches!(
                &*subscript.slice,
                Expr::Slice(_)
                    | Expr::Compare(_)
                    | Expr::BoolOp(_)
                    | Expr::BinOp(_)
                    | Expr::UnaryOp(_)
            ) || matches!(&*subscript.value, Expr::Attribute(a) if matches!(a.attr.as_str(), "iloc" | "loc"))
                || takes_rows(&subscript.value)
        }
        Expr::Call(call) => match &*call.func {
            Expr::Attribute(attribute) => {
                matches!(
                    attribute.attr.as_str(),
                    "sample" | "head" | "tail" | "drop" | "query"
                ) || takes_rows(&attribute.value)
            }
            _ => false,
        },
        Expr::Attribute(attribute) => takes_rows(&attribute.value),
        _ => false,
    }
}

fn is_sample(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Attribute(attribute) => {
                attribute.attr.as_str() == "sample" || is_sample(&attribute.value)
            }
            _ => false,
        },
        Expr::Attribute(attribute) => is_sample(&attribute.value),
        Expr::Subscript(subscript) => is_sample(&subscript.value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use nblint_engine::semantic::names::words;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("X_test"), ["x", "test"]);
        assert_eq!(words("testDF"), ["test", "df"]);
        assert_eq!(words("df_val2"), ["df", "val2"]);
        assert_eq!(words("XTest"), ["xtest"]);
    }
}
