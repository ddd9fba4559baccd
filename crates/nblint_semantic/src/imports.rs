//! The notebook's imports, and what a dotted name refers to at a given point of a
//! restart-and-run-all.
//!
//! Rules about libraries ask two kinds of question: "which cells import `pandas`?" (a question
//! about statements) and "is this call `sklearn.model_selection.train_test_split`?" (a question
//! about names). The first is answered by the table of [`Import`]s, one per imported name, in
//! document order. The second is answered by [`Imports::resolve`], which follows the notebook the
//! way a restart-and-run-all executes it: cells top to bottom, statements top to bottom, so
//! `np` means whatever the latest import of `np` before that point made it, and nothing once an
//! assignment, `def`, `del` or loop has rebound it. A rule that matched on the text `np.zeros`
//! would be fooled both by `import jax.numpy as np` and by `np = 3`; this one is not.
//!
//! # How names are looked up
//!
//! A binding takes effect where its statement ends (`np = np.asarray(x)` reads the old `np`),
//! except for loop and `with` targets, which are bound before the body runs. Python's scopes are
//! respected: parameters, locals and imports of a function (lambda, comprehension) hide module
//! names inside it, a name bound anywhere in a function is local in all of it, `global` sends
//! the lookup to the module, and class bodies are invisible from their methods. Code in a
//! function body is resolved against the module bindings in effect where it is written, not
//! where it is later called: that is what a reader of the cell sees, and the call site is not
//! known.
//!
//! Only imported names resolve. A name bound by anything else (an assignment, a builtin such
//! as `print`, a star import) resolves to `None`: the answer is always "this is that imported
//! thing", never a guess.
//!
//! # Index
//!
//! Building walks each cell's AST once. Queries do not scan the notebook: module-level bindings
//! are kept per name as a list sorted by `(cell, offset)` and looked up by binary search, and
//! only names that some import binds get a list at all (an assignment to a name never imported
//! cannot change what a lookup returns). Function, lambda, comprehension and class scopes are
//! kept per cell, sorted by start, so a query finds the scopes around it by binary search and
//! then walks their parents; a scope's own bindings are a short list, scanned.
//!
//! # Limitations
//!
//! - Conditional imports are taken as if every branch ran: after
//!   `try: import ujson as json` / `except ImportError: import json`, `json` is `json`, the last
//!   one in source order.
//! - Rebindings the AST does not show are not seen: a name set by a function that declares it
//!   `global`, by `from x import *`, `%run`, `%store -r` or `globals()[...]`.
//! - Statements inside line magics (`%time import numpy as np`) are not parsed again, so those
//!   imports are not recorded; cells run under a cell magic such as `%%time` are Python and are.
//! - Cells that are not parsed (not Python, or nested too deeply to parse safely) contribute
//!   nothing; cells with a syntax error contribute what their recovered parse holds.
//! - `importlib.import_module(...)` and `__import__(...)` are calls, not imports.
//! - Relative imports are not resolved against a package (a notebook has none): `from . import x`
//!   makes `x` the name `.x`, with each leading dot a `"."` segment, as ruff writes them.
//! - A name is not checked against the module's contents: after `import numpy`, `numpy.nope`
//!   resolves to `numpy.nope`.

use crate::Map;

use nblint_notebook::{CellSyntax, Notebook, ParsedCell};
use ruff_python_ast::name::{Name, QualifiedName, UnqualifiedName};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, ExceptHandler, Expr, ExprContext, Pattern, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// An index into [`Imports::all`].
pub type ImportId = usize;

/// The statement an import comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// `import a.b.c [as x]`.
    Import,
    /// `from a.b import c [as x]`, `from . import c`, `from a import *`.
    From,
}

/// Where in the cell an import statement sits, for rules such as "imports belong at the top"
/// and to tell which imports can bind a module name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A statement of the cell's body itself.
    TopLevel,
    /// Inside an `if`, `try`, `with`, `for`, `while` or `match` at module level: it binds a
    /// module name, when its branch runs.
    Nested,
    /// Inside a function or class body: it binds a local or a class attribute, never a module
    /// name.
    Local,
}

/// One imported name: `import a, b` and `from m import a, b` are two each, sharing
/// [`Import::range`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The cell, counting every cell of the notebook from 0.
    pub cell: usize,
    /// The whole statement, in the cell's source.
    pub range: TextRange,
    /// This name's clause: `numpy as np` in `import os, numpy as np`.
    pub alias_range: TextRange,
    pub kind: ImportKind,
    /// The module as written, relative dots included: `numpy.random`, `..pkg`, `.` for
    /// `from . import x`.
    pub module: Name,
    /// The number of leading dots of a relative import, 0 for an absolute one.
    pub level: u32,
    /// The name a `from` import takes from the module; `None` for `import` and for `*`.
    pub member: Option<Name>,
    /// The `as` name, when there is one.
    pub alias: Option<Name>,
    /// The name the statement binds: `np` for `import numpy as np`, `numpy` for
    /// `import numpy.random`, `c` for `from a.b import c`. `None` for a star import, and for an
    /// `as` with no name in a cell that does not parse.
    pub bound: Option<Name>,
    /// `from m import *`: it binds names the index cannot list.
    pub star: bool,
    pub placement: Placement,
}

impl Import {
    /// What the statement imports: `numpy.random` for `import numpy.random` and for
    /// `from numpy import random`, `numpy` for `from numpy import *`, `.x` for `from . import x`.
    pub fn qualified_name(&self) -> QualifiedName<'_> {
        self.segments().collect()
    }

    /// What [`Import::bound`] refers to: `numpy` for `import numpy.random` (which binds the
    /// top-level package), `numpy.random` for `import numpy.random as npr` and for
    /// `from numpy import random`. `None` when nothing is bound.
    pub fn target(&self) -> Option<QualifiedName<'_>> {
        self.bound.as_ref()?;
        Some(match (self.kind, &self.alias) {
            (ImportKind::Import, None) => segments(&self.module).take(1).collect(),
            _ => self.qualified_name(),
        })
    }

    /// Whether the import can bind a name of the notebook's namespace.
    pub fn binds_module_name(&self) -> bool {
        self.bound.is_some() && self.placement != Placement::Local
    }

    pub fn is_relative(&self) -> bool {
        self.level > 0
    }

    fn segments(&self) -> impl Iterator<Item = &str> {
        segments(&self.module).chain(self.member.as_deref())
    }
}

/// Whether a resolved name is the dotted name `dotted`, exactly: `numpy.random` is not
/// `numpy.random.rand`. Relative names compare with their dots (`..pkg.x`).
pub fn matches(qualified: &QualifiedName, dotted: &str) -> bool {
    qualified.segments().iter().copied().eq(segments(dotted))
}

/// The imports of a notebook, and the index that resolves names to them.
#[derive(Debug, Default)]
pub struct Imports {
    /// Every import, in document order.
    imports: Vec<Import>,
    /// Cell `i`'s imports are `imports[cell_starts[i]..cell_starts[i + 1]]`.
    cell_starts: Vec<usize>,
    /// Imports by the first segment of their qualified name (`.` for relative ones), so that a
    /// query about one package never looks at the others.
    by_package: Map<Name, Vec<ImportId>>,
    /// Module-level bindings of every name some module-level import binds, sorted by
    /// `(cell, at)`.
    module_bindings: Map<Name, Vec<ModuleBinding>>,
    /// The function, lambda, comprehension and class scopes of each cell, sorted by start.
    scopes: Vec<Vec<Scope>>,
}

impl Imports {
    /// Walks every Python code cell once. Markdown, raw and non-Python cells get no imports
    /// but keep their number, so cell numbers are the notebook's.
    pub fn build(notebook: &Notebook, cells: &[ParsedCell]) -> Imports {
        let mut index = Imports {
            cell_starts: Vec::with_capacity(notebook.cells.len() + 1),
            scopes: Vec::with_capacity(notebook.cells.len()),
            ..Imports::default()
        };
        for (number, cell) in notebook.cells.iter().enumerate() {
            index.cell_starts.push(index.imports.len());
            let module = cells
                .get(number)
                .filter(|parsed| cell.is_code() && matches!(parsed.syntax, CellSyntax::Python))
                .and_then(ParsedCell::module);
            let mut scopes = Vec::new();
            if let Some(module) = module {
                let mut walker = Walker {
                    cell: number,
                    imports: &mut index.imports,
                    module: &mut index.module_bindings,
                    scopes: Vec::new(),
                    binding: Vec::new(),
                    lexical: Vec::new(),
                    depth: 0,
                };
                walker.visit_body(&module.body);
                scopes = walker.scopes;
                sort_scopes(&mut scopes);
            }
            index.scopes.push(scopes);
        }
        index.cell_starts.push(index.imports.len());

        for (id, import) in index.imports.iter().enumerate() {
            if let Some(package) = import.segments().next() {
                index
                    .by_package
                    .entry(Name::new(package))
                    .or_default()
                    .push(id);
            }
        }
        for bindings in index.module_bindings.values_mut() {
            // Walk order is source order but for a `def` or `class`, bound after its body.
            if !bindings.is_sorted_by_key(ModuleBinding::key) {
                bindings.sort_by_key(ModuleBinding::key);
            }
        }
        index
    }

    /// Every import, in document order; an [`ImportId`] indexes this slice.
    pub fn all(&self) -> &[Import] {
        &self.imports
    }

    /// The imports of one cell, in source order.
    pub fn in_cell(&self, cell: usize) -> &[Import] {
        match (self.cell_starts.get(cell), self.cell_starts.get(cell + 1)) {
            (Some(&start), Some(&end)) => &self.imports[start..end],
            _ => &[],
        }
    }

    /// The imports that bring in `name` or something inside it: for `numpy`, `import numpy`,
    /// `import numpy.random`, `from numpy.linalg import norm` (but not `import numpyro`); for
    /// `numpy.random`, also `from numpy import random`. Function-local imports included.
    pub fn imports_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Import> + 'a {
        self.package(name).filter(move |import| {
            let mut full = import.segments();
            segments(name).all(|segment| full.next() == Some(segment))
        })
    }

    /// The imports whose module is exactly `module` as written: `import numpy.random` and
    /// `from numpy.random import rand` for `numpy.random`, not `from numpy import random`.
    pub fn imports_of_module<'a>(
        &'a self,
        module: &'a str,
    ) -> impl Iterator<Item = &'a Import> + 'a {
        self.package(module)
            .filter(move |import| import.module.as_str() == module)
    }

    /// The cells with an import of `name` (as [`Imports::imports_of`]), in order, once each.
    pub fn cells_importing(&self, name: &str) -> Vec<usize> {
        let mut cells: Vec<usize> = self.imports_of(name).map(|import| import.cell).collect();
        cells.dedup();
        cells
    }

    /// Whether any cell imports `name` or something inside it.
    pub fn is_imported(&self, name: &str) -> bool {
        self.imports_of(name).next().is_some()
    }

    /// The import that `name` refers to when code at `at` in `cell` runs, if it refers to one.
    pub fn import_for(&self, cell: usize, at: TextSize, name: &str) -> Option<&Import> {
        let id = match self.lookup_local(cell, at, name) {
            Lookup::Local(import) => import?,
            Lookup::Module => self.lookup_module(cell, at, name)?,
        };
        self.imports.get(id)
    }

    /// [`Imports::resolve`] for a rule that has the name as text: `numpy` for `np`, and
    /// `numpy.random.rand` for `np.random.rand`, after `import numpy as np`; `None` when the
    /// first segment is not an import at `at` in `cell`.
    pub fn resolve_name<'a>(
        &'a self,
        cell: usize,
        at: TextSize,
        name: &'a str,
    ) -> Option<QualifiedName<'a>> {
        let mut parts = name.split('.');
        let head = parts.next()?;
        let target = self.import_for(cell, at, head)?.target()?;
        Some(target.extend_members(parts))
    }

    /// The qualified name of a name or attribute chain evaluated at `at` in `cell` (normally
    /// `expr.start()`): `numpy.random.rand` for `np.random.rand`.
    ///
    /// `None` when the head name is not an import at that point, and when the chain does not
    /// start from a name: `np.random.default_rng().integers` is a method of a call's result,
    /// which no import names. Resolve the call's callee (`np.random.default_rng`) instead.
    pub fn resolve<'a>(
        &'a self,
        cell: usize,
        at: TextSize,
        expr: &'a Expr,
    ) -> Option<QualifiedName<'a>> {
        // The head name first: most calls are of no import, and the chain's segments are
        // gathered only for those that are.
        let mut head = expr;
        while let Expr::Attribute(attribute) = head {
            head = &attribute.value;
        }
        let Expr::Name(head) = head else {
            return None;
        };
        let target = self.import_for(cell, at, head.id.as_str())?.target()?;
        let name = UnqualifiedName::from_expr(expr)?;
        let (_, members) = name.segments().split_first()?;
        Some(target.extend_members(members.iter().copied()))
    }

    /// [`Imports::resolve`] at the expression's own start.
    pub fn resolve_expr<'a>(&'a self, cell: usize, expr: &'a Expr) -> Option<QualifiedName<'a>> {
        self.resolve(cell, expr.start(), expr)
    }

    /// What a call calls: `sklearn.model_selection.train_test_split` for
    /// `train_test_split(X, y)` after `from sklearn.model_selection import train_test_split`.
    pub fn resolve_call<'a>(
        &'a self,
        cell: usize,
        call: &'a ast::ExprCall,
    ) -> Option<QualifiedName<'a>> {
        self.resolve(cell, call.start(), &call.func)
    }

    fn package<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Import> + 'a {
        segments(name)
            .next()
            .and_then(|package| self.by_package.get(package))
            .into_iter()
            .flatten()
            .map(|&id| &self.imports[id])
    }

    /// Looks the name up in the scopes around `at`, innermost first.
    fn lookup_local(&self, cell: usize, at: TextSize, name: &str) -> Lookup {
        let Some(scopes) = self.scopes.get(cell) else {
            return Lookup::Module;
        };
        // The innermost scope around `at` is the last one starting before it, or one of its
        // ancestors: scopes nest and are sorted by start.
        let mut next = scopes
            .partition_point(|scope| scope.range.start() <= at)
            .checked_sub(1);
        let mut innermost = true;
        while let Some(index) = next {
            let scope = &scopes[index];
            next = scope.parent;
            if !scope.contains(at) {
                continue;
            }
            let is_innermost = std::mem::replace(&mut innermost, false);
            // A class body's names are not visible from the functions inside it.
            if scope.kind == ScopeKind::Class && !is_innermost {
                continue;
            }
            if scope.globals.iter().any(|global| global == name) {
                return Lookup::Module;
            }
            if scope.nonlocals.iter().any(|nonlocal| nonlocal == name) {
                continue;
            }
            let mut local = false;
            let mut latest = None;
            for binding in scope.bindings.iter().filter(|b| b.name == name) {
                local = true;
                if binding.at > at {
                    break;
                }
                latest = Some(binding.import);
            }
            match (scope.kind, latest) {
                // A class body looks a name up in its own namespace, then further out.
                (ScopeKind::Class, Some(import)) => return Lookup::Local(import),
                (ScopeKind::Class, None) => {}
                // A function's local is its own in the whole body, assigned yet or not.
                (_, latest) if local => return Lookup::Local(latest.flatten()),
                _ => {}
            }
        }
        Lookup::Module
    }

    fn lookup_module(&self, cell: usize, at: TextSize, name: &str) -> Option<ImportId> {
        let bindings = self.module_bindings.get(name)?;
        let end = bindings.partition_point(|binding| binding.key() <= (cell, at));
        bindings[..end].last()?.import
    }
}

/// The segments of a dotted name, each leading dot of a relative name a `"."` segment of its
/// own (ruff's convention): `..pkg.mod` is `[".", ".", "pkg", "mod"]`.
fn segments(dotted: &str) -> impl Iterator<Item = &str> {
    let rest = dotted.trim_start_matches('.');
    let dots = dotted.len() - rest.len();
    (0..dots)
        .map(move |i| &dotted[i..=i])
        .chain(rest.split('.').filter(|segment| !segment.is_empty()))
}

/// What a lookup in the scopes around a point found.
enum Lookup {
    /// The name is local there: bound to this import, or to something else (`None`).
    Local(Option<ImportId>),
    /// The name is the module's.
    Module,
}

/// A module-level binding of a name: an import, or anything else that replaces it.
#[derive(Debug, Clone, Copy)]
struct ModuleBinding {
    cell: usize,
    /// Where the binding takes effect.
    at: TextSize,
    import: Option<ImportId>,
}

impl ModuleBinding {
    fn key(&self) -> (usize, TextSize) {
        (self.cell, self.at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Function,
    Lambda,
    Comprehension,
    Class,
}

/// A scope inside a cell.
#[derive(Debug)]
struct Scope {
    kind: ScopeKind,
    /// The code that runs in the scope: a body, a lambda's expression, a whole comprehension.
    range: TextRange,
    /// A comprehension's first iterable, which runs in the enclosing scope.
    hole: Option<TextRange>,
    /// The innermost scope whose range holds this one.
    parent: Option<usize>,
    globals: Vec<Name>,
    nonlocals: Vec<Name>,
    /// Every binding of the scope, sorted by where it takes effect.
    bindings: Vec<LocalBinding>,
}

impl Scope {
    fn contains(&self, at: TextSize) -> bool {
        self.range.contains(at) && !self.hole.is_some_and(|hole| hole.contains(at))
    }
}

#[derive(Debug)]
struct LocalBinding {
    name: Name,
    at: TextSize,
    import: Option<ImportId>,
}

/// Sorts a cell's scopes by start (they are built nearly so), keeping parents right.
fn sort_scopes(scopes: &mut Vec<Scope>) {
    if scopes.is_sorted_by_key(|scope| scope.range.start()) {
        return;
    }
    let mut order: Vec<usize> = (0..scopes.len()).collect();
    order.sort_by_key(|&old| scopes[old].range.start());
    let mut new_index = vec![0; scopes.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut old: Vec<Option<Scope>> = std::mem::take(scopes).into_iter().map(Some).collect();
    for index in order {
        if let Some(mut scope) = old[index].take() {
            scope.parent = scope.parent.map(|parent| new_index[parent]);
            scopes.push(scope);
        }
    }
}

/// Walks one cell, recording its imports, the module bindings that replace imported names,
/// and its scopes.
struct Walker<'i> {
    cell: usize,
    imports: &'i mut Vec<Import>,
    module: &'i mut Map<Name, Vec<ModuleBinding>>,
    scopes: Vec<Scope>,
    /// The scopes that receive bindings, innermost last; empty at module level.
    binding: Vec<usize>,
    /// The scopes whose range holds the code being walked. Differs from `binding` only in a
    /// comprehension's first iterable.
    lexical: Vec<usize>,
    /// How many statements enclose the one being walked, itself included.
    depth: u32,
}

impl Walker<'_> {
    fn open_scope(&mut self, kind: ScopeKind, range: TextRange, hole: Option<TextRange>) -> usize {
        let index = self.scopes.len();
        self.scopes.push(Scope {
            kind,
            range,
            hole,
            parent: self.lexical.last().copied(),
            globals: Vec::new(),
            nonlocals: Vec::new(),
            bindings: Vec::new(),
        });
        self.lexical.push(index);
        index
    }

    fn close_scope(&mut self) {
        if let Some(index) = self.lexical.pop() {
            if self.binding.last() == Some(&index) {
                self.binding.pop();
            }
            self.scopes[index]
                .bindings
                .sort_by_key(|binding| binding.at);
        }
    }

    fn bind(&mut self, name: &Name, at: TextSize, import: Option<ImportId>) {
        self.bind_in(self.binding.last().copied(), name, at, import);
    }

    fn bind_in(
        &mut self,
        scope: Option<usize>,
        name: &Name,
        at: TextSize,
        import: Option<ImportId>,
    ) {
        if name.is_empty() {
            return;
        }
        match scope {
            None => {
                // Before its first import, a name resolves to nothing whatever binds it.
                if import.is_none() && !self.module.contains_key(name) {
                    return;
                }
                self.module
                    .entry(name.clone())
                    .or_default()
                    .push(ModuleBinding {
                        cell: self.cell,
                        at,
                        import,
                    });
            }
            Some(index) => {
                let scope = &mut self.scopes[index];
                if scope.globals.contains(name) || scope.nonlocals.contains(name) {
                    return;
                }
                scope.bindings.push(LocalBinding {
                    name: name.clone(),
                    at,
                    import,
                });
            }
        }
    }

    /// Binds the names of an assignment target, effective at `at`; walks the rest of it.
    fn bind_target(&mut self, target: &Expr, at: TextSize) {
        match target {
            Expr::Name(name) => self.bind(&name.id, at, None),
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for elt in elts {
                    self.bind_target(elt, at);
                }
            }
            Expr::Starred(ast::ExprStarred { value, .. }) => self.bind_target(value, at),
            other => self.visit_expr(other),
        }
    }

    fn placement(&self) -> Placement {
        if !self.binding.is_empty() {
            Placement::Local
        } else if self.depth <= 1 {
            Placement::TopLevel
        } else {
            Placement::Nested
        }
    }

    fn record(&mut self, import: Import, at: TextSize) {
        let id = self.imports.len();
        let bound = import.bound.clone();
        self.imports.push(import);
        if let Some(bound) = bound {
            self.bind(&bound, at, Some(id));
        }
    }

    fn visit_import(&mut self, import: &ast::StmtImport) {
        for alias in &import.names {
            if alias.name.id.is_empty() {
                continue;
            }
            let module = alias.name.id.clone();
            let (alias_name, bound) = match &alias.asname {
                Some(asname) => (Some(asname.id.clone()), Some(asname.id.clone())),
                None if dangling_as(alias) => (None, None),
                None => (None, segments(&module).next().map(Name::new)),
            };
            let entry = Import {
                cell: self.cell,
                range: import.range,
                alias_range: alias.range,
                kind: ImportKind::Import,
                module,
                level: 0,
                member: None,
                alias: alias_name,
                bound,
                star: false,
                placement: self.placement(),
            };
            self.record(entry, import.end());
        }
    }

    fn visit_import_from(&mut self, import: &ast::StmtImportFrom) {
        let written = import
            .module
            .as_ref()
            .map_or("", |module| module.id.as_str());
        let module = if import.level == 0 {
            Name::new(written)
        } else {
            let dots = usize::try_from(import.level).unwrap_or_default();
            Name::new(format!("{}{written}", ".".repeat(dots)))
        };
        for alias in &import.names {
            if alias.name.id.is_empty() {
                continue;
            }
            let star = alias.name.id.as_str() == "*";
            let member = (!star).then(|| alias.name.id.clone());
            let (alias_name, bound) = match &alias.asname {
                Some(asname) => (Some(asname.id.clone()), Some(asname.id.clone())),
                None if dangling_as(alias) => (None, None),
                None => (None, member.clone()),
            };
            let entry = Import {
                cell: self.cell,
                range: import.range,
                alias_range: alias.range,
                kind: ImportKind::From,
                module: module.clone(),
                level: import.level,
                member,
                alias: alias_name,
                bound,
                star,
                placement: self.placement(),
            };
            self.record(entry, import.end());
        }
    }

    fn visit_function(&mut self, def: &ast::StmtFunctionDef) {
        for decorator in &def.decorator_list {
            self.visit_decorator(decorator);
        }
        if let Some(type_params) = &def.type_params {
            self.visit_type_params(type_params);
        }
        self.visit_parameters(&def.parameters);
        if let Some(returns) = &def.returns {
            self.visit_annotation(returns);
        }
        let range = body_range(&def.body, def.end());
        let index = self.open_scope(ScopeKind::Function, range, None);
        self.binding.push(index);
        for parameter in def.parameters.iter() {
            self.bind(&parameter.name().id, range.start(), None);
        }
        self.visit_body(&def.body);
        self.close_scope();
        self.bind(&def.name.id, def.end(), None);
    }

    fn visit_class(&mut self, class: &ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.visit_decorator(decorator);
        }
        if let Some(type_params) = &class.type_params {
            self.visit_type_params(type_params);
        }
        if let Some(arguments) = &class.arguments {
            self.visit_arguments(arguments);
        }
        let range = body_range(&class.body, class.end());
        let index = self.open_scope(ScopeKind::Class, range, None);
        self.binding.push(index);
        self.visit_body(&class.body);
        self.close_scope();
        self.bind(&class.name.id, class.end(), None);
    }

    fn visit_lambda(&mut self, lambda: &ast::ExprLambda) {
        if let Some(parameters) = &lambda.parameters {
            for default in parameters
                .iter_non_variadic_params()
                .filter_map(|parameter| parameter.default())
            {
                self.visit_expr(default);
            }
        }
        let range = lambda.body.range();
        let index = self.open_scope(ScopeKind::Lambda, range, None);
        self.binding.push(index);
        if let Some(parameters) = &lambda.parameters {
            for parameter in parameters.iter() {
                self.bind(&parameter.name().id, range.start(), None);
            }
        }
        self.visit_expr(&lambda.body);
        self.close_scope();
    }

    fn visit_comprehension_expr(
        &mut self,
        range: TextRange,
        generators: &[ast::Comprehension],
        elements: &[&Expr],
    ) {
        let Some((first, rest)) = generators.split_first() else {
            for element in elements {
                self.visit_expr(element);
            }
            return;
        };
        // The scope is opened before its first iterable is walked, so that scopes in the
        // iterable come after it in start order; the iterable still binds outside.
        let index = self.open_scope(ScopeKind::Comprehension, range, Some(first.iter.range()));
        self.visit_expr(&first.iter);
        self.binding.push(index);
        for generator in generators {
            self.bind_target(&generator.target, range.start());
        }
        for condition in &first.ifs {
            self.visit_expr(condition);
        }
        for generator in rest {
            self.visit_expr(&generator.iter);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.close_scope();
    }

    fn in_function(&self) -> bool {
        self.binding
            .last()
            .is_some_and(|&index| self.scopes[index].kind == ScopeKind::Function)
    }

    fn walk_statement(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(import) => self.visit_import(import),
            Stmt::ImportFrom(import) => self.visit_import_from(import),
            Stmt::FunctionDef(def) => self.visit_function(def),
            Stmt::ClassDef(class) => self.visit_class(class),
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                self.visit_expr(value);
                for target in targets {
                    self.bind_target(target, stmt.end());
                }
            }
            Stmt::AugAssign(ast::StmtAugAssign { target, value, .. }) => {
                self.visit_expr(value);
                self.bind_target(target, stmt.end());
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                annotation,
                value,
                ..
            }) => {
                self.visit_annotation(annotation);
                if let Some(value) = value {
                    self.visit_expr(value);
                    self.bind_target(target, stmt.end());
                } else if let Expr::Name(name) = target.as_ref() {
                    // `x: int` binds nothing, but makes `x` a local of a function.
                    if self.in_function() {
                        self.bind(&name.id, stmt.end(), None);
                    }
                } else {
                    self.visit_expr(target);
                }
            }
            Stmt::For(ast::StmtFor {
                target,
                iter,
                body,
                orelse,
                ..
            }) => {
                self.visit_expr(iter);
                self.bind_target(target, iter.end());
                self.visit_body(body);
                self.visit_body(orelse);
            }
            Stmt::With(ast::StmtWith { items, body, .. }) => {
                for item in items {
                    self.visit_expr(&item.context_expr);
                    if let Some(vars) = &item.optional_vars {
                        self.bind_target(vars, item.end());
                    }
                }
                self.visit_body(body);
            }
            Stmt::Delete(ast::StmtDelete { targets, .. }) => {
                for target in targets {
                    match target {
                        Expr::Name(name) => self.bind(&name.id, stmt.end(), None),
                        other => self.visit_expr(other),
                    }
                }
            }
            Stmt::Global(ast::StmtGlobal { names, .. }) => {
                if let Some(&index) = self.binding.last() {
                    let globals = &mut self.scopes[index].globals;
                    globals.extend(names.iter().map(|name| name.id.clone()));
                }
            }
            Stmt::Nonlocal(ast::StmtNonlocal { names, .. }) => {
                if let Some(&index) = self.binding.last() {
                    let nonlocals = &mut self.scopes[index].nonlocals;
                    nonlocals.extend(names.iter().map(|name| name.id.clone()));
                }
            }
            Stmt::TypeAlias(ast::StmtTypeAlias { name, value, .. }) => {
                self.visit_expr(value);
                self.bind_target(name, stmt.end());
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}

/// `import numpy as` in a cell that does not parse: the recovered alias has no `as` name but
/// spans the `as`. The statement never runs, and binding `numpy` would be a guess.
fn dangling_as(alias: &ast::Alias) -> bool {
    alias.asname.is_none() && alias.range.end() > alias.name.end()
}

/// The range of a `def` or `class` body: from its first statement to the end of the
/// statement. Empty when a broken parse left no body.
fn body_range(body: &[Stmt], end: TextSize) -> TextRange {
    let start = body.first().map_or(end, Ranged::start);
    TextRange::new(start.min(end), end)
}

impl<'a> Visitor<'a> for Walker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.depth += 1;
        self.walk_statement(stmt);
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if matches!(name.ctx, ExprContext::Store | ExprContext::Del) => {
                self.bind(&name.id, name.end(), None);
            }
            Expr::Named(ast::ExprNamed { target, value, .. }) => {
                self.visit_expr(value);
                match target.as_ref() {
                    Expr::Name(name) => {
                        // A walrus in a comprehension binds in the enclosing scope.
                        let scope = self
                            .binding
                            .iter()
                            .rev()
                            .find(|&&index| self.scopes[index].kind != ScopeKind::Comprehension)
                            .copied();
                        self.bind_in(scope, &name.id, expr.end(), None);
                    }
                    other => self.visit_expr(other),
                }
            }
            Expr::Lambda(lambda) => self.visit_lambda(lambda),
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | Expr::SetComp(ast::ExprSetComp {
                elt, generators, ..
            })
            | Expr::Generator(ast::ExprGenerator {
                elt, generators, ..
            }) => self.visit_comprehension_expr(expr.range(), generators, &[elt]),
            Expr::DictComp(ast::ExprDictComp {
                key,
                value,
                generators,
                ..
            }) => match key {
                Some(key) => self.visit_comprehension_expr(expr.range(), generators, &[key, value]),
                None => self.visit_comprehension_expr(expr.range(), generators, &[value]),
            },
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(handler) = handler;
        if let Some(kind) = &handler.type_ {
            self.visit_expr(kind);
        }
        // The name is bound in the handler, and deleted after it: either way, not an import.
        if let Some(name) = &handler.name {
            self.bind(&name.id, name.end(), None);
        }
        self.visit_body(&handler.body);
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        let capture = match pattern {
            Pattern::MatchAs(ast::PatternMatchAs { name, .. })
            | Pattern::MatchStar(ast::PatternMatchStar { name, .. }) => name.as_ref(),
            Pattern::MatchMapping(ast::PatternMatchMapping { rest, .. }) => rest.as_ref(),
            _ => None,
        };
        if let Some(name) = capture {
            self.bind(&name.id, pattern.end(), None);
        }
        visitor::walk_pattern(self, pattern);
    }
}

#[cfg(test)]
mod tests {
    use nblint_notebook::{parse_cell, Notebook, ParsedCell};
    use ruff_python_ast::visitor::{self, Visitor};
    use ruff_python_ast::Expr;
    use ruff_text_size::{Ranged, TextSize};

    use super::*;

    struct Fixture {
        notebook: Notebook,
        cells: Vec<ParsedCell>,
        imports: Imports,
    }

    /// A notebook of code cells with these sources.
    fn fixture(sources: &[&str]) -> Fixture {
        let cells: Vec<serde_json::Value> = sources
            .iter()
            .map(|source| {
                serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                    "execution_count": null, "source": source})
            })
            .collect();
        fixture_of(cells)
    }

    fn fixture_of(cells: Vec<serde_json::Value>) -> Fixture {
        let text = serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4,
            "nbformat_minor": 5})
        .to_string();
        let notebook = Notebook::from_str(&text).unwrap();
        let cells: Vec<ParsedCell> = notebook.cells.iter().map(parse_cell).collect();
        let imports = Imports::build(&notebook, &cells);
        Fixture {
            notebook,
            cells,
            imports,
        }
    }

    impl Fixture {
        /// The `nth` expression of the cell whose source is `text`, in source order.
        fn expr(&self, cell: usize, text: &str, nth: usize) -> &Expr {
            struct Finder<'a, 's> {
                source: &'s str,
                text: &'s str,
                found: Vec<&'a Expr>,
            }
            impl<'a> Visitor<'a> for Finder<'a, '_> {
                fn visit_expr(&mut self, expr: &'a Expr) {
                    if &self.source[expr.range()] == self.text {
                        self.found.push(expr);
                    }
                    visitor::walk_expr(self, expr);
                }
            }
            let mut finder = Finder {
                source: &self.notebook.cells[cell].source,
                text,
                found: Vec::new(),
            };
            let module = self.cells[cell].module().expect("a parsed cell");
            finder.visit_body(&module.body);
            finder.found.sort_by_key(|expr| expr.start());
            finder
                .found
                .get(nth)
                .copied()
                .unwrap_or_else(|| panic!("no {text:?} #{nth} in cell {cell}"))
        }

        /// What the `nth` occurrence of `text` in `cell` resolves to.
        fn resolve_nth(&self, cell: usize, text: &str, nth: usize) -> Option<String> {
            let expr = self.expr(cell, text, nth);
            self.imports
                .resolve(cell, expr.start(), expr)
                .map(|name| name.to_string())
        }

        fn resolve(&self, cell: usize, text: &str) -> Option<String> {
            self.resolve_nth(cell, text, 0)
        }

        /// The offset of the first `text` in the cell's source.
        fn offset(&self, cell: usize, text: &str) -> TextSize {
            let offset = self.notebook.cells[cell].source.find(text).unwrap();
            TextSize::try_from(offset).unwrap()
        }

        /// The first call in the cell whose source is `text`.
        fn call(&self, cell: usize, text: &str) -> &ast::ExprCall {
            match self.expr(cell, text, 0) {
                Expr::Call(call) => call,
                other => panic!("not a call: {other:?}"),
            }
        }
    }

    /// `(bound, qualified name, placement)` of each import of a cell.
    fn summary(imports: &[Import]) -> Vec<(Option<String>, String, Placement)> {
        imports
            .iter()
            .map(|import| {
                (
                    import.bound.as_ref().map(ToString::to_string),
                    import.qualified_name().to_string(),
                    import.placement,
                )
            })
            .collect()
    }

    #[test]
    fn records_module_member_alias_and_bound_name() {
        let fx = fixture(&[
            "import numpy as np, os.path\nfrom sklearn.model_selection import train_test_split as tts, KFold\nimport a.b.c\n",
        ]);
        let imports = fx.imports.in_cell(0);
        assert_eq!(imports.len(), 5);

        let np = &imports[0];
        assert_eq!(np.kind, ImportKind::Import);
        assert_eq!(np.module.as_str(), "numpy");
        assert_eq!(np.member, None);
        assert_eq!(np.alias.as_deref(), Some("np"));
        assert_eq!(np.bound.as_deref(), Some("np"));
        assert_eq!(np.target().unwrap().to_string(), "numpy");
        assert_eq!(
            &fx.notebook.cells[0].source[np.range],
            "import numpy as np, os.path"
        );
        assert_eq!(&fx.notebook.cells[0].source[np.alias_range], "numpy as np");
        assert!(!np.star && !np.is_relative() && np.binds_module_name());

        // `import os.path` binds `os`, which is the package `os`.
        let os = &imports[1];
        assert_eq!(os.range, np.range);
        assert_eq!(os.module.as_str(), "os.path");
        assert_eq!(os.alias, None);
        assert_eq!(os.bound.as_deref(), Some("os"));
        assert_eq!(os.qualified_name().segments(), ["os", "path"]);
        assert_eq!(os.target().unwrap().segments(), ["os"]);

        let tts = &imports[2];
        assert_eq!(tts.kind, ImportKind::From);
        assert_eq!(tts.module.as_str(), "sklearn.model_selection");
        assert_eq!(tts.member.as_deref(), Some("train_test_split"));
        assert_eq!(tts.alias.as_deref(), Some("tts"));
        assert_eq!(tts.bound.as_deref(), Some("tts"));
        assert_eq!(
            tts.target().unwrap().to_string(),
            "sklearn.model_selection.train_test_split"
        );
        assert_eq!(imports[3].bound.as_deref(), Some("KFold"));

        assert_eq!(imports[4].bound.as_deref(), Some("a"));
        assert_eq!(imports[4].qualified_name().to_string(), "a.b.c");
        assert_eq!(fx.imports.all().len(), 5);
    }

    #[test]
    fn placement_tells_top_level_nested_and_local_imports() {
        let fx = fixture(&[
            "import a\nif x:\n    import b\ntry:\n    import c\nexcept ImportError:\n    c = None\nwith m:\n    import d\nfor i in r:\n    import e\ndef f():\n    import g\n    if y:\n        import h\nclass K:\n    import k\nimport z\n",
        ]);
        let placements: Vec<(String, Placement)> = fx
            .imports
            .in_cell(0)
            .iter()
            .map(|i| (i.module.to_string(), i.placement))
            .collect();
        let expected = [
            ("a", Placement::TopLevel),
            ("b", Placement::Nested),
            ("c", Placement::Nested),
            ("d", Placement::Nested),
            ("e", Placement::Nested),
            ("g", Placement::Local),
            ("h", Placement::Local),
            ("k", Placement::Local),
            ("z", Placement::TopLevel),
        ];
        let expected: Vec<(String, Placement)> =
            expected.iter().map(|(m, p)| (m.to_string(), *p)).collect();
        assert_eq!(placements, expected);
        assert!(!fx.imports.in_cell(0)[5].binds_module_name());
    }

    #[test]
    fn relative_imports_keep_their_dots() {
        let fx = fixture(&[
            "from . import x\nfrom ..pkg.mod import y as z\nfrom .sib import *\n",
            "x.attr\nz()\n",
        ]);
        let imports = fx.imports.in_cell(0);
        assert_eq!(imports[0].module.as_str(), ".");
        assert_eq!(imports[0].level, 1);
        assert_eq!(imports[0].member.as_deref(), Some("x"));
        assert_eq!(imports[0].qualified_name().segments(), [".", "x"]);
        assert_eq!(imports[0].qualified_name().to_string(), ".x");
        assert_eq!(imports[1].module.as_str(), "..pkg.mod");
        assert_eq!(imports[1].level, 2);
        assert_eq!(imports[1].qualified_name().to_string(), "..pkg.mod.y");
        assert!(imports[1].is_relative());
        assert!(imports[2].star);
        assert_eq!(imports[2].module.as_str(), ".sib");

        assert_eq!(fx.resolve(1, "x.attr").as_deref(), Some(".x.attr"));
        assert_eq!(fx.resolve(1, "z").as_deref(), Some("..pkg.mod.y"));
        let z = fx.imports.resolve_call(1, fx.call(1, "z()")).unwrap();
        assert!(matches(&z, "..pkg.mod.y"));
        assert!(!matches(&z, "pkg.mod.y"));
        assert!(!matches(&z, ".pkg.mod.y"));

        assert_eq!(fx.imports.imports_of(".").count(), 3);
        assert_eq!(fx.imports.imports_of("..pkg").count(), 1);
        assert_eq!(fx.imports.imports_of(".x").count(), 1);
        assert!(!fx.imports.is_imported("pkg"));
    }

    #[test]
    fn star_imports_are_recorded_but_bind_no_known_name() {
        let fx = fixture(&[
            "import numpy as np\nfrom numpy import *\n",
            "zeros(3)\nnp.ones(2)\n",
        ]);
        let star = &fx.imports.in_cell(0)[1];
        assert!(star.star);
        assert_eq!(star.member, None);
        assert_eq!(star.bound, None);
        assert_eq!(star.target(), None);
        assert_eq!(star.qualified_name().to_string(), "numpy");
        assert!(!star.binds_module_name());
        assert_eq!(fx.imports.imports_of("numpy").count(), 2);
        assert_eq!(fx.imports.imports_of("numpy.zeros").count(), 0);

        // What `*` bound is unknown: `zeros` is not claimed, `np` keeps its import.
        assert_eq!(fx.resolve(1, "zeros"), None);
        assert_eq!(fx.resolve(1, "np.ones").as_deref(), Some("numpy.ones"));
    }

    #[test]
    fn queries_by_package_module_and_cell() {
        let fx = fixture_of(vec![
            serde_json::json!({"cell_type": "markdown", "metadata": {},
                "source": "import pandas as pd\n"}),
            serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                "execution_count": null,
                "source": "import numpy.random\nimport pandas as pd\nimport numpyro\n"}),
            serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                "execution_count": null,
                "source": "from numpy.linalg import norm\nfrom numpy import random\n"}),
            serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                "execution_count": null,
                "source": "def load():\n    import pandas\n    return pandas.read_csv(p)\n"}),
        ]);
        let ix = &fx.imports;
        // The markdown cell keeps its number and holds no import.
        assert!(ix.in_cell(0).is_empty());
        assert_eq!(ix.in_cell(1).len(), 3);
        assert!(ix.in_cell(99).is_empty());

        let modules = |it: &mut dyn Iterator<Item = &Import>| -> Vec<String> {
            it.map(|i| i.qualified_name().to_string()).collect()
        };
        assert_eq!(
            modules(&mut ix.imports_of("numpy")),
            ["numpy.random", "numpy.linalg.norm", "numpy.random"]
        );
        assert_eq!(
            modules(&mut ix.imports_of("numpy.random")),
            ["numpy.random", "numpy.random"]
        );
        assert_eq!(
            modules(&mut ix.imports_of("numpy.linalg.norm")),
            ["numpy.linalg.norm"]
        );
        assert_eq!(
            modules(&mut ix.imports_of_module("numpy.random")),
            ["numpy.random"]
        );
        assert_eq!(
            modules(&mut ix.imports_of_module("numpy")),
            ["numpy.random"]
        );
        assert_eq!(
            modules(&mut ix.imports_of_module("numpy.linalg")),
            ["numpy.linalg.norm"]
        );
        assert_eq!(modules(&mut ix.imports_of("numpyro")), ["numpyro"]);

        // Function-local imports count: the cell does import pandas.
        assert_eq!(ix.cells_importing("pandas"), [1, 3]);
        assert_eq!(ix.cells_importing("numpy"), [1, 2]);
        assert!(ix.is_imported("pandas"));
        assert!(ix.is_imported("numpy.linalg"));
        assert!(!ix.is_imported("numpy.fft"));
        assert!(!ix.is_imported("scipy"));
        assert!(!ix.is_imported("num"));
        assert!(!ix.is_imported(""));
    }

    #[test]
    fn resolves_aliases_members_and_submodules() {
        let fx = fixture(&[
            "import numpy as np\nfrom numpy import random as r\nfrom sklearn.model_selection import train_test_split\nimport os.path\nimport scipy.stats as st\n",
            "np.random.rand(3)\nr.rand(3)\ntrain_test_split(X, y)\nos.path.join(a, b)\nst.norm.pdf(0)\nnp\n",
        ]);
        assert_eq!(
            fx.resolve(1, "np.random.rand").as_deref(),
            Some("numpy.random.rand")
        );
        assert_eq!(
            fx.resolve(1, "r.rand").as_deref(),
            Some("numpy.random.rand")
        );
        assert_eq!(
            fx.resolve(1, "train_test_split").as_deref(),
            Some("sklearn.model_selection.train_test_split")
        );
        assert_eq!(
            fx.resolve(1, "os.path.join").as_deref(),
            Some("os.path.join")
        );
        assert_eq!(
            fx.resolve(1, "st.norm.pdf").as_deref(),
            Some("scipy.stats.norm.pdf")
        );
        assert_eq!(fx.resolve_nth(1, "np", 1).as_deref(), Some("numpy"));

        let call = fx
            .imports
            .resolve_call(1, fx.call(1, "train_test_split(X, y)"));
        assert!(call.is_some_and(|q| matches(&q, "sklearn.model_selection.train_test_split")));
        let rand = fx.expr(1, "np.random.rand", 0);
        let rand = fx.imports.resolve_expr(1, rand).unwrap();
        assert_eq!(rand.segments(), ["numpy", "random", "rand"]);
        assert!(!matches(&rand, "numpy.random"));
        assert!(!matches(&rand, "numpy.random.rand.x"));
    }

    #[test]
    fn import_of_a_submodule_binds_the_package() {
        let fx = fixture(&["import numpy.random\nnumpy.random.rand(2)\nnumpy.zeros(1)\n"]);
        assert_eq!(
            fx.resolve(0, "numpy.random.rand").as_deref(),
            Some("numpy.random.rand")
        );
        assert_eq!(fx.resolve(0, "numpy.zeros").as_deref(), Some("numpy.zeros"));
    }

    #[test]
    fn a_later_import_rebinds_for_later_cells_only() {
        let fx = fixture(&[
            "x = 0\n",
            "import numpy as np\n",
            "y = 1\n",
            "np.zeros(3)\n",
            "z = 2\n",
            "import jax.numpy as np\n",
            "np.zeros(6)\n",
        ]);
        assert_eq!(fx.resolve(3, "np.zeros").as_deref(), Some("numpy.zeros"));
        assert_eq!(
            fx.resolve(6, "np.zeros").as_deref(),
            Some("jax.numpy.zeros")
        );
        let numpy = fx.imports.import_for(3, fx.offset(3, "np"), "np").unwrap();
        assert_eq!(numpy.cell, 1);
        let jax = fx.imports.import_for(6, fx.offset(6, "np"), "np").unwrap();
        assert_eq!(jax.cell, 5);
    }

    #[test]
    fn a_later_import_rebinds_within_a_cell() {
        let fx = fixture(&[
            "import numpy as np\na = np.zeros(1)\nimport jax.numpy as np\nb = np.zeros(2)\n",
        ]);
        assert_eq!(
            fx.resolve_nth(0, "np.zeros", 0).as_deref(),
            Some("numpy.zeros")
        );
        assert_eq!(
            fx.resolve_nth(0, "np.zeros", 1).as_deref(),
            Some("jax.numpy.zeros")
        );
    }

    #[test]
    fn an_assignment_stops_the_resolution() {
        let fx = fixture(&[
            "import numpy as np\n",
            "np.zeros(1)\nnp = np.asarray(x)\nnp.zeros(2)\n",
            "np.zeros(3)\n",
            "import numpy as np\n",
            "np.zeros(4)\n",
        ]);
        assert_eq!(
            fx.resolve_nth(1, "np.zeros", 0).as_deref(),
            Some("numpy.zeros")
        );
        // The value of the assignment still reads the import.
        assert_eq!(
            fx.resolve(1, "np.asarray").as_deref(),
            Some("numpy.asarray")
        );
        assert_eq!(fx.resolve_nth(1, "np.zeros", 1), None);
        assert_eq!(fx.resolve(2, "np.zeros"), None);
        assert_eq!(fx.resolve(4, "np.zeros").as_deref(), Some("numpy.zeros"));
    }

    #[test]
    fn every_kind_of_binding_shadows_an_import() {
        let fx = fixture(&[
            "import a, b, c, d, e, f, g, h, k, m\n",
            "def a(): pass\nclass b: pass\nfor c in []: pass\nwith open(p) as d: pass\ndel e\ntry:\n    pass\nexcept E as f:\n    pass\n(g := 1)\nh += 1\nk: int = 1\nmatch v:\n    case [m]:\n        pass\n",
            "a.x\nb.x\nc.x\nd.x\ne.x\nf.x\ng.x\nh.x\nk.x\nm.x\n",
        ]);
        for name in ["a", "b", "c", "d", "e", "f", "g", "h", "k", "m"] {
            assert_eq!(fx.resolve(2, &format!("{name}.x")), None, "{name}");
        }
    }

    #[test]
    fn a_binding_targets_own_value_or_iterable_sees_the_import() {
        let fx = fixture(&[
            "import numpy as np\nfor np in np.arange(3):\n    np.x\nwith np.load(f) as np:\n    np.y\n",
        ]);
        assert_eq!(fx.resolve(0, "np.arange").as_deref(), Some("numpy.arange"));
        assert_eq!(fx.resolve(0, "np.x"), None);
        assert_eq!(fx.resolve(0, "np.load"), None);
        assert_eq!(fx.resolve(0, "np.y"), None);
    }

    #[test]
    fn names_that_are_not_imports_resolve_to_none() {
        let fx = fixture(&[
            "np.zeros(1)\nprint(x)\ndf = load()\ndf.head()\n",
            "import numpy as np\n",
        ]);
        // Used before the cell that imports it runs.
        assert_eq!(fx.resolve(0, "np.zeros"), None);
        // Builtins and names bound by assignment are not imports.
        assert_eq!(fx.resolve(0, "print"), None);
        assert_eq!(fx.resolve(0, "df.head"), None);
        assert_eq!(fx.imports.resolve_name(0, TextSize::new(0), "np"), None);
        assert_eq!(
            fx.imports
                .resolve_name(1, TextSize::new(18), "np")
                .map(|q| q.to_string())
                .as_deref(),
            Some("numpy")
        );
        let at = TextSize::new(18);
        assert_eq!(
            fx.imports
                .resolve_name(1, at, "np.random.rand")
                .map(|q| q.to_string())
                .as_deref(),
            Some("numpy.random.rand")
        );
        assert_eq!(fx.imports.resolve_name(1, at, "numpy.random"), None);
        assert_eq!(fx.imports.resolve_name(1, at, ""), None);
        // Cell numbers past the end do not panic.
        assert!(fx.imports.resolve_name(7, TextSize::new(0), "np").is_some());
    }

    #[test]
    fn function_imports_bind_locals() {
        let fx = fixture(&[
            "import numpy as np\ndef f():\n    import jax.numpy as np\n    return np.zeros(1)\nnp.zeros(2)\n",
            "np.zeros(3)\n",
        ]);
        let local = &fx.imports.in_cell(0)[1];
        assert_eq!(local.placement, Placement::Local);
        assert_eq!(
            fx.resolve_nth(0, "np.zeros", 0).as_deref(),
            Some("jax.numpy.zeros")
        );
        assert_eq!(
            fx.resolve_nth(0, "np.zeros", 1).as_deref(),
            Some("numpy.zeros")
        );
        assert_eq!(fx.resolve(1, "np.zeros").as_deref(), Some("numpy.zeros"));
    }

    #[test]
    fn function_bodies_see_module_imports_unless_shadowed() {
        let fx = fixture(&[
            "import pandas as pd\nimport numpy as np\n",
            "def load(p):\n    return pd.read_csv(p)\ndef g(np):\n    return np.zeros(1)\ndef h():\n    np.ones(1)\n    np = 3\ndef k():\n    global np\n    return np.eye(2)\ndef outer():\n    import jax.numpy as np\n    def inner():\n        return np.full(1)\n    return inner\n",
        ]);
        assert_eq!(
            fx.resolve(1, "pd.read_csv").as_deref(),
            Some("pandas.read_csv")
        );
        // A parameter, or a local assigned anywhere in the body, hides the module name.
        assert_eq!(fx.resolve(1, "np.zeros"), None);
        assert_eq!(fx.resolve(1, "np.ones"), None);
        assert_eq!(fx.resolve(1, "np.eye").as_deref(), Some("numpy.eye"));
        // A closure sees its enclosing function's import.
        assert_eq!(fx.resolve(1, "np.full").as_deref(), Some("jax.numpy.full"));
    }

    #[test]
    fn class_bodies_lambdas_and_comprehensions_are_scopes() {
        let fx = fixture(&[
            "import numpy as np\nclass K:\n    import jax.numpy as np\n    a = np.zeros(1)\n    def m(self):\n        return np.ones(1)\nf = lambda np: np.eye(2)\nxs = [np.full(1) for np in np.arange(3)]\nys = [np.empty(1) for i in r]\n",
        ]);
        assert_eq!(
            fx.resolve(0, "np.zeros").as_deref(),
            Some("jax.numpy.zeros")
        );
        // Methods do not see the class body's names.
        assert_eq!(fx.resolve(0, "np.ones").as_deref(), Some("numpy.ones"));
        assert_eq!(fx.resolve(0, "np.eye"), None);
        assert_eq!(fx.resolve(0, "np.full"), None);
        // The first iterable of a comprehension runs outside it.
        assert_eq!(fx.resolve(0, "np.arange").as_deref(), Some("numpy.arange"));
        assert_eq!(fx.resolve(0, "np.empty").as_deref(), Some("numpy.empty"));
    }

    #[test]
    fn conditional_imports_take_the_last_in_source_order() {
        let fx = fixture(&[
            "try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
            "json.loads(s)\n",
        ]);
        assert_eq!(fx.resolve(1, "json.loads").as_deref(), Some("json.loads"));
        assert_eq!(fx.imports.in_cell(0)[0].placement, Placement::Nested);
    }

    #[test]
    fn chains_through_calls_and_subscripts_resolve_their_name_part_only() {
        let fx = fixture(&[
            "import numpy as np\nnp.random.default_rng().integers(3)\nnp.r_[1:3].sum()\n",
        ]);
        // The method of a call's result is not a name an import can give.
        assert_eq!(fx.resolve(0, "np.random.default_rng().integers"), None);
        assert_eq!(
            fx.resolve(0, "np.random.default_rng").as_deref(),
            Some("numpy.random.default_rng")
        );
        let inner = fx.call(0, "np.random.default_rng()");
        assert_eq!(
            fx.imports
                .resolve_call(0, inner)
                .map(|q| q.to_string())
                .as_deref(),
            Some("numpy.random.default_rng")
        );
        let outer = fx.call(0, "np.random.default_rng().integers(3)");
        assert_eq!(fx.imports.resolve_call(0, outer), None);
        assert_eq!(fx.resolve(0, "np.r_[1:3].sum"), None);
        assert_eq!(fx.resolve(0, "np.r_").as_deref(), Some("numpy.r_"));
    }

    #[test]
    fn a_cell_with_a_syntax_error_still_records_its_imports() {
        let fx = fixture(&[
            "import pandas as pd\nfrom sklearn import metrics\ndef f(:\n    pass\n",
            "pd.read_csv(p)\nmetrics.f1_score(a, b)\n",
        ]);
        assert!(!fx.cells[0].parsed.as_ref().unwrap().errors().is_empty());
        assert_eq!(
            summary(fx.imports.in_cell(0)),
            [
                (Some("pd".into()), "pandas".into(), Placement::TopLevel),
                (
                    Some("metrics".into()),
                    "sklearn.metrics".into(),
                    Placement::TopLevel
                ),
            ]
        );
        assert_eq!(
            fx.resolve(1, "pd.read_csv").as_deref(),
            Some("pandas.read_csv")
        );
        assert_eq!(
            fx.resolve(1, "metrics.f1_score").as_deref(),
            Some("sklearn.metrics.f1_score")
        );
    }

    #[test]
    fn a_broken_import_is_recorded_but_binds_no_guessed_name() {
        let fx =
            fixture(&["import numpy as\nfrom pandas import\nimport\nfrom sklearn import (svm,\n"]);
        let imports = fx.imports.in_cell(0);
        assert_eq!(
            summary(imports),
            [
                (None, "numpy".into(), Placement::TopLevel),
                (
                    Some("svm".into()),
                    "sklearn.svm".into(),
                    Placement::TopLevel
                ),
            ]
        );
        assert_eq!(imports[0].alias, None);
        assert_eq!(fx.imports.resolve_name(0, TextSize::new(60), "numpy"), None);
    }

    #[test]
    fn ipython_magics_break_nothing() {
        let fx = fixture(&[
            "%matplotlib inline\nimport numpy as np\n!pip install x\nfiles = !ls\nnp.array?\n",
            "%%time\nimport pandas as pd\n",
            "%time import scipy\n",
            "np.zeros(1)\npd.read_csv(p)\n",
        ]);
        assert_eq!(
            summary(fx.imports.in_cell(0)),
            [(Some("np".into()), "numpy".into(), Placement::TopLevel)]
        );
        assert_eq!(
            summary(fx.imports.in_cell(1)),
            [(Some("pd".into()), "pandas".into(), Placement::TopLevel)]
        );
        // Documented: a line magic's statement is not parsed again.
        assert!(fx.imports.in_cell(2).is_empty());
        assert_eq!(fx.resolve(3, "np.zeros").as_deref(), Some("numpy.zeros"));
        assert_eq!(
            fx.resolve(3, "pd.read_csv").as_deref(),
            Some("pandas.read_csv")
        );
    }

    #[test]
    fn non_python_cells_hold_no_imports() {
        let fx = fixture(&["%%bash\nimport numpy\n", "import os\n"]);
        assert!(fx.imports.in_cell(0).is_empty());
        assert_eq!(fx.imports.cells_importing("os"), [1]);
        assert_eq!(fx.imports.cells_importing("numpy"), Vec::<usize>::new());
    }

    #[test]
    fn matches_compares_whole_dotted_names() {
        let fx = fixture(&["import numpy as np\nnp.random.rand\n"]);
        let name = fx.resolve(0, "np.random.rand").unwrap();
        assert_eq!(name, "numpy.random.rand");
        let qualified = fx
            .imports
            .resolve_expr(0, fx.expr(0, "np.random.rand", 0))
            .unwrap();
        assert!(matches(&qualified, "numpy.random.rand"));
        assert!(!matches(&qualified, "numpy.random"));
        assert!(!matches(&qualified, "numpy.random.randn"));
        assert!(!matches(&qualified, ".numpy.random.rand"));
        assert!(!matches(&qualified, ""));
    }
}
