//! Walks one cell's AST with Python's scoping rules and records its module-level events.

use crate::Set;

use nblint_notebook::{CellSyntax, Notebook, ParsedCell};
use ruff_python_ast::comparable::ComparableExpr;
use ruff_python_ast::name::Name;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    self as ast, ExceptHandler, Expr, ExprContext, IpyEscapeKind, Parameters, Pattern, Stmt,
};
use ruff_text_size::{Ranged, TextLen, TextRange, TextSize};

use super::names::method_mutation;
use super::{
    Analysis, BindKind, Binding, CellIndex, Event, EventKind, Function, FunctionId, Mutation,
    MutationKind, Read, ReadStatus, SemanticIndex, Via,
};

/// Marks a call placeholder event (`Via::Call` with this function) that
/// [`SemanticIndex::resolve`] replaces with the reads of the called function.
pub(super) const CALL_MARKER: FunctionId = usize::MAX;

/// Line magics whose argument is a Python statement run in the user namespace.
const STATEMENT_MAGICS: &[&str] = &["time", "timeit", "prun", "debug"];
/// Options of those magics that take a value (`%timeit -n 10 f()`).
const MAGIC_OPTIONS_WITH_VALUE: &[&str] = &["-n", "-r", "-p", "-l", "-s", "-T", "-D"];

pub(super) fn build(
    notebook: &Notebook,
    cells: &[ParsedCell],
    run_target: &dyn Fn(&str) -> Option<Vec<Name>>,
) -> SemanticIndex {
    let mut index = SemanticIndex {
        cells: Vec::with_capacity(notebook.cells.len()),
        ..SemanticIndex::default()
    };
    for (number, (cell, parsed)) in notebook.cells.iter().zip(cells).enumerate() {
        let mut entry = CellIndex::default();
        if let (true, CellSyntax::Python, Some(parse)) =
            (cell.is_code(), &parsed.syntax, &parsed.parsed)
        {
            let full = parse.errors().is_empty();
            entry.analysis = if full {
                Analysis::Full
            } else {
                Analysis::BindingsOnly
            };
            let mut builder = Builder {
                cell: number,
                offset: TextSize::default(),
                record_reads: full,
                events: Vec::new(),
                functions: &mut index.functions,
                unknown: &mut index.unknown_bindings,
                run_target,
                scopes: vec![Scope::new(ScopeKind::Module)],
                function: None,
                class_init: None,
                class_name: None,
                annotation: 0,
                guarded: 0,
                loops: Vec::new(),
            };
            builder.visit_body(&parse.syntax().body);
            entry.events = builder.events;
            // `%%timeit` runs its body inside a function: it reads the kernel's names but
            // binds none of them.
            if nblint_notebook::python::cell_magic(&cell.source) == Some("timeit") {
                entry
                    .events
                    .retain(|e| !matches!(e.kind, EventKind::Bind(_) | EventKind::Delete));
            }
            if !full {
                entry.events.extend(lexical_bindings(&cell.source));
            }
        } else if let (
            true,
            CellSyntax::TooDeep(_) | CellSyntax::Lexical(_) | CellSyntax::ParserFailure(_),
        ) = (cell.is_code(), &parsed.syntax)
        {
            // Python that was not parsed (it nests too deeply, it is Python 2, IPython dedents
            // it): what it binds, read from its lines.
            entry.analysis = Analysis::BindingsOnly;
            entry.events = lexical_bindings(&cell.source);
        } else if cell.is_code() {
            entry.events = cell_magic_bindings(&cell.source);
        }
        index.cells.push(entry);
    }
    index
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
}

struct Scope {
    kind: ScopeKind,
    locals: Set<Name>,
    globals: Set<Name>,
}

impl Scope {
    fn new(kind: ScopeKind) -> Scope {
        Scope {
            kind,
            locals: Set::default(),
            globals: Set::default(),
        }
    }
}

struct Builder<'i> {
    cell: usize,
    /// Added to every range: the position of a magic's Python payload in the cell.
    offset: TextSize,
    record_reads: bool,
    events: Vec<Event>,
    functions: &'i mut Vec<Function>,
    unknown: &'i mut Vec<(usize, TextRange)>,
    /// The module-level names of a `%run` target (`%run helpers.py`), when it can be read.
    run_target: &'i dyn Fn(&str) -> Option<Vec<Name>>,
    scopes: Vec<Scope>,
    /// The module-level function whose body is being walked.
    function: Option<FunctionId>,
    /// The `__init__` of the module-level class being walked, once seen, and the class's name.
    class_init: Option<FunctionId>,
    class_name: Option<Name>,
    /// Inside an annotation: evaluated later, or never.
    annotation: u32,
    /// Inside a `try` whose handlers catch `NameError`.
    guarded: u32,
    /// Names bound by each enclosing module-level loop.
    loops: Vec<Set<Name>>,
}

/// Where a name lookup ends.
enum Resolution {
    Local,
    Module,
}

impl Builder<'_> {
    fn range(&self, range: TextRange) -> TextRange {
        range + self.offset
    }

    /// Module-level code that runs now: no function or lambda encloses it.
    fn immediate(&self) -> bool {
        self.annotation == 0
            && !self
                .scopes
                .iter()
                .any(|s| matches!(s.kind, ScopeKind::Function | ScopeKind::Lambda))
    }

    fn resolve(&self, name: &str) -> Resolution {
        let innermost = self.scopes.len() - 1;
        for (depth, scope) in self.scopes.iter().enumerate().rev() {
            match scope.kind {
                ScopeKind::Module => return Resolution::Module,
                // Class attributes are not visible from the functions and comprehensions
                // inside the class body.
                ScopeKind::Class if depth != innermost => continue,
                _ => {}
            }
            if scope.globals.contains(name) {
                return Resolution::Module;
            }
            if scope.locals.contains(name) {
                return Resolution::Local;
            }
        }
        Resolution::Module
    }

    fn push(&mut self, name: &Name, range: TextRange, kind: EventKind) {
        let range = self.range(range);
        self.events.push(Event {
            name: name.clone(),
            range,
            kind,
        });
    }

    fn read(&mut self, name: &Name, range: TextRange) {
        if !self.record_reads || matches!(self.resolve(name), Resolution::Local) {
            return;
        }
        let via = if self.immediate() {
            Via::Direct
        } else {
            if let (Some(id), 0) = (self.function, self.annotation) {
                let free = &mut self.functions[id].free;
                if !free.iter().any(|(n, _)| n == name) {
                    let range = range + self.offset;
                    free.push((name.clone(), range));
                }
            }
            Via::Deferred {
                function: self.function,
            }
        };
        let guarded = self.guarded > 0 || self.loops.iter().any(|names| names.contains(name));
        self.push(
            name,
            range,
            EventKind::Read(Read {
                via,
                guarded,
                status: ReadStatus::Bound,
            }),
        );
    }

    /// Binds a name in the current scope: an event at module level (or for a `global`
    /// declared in the enclosing function), a local otherwise.
    fn bind(&mut self, name: &Name, range: TextRange, binding: Binding) {
        let scope = self
            .scopes
            .last_mut()
            .expect("the module scope is never popped");
        match scope.kind {
            ScopeKind::Module => self.push(name, range, EventKind::Bind(binding)),
            ScopeKind::Class => {
                scope.locals.insert(name.clone());
            }
            ScopeKind::Function | ScopeKind::Lambda | ScopeKind::Comprehension => {
                if scope.globals.contains(name) {
                    let binding = Binding {
                        kind: BindKind::Global,
                        ..binding
                    };
                    // Recorded on the module-level function too: the index moves the binding
                    // to the calls when the function is only ever called.
                    if let Some(id) = self.function {
                        let at = self.range(range);
                        self.functions[id]
                            .writes
                            .push((name.clone(), at, binding.derived));
                    }
                    self.push(name, range, EventKind::Bind(binding));
                }
            }
        }
    }

    fn bind_simple(&mut self, name: &Name, range: TextRange, kind: BindKind) {
        self.bind(
            name,
            range,
            Binding {
                kind,
                derived: false,
                function: None,
            },
        );
    }

    /// Whether events since `mark` read `name` directly: the value of an assignment reads
    /// the name it assigns.
    fn reads_since(&self, mark: usize, name: &Name) -> bool {
        // Inside a function, the reads are deferred: `global n; n = n + 1` reads the old `n`.
        let in_function = self.scopes.len() > 1;
        self.events[mark..].iter().any(|e| {
            &e.name == name
                && match &e.kind {
                    EventKind::Read(Read {
                        via: Via::Direct, ..
                    }) => true,
                    EventKind::Read(Read {
                        via: Via::Deferred { .. },
                        ..
                    }) => in_function,
                    _ => false,
                }
        })
    }

    /// Walks an assignment target after its value: binds names, records stores into
    /// attributes and subscripts as mutations of their root name.
    fn assign_target(&mut self, target: &Expr, kind: BindKind, mark: usize, value: Option<&Expr>) {
        match target {
            Expr::Name(ast::ExprName { id, range, .. }) => {
                let derived = self.reads_since(mark, id);
                self.bind(
                    id,
                    *range,
                    Binding {
                        kind,
                        derived,
                        function: None,
                    },
                );
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for elt in elts {
                    self.assign_target(elt, kind, mark, value);
                }
            }
            Expr::Starred(ast::ExprStarred { value: inner, .. }) => {
                self.assign_target(inner, kind, mark, value);
            }
            Expr::Subscript(ast::ExprSubscript {
                value: object,
                slice,
                ..
            }) if is_namespace_call(object) => {
                // `globals()["name"] = ...` binds a module name.
                self.visit_expr(slice);
                match slice.as_ref() {
                    Expr::StringLiteral(s) if self.immediate() => {
                        let name = Name::new(s.value.to_str());
                        self.bind_simple(&name, s.range, BindKind::Other);
                    }
                    _ => self.unknown.push((self.cell, target.range() + self.offset)),
                }
            }
            Expr::Attribute(_) | Expr::Subscript(_) => {
                let repeats = value.is_some_and(|value| contains_expr(value, target));
                self.store_into(target, repeats);
            }
            other => self.visit_expr(other),
        }
    }

    /// Walks a store into an attribute or item (`df["a"] = ...`, `x.n += 1`, `del d[k]`): the
    /// target's reads, then a mutation of its root name.
    fn store_into(&mut self, target: &Expr, repeats: bool) {
        self.visit_expr(target);
        let kind = if target.is_attribute_expr() {
            MutationKind::Attribute
        } else {
            MutationKind::Subscript
        };
        self.mutate(target, Mutation { kind, repeats });
    }

    /// Records a mutation of the root name of `target` (`df` in `df.loc[m, "a"]`), when that
    /// name is a module name and the code runs now.
    /// `xs.append(x)`, `df.drop(..., inplace=True)`: a call of a mutating method changes the
    /// value it is called on.
    fn method_mutation(&mut self, call: &ast::ExprCall) {
        let Expr::Attribute(ast::ExprAttribute { value, attr, .. }) = call.func.as_ref() else {
            return;
        };
        let inplace = call.arguments.keywords.iter().any(|k| {
            k.arg.as_ref().is_some_and(|a| a.as_str() == "inplace")
                && matches!(&k.value, Expr::BooleanLiteral(b) if b.value)
        });
        if let Some(repeats) = method_mutation(attr.as_str(), inplace) {
            let kind = MutationKind::Method(attr.to_string());
            self.mutate(value, Mutation { kind, repeats });
        }
    }

    fn mutate(&mut self, target: &Expr, mutation: Mutation) {
        let Some(root) = root_name(target) else {
            return;
        };
        if !matches!(self.resolve(&root.id), Resolution::Module) {
            return;
        }
        if self.immediate() {
            self.push(&root.id, root.range, EventKind::Mutate(mutation));
        } else if let (Some(id), 0) = (self.function, self.annotation) {
            // A module-level function changing a global: the change happens at its calls.
            let at = self.range(root.range);
            self.functions[id]
                .mutations
                .push((root.id.clone(), at, mutation));
        }
    }

    fn visit_function(&mut self, def: &ast::StmtFunctionDef) {
        for decorator in &def.decorator_list {
            self.visit_expr(&decorator.expression);
        }
        self.visit_defaults(&def.parameters);
        let top_level = self.scopes.len() == 1;
        // The `__init__` of a module-level class runs when the class is called.
        let class_init = self.scopes.len() == 2
            && self
                .scopes
                .last()
                .is_some_and(|s| s.kind == ScopeKind::Class)
            && def.name.id.as_str() == "__init__";
        let typed = self.push_type_params(def.type_params.as_deref());
        self.annotation += 1;
        for parameter in def.parameters.iter() {
            if let Some(annotation) = parameter.annotation() {
                self.visit_expr(annotation);
            }
        }
        if let Some(returns) = &def.returns {
            self.visit_expr(returns);
        }
        self.annotation -= 1;

        let id = (top_level || class_init).then(|| {
            self.functions.push(Function {
                name: if class_init {
                    self.class_name
                        .clone()
                        .unwrap_or_else(|| def.name.id.clone())
                } else {
                    def.name.id.clone()
                },
                cell: self.cell,
                range: def.name.range + self.offset,
                free: Vec::new(),
                writes: Vec::new(),
                mutations: Vec::new(),
            });
            self.functions.len() - 1
        });
        let outer = self.function;
        if id.is_some() {
            self.function = id;
        }
        if class_init {
            self.class_init = id;
        }
        let mut scope = Scope::new(ScopeKind::Function);
        collect_locals(&def.body, Some(&def.parameters), &mut scope);
        self.scopes.push(scope);
        self.visit_body(&def.body);
        self.scopes.pop();
        if typed {
            self.scopes.pop();
        }
        self.function = outer;

        self.bind(
            &def.name.id,
            def.name.range,
            Binding {
                kind: BindKind::Def,
                derived: false,
                function: id,
            },
        );
    }

    fn visit_defaults(&mut self, parameters: &Parameters) {
        for parameter in parameters.iter_non_variadic_params() {
            if let Some(default) = parameter.default() {
                self.visit_expr(default);
            }
        }
    }

    /// Walks a lambda; `bound_to` registers it as a function when it is the value of a
    /// module-level `name = lambda ...`.
    fn visit_lambda(
        &mut self,
        lambda: &ast::ExprLambda,
        bound_to: Option<&Name>,
    ) -> Option<FunctionId> {
        if let Some(parameters) = &lambda.parameters {
            self.visit_defaults(parameters);
        }
        let id = bound_to.map(|name| {
            self.functions.push(Function {
                name: name.clone(),
                cell: self.cell,
                range: lambda.range + self.offset,
                free: Vec::new(),
                writes: Vec::new(),
                mutations: Vec::new(),
            });
            self.functions.len() - 1
        });
        let outer = self.function;
        if id.is_some() {
            self.function = id;
        }
        let mut scope = Scope::new(ScopeKind::Lambda);
        if let Some(parameters) = &lambda.parameters {
            for parameter in parameters.iter() {
                scope.locals.insert(parameter.name().id.clone());
            }
        }
        self.scopes.push(scope);
        self.visit_expr(&lambda.body);
        self.scopes.pop();
        self.function = outer;
        id
    }

    fn visit_comprehension_expr(&mut self, generators: &[ast::Comprehension], elements: &[&Expr]) {
        let Some((first, rest)) = generators.split_first() else {
            return;
        };
        // The first iterable is evaluated in the enclosing scope.
        self.visit_expr(&first.iter);
        let mut scope = Scope::new(ScopeKind::Comprehension);
        for generator in generators {
            collect_target_names(&generator.target, &mut scope.locals);
        }
        self.scopes.push(scope);
        self.visit_expr(&first.target);
        for condition in &first.ifs {
            self.visit_expr(condition);
        }
        for generator in rest {
            self.visit_expr(&generator.iter);
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.scopes.pop();
    }

    fn visit_class(&mut self, class: &ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.visit_expr(&decorator.expression);
        }
        let typed = self.push_type_params(class.type_params.as_deref());
        if let Some(arguments) = &class.arguments {
            self.visit_arguments(arguments);
        }
        let outer_init = self.class_init.take();
        let outer_name = self.class_name.replace(class.name.id.clone());
        self.scopes.push(Scope::new(ScopeKind::Class));
        self.visit_body(&class.body);
        self.scopes.pop();
        if typed {
            self.scopes.pop();
        }
        // Calling the class runs its `__init__`: the class name holds that function.
        let init = std::mem::replace(&mut self.class_init, outer_init);
        self.class_name = outer_name;
        self.bind(
            &class.name.id,
            class.name.range,
            Binding {
                kind: BindKind::Class,
                derived: false,
                function: init,
            },
        );
    }

    /// PEP 695 type parameters (`def f[T](...)`, `class Box[U]`, `type Pair[K] = ...`) live in
    /// a scope of their own around the definition. Pushes it when there are any.
    fn push_type_params(&mut self, params: Option<&ast::TypeParams>) -> bool {
        let Some(params) = params.filter(|p| !p.type_params.is_empty()) else {
            return false;
        };
        let mut scope = Scope::new(ScopeKind::Function);
        for param in &params.type_params {
            let name = match param {
                ast::TypeParam::TypeVar(p) => &p.name,
                ast::TypeParam::ParamSpec(p) => &p.name,
                ast::TypeParam::TypeVarTuple(p) => &p.name,
            };
            scope.locals.insert(name.id.clone());
        }
        self.scopes.push(scope);
        true
    }

    fn visit_loop(&mut self, stmt: &Stmt, walk: impl FnOnce(&mut Self)) {
        let tracked = self.immediate();
        if tracked {
            let mut scope = Scope::new(ScopeKind::Function);
            collect_locals(std::slice::from_ref(stmt), None, &mut scope);
            self.loops.push(scope.locals);
        }
        walk(self);
        if tracked {
            self.loops.pop();
        }
    }

    fn visit_magic(&mut self, command: &ast::StmtIpyEscapeCommand) {
        let value: &str = &command.value;
        let mut words = value.split_whitespace();
        let Some(magic) = words.next() else {
            return;
        };
        let range = command.range;
        match (command.kind, magic) {
            (IpyEscapeKind::Magic, "run") => {
                // `%run [-i -e -t -N -d -p ...] file.py args`: the first word that is not an
                // option is the script. `-m module` runs a module nobody can read here.
                let mut script = None;
                let mut module = false;
                for word in words {
                    if word.starts_with('-') {
                        module |= word == "-m";
                        continue;
                    }
                    script = Some(word.trim_matches(['"', '\'']));
                    break;
                }
                let names = script
                    .filter(|_| !module)
                    .and_then(|script| (self.run_target)(script));
                match names {
                    Some(names) => {
                        for name in names {
                            self.bind_simple(&name, range, BindKind::Other);
                        }
                    }
                    None => self.unknown.push((self.cell, range + self.offset)),
                }
            }
            // `%pylab` is `from pylab import *` (which binds `np` and `plt` too).
            (IpyEscapeKind::Magic, "pylab") => match crate::exports::star_exports("pylab") {
                Some(exports) => {
                    for name in exports {
                        self.bind_simple(&Name::new(name), range, BindKind::Import);
                    }
                }
                None => self.unknown.push((self.cell, range + self.offset)),
            },
            (IpyEscapeKind::Magic, "store") => {
                let mut restore = false;
                let mut names = Vec::new();
                for word in words {
                    if word.starts_with('-') {
                        restore |= word.contains('r');
                    } else {
                        names.push(word);
                    }
                }
                if restore && names.is_empty() {
                    self.unknown.push((self.cell, range + self.offset));
                } else if restore {
                    for name in names.into_iter().filter(|n| is_identifier(n)) {
                        self.bind_simple(&Name::new(name), range, BindKind::Other);
                    }
                }
            }
            (IpyEscapeKind::Magic2, "capture") => {
                if let Some(name) = words
                    .find(|w| !w.starts_with('-'))
                    .filter(|n| is_identifier(n))
                {
                    self.bind_simple(&Name::new(name), range, BindKind::Other);
                }
            }
            (IpyEscapeKind::Magic, magic) if STATEMENT_MAGICS.contains(&magic) => {
                self.visit_magic_payload(command, magic);
            }
            _ => {}
        }
    }

    /// Walks the Python statement of `%time stmt` (and `%timeit`, `%prun`, `%debug`).
    fn visit_magic_payload(&mut self, command: &ast::StmtIpyEscapeCommand, magic: &str) {
        let value: &str = &command.value;
        // The value is the text after `%`; it maps back byte for byte only without line
        // continuations.
        if usize::from(command.range.len()) != value.len() + 1 {
            return;
        }
        let mut rest = value[magic.len()..].trim_start();
        while let Some(option) = rest
            .split_whitespace()
            .next()
            .filter(|w| w.starts_with('-'))
        {
            rest = rest[option.len()..].trim_start();
            if MAGIC_OPTIONS_WITH_VALUE.contains(&option) {
                let value_len = rest.split_whitespace().next().map_or(0, str::len);
                rest = rest[value_len..].trim_start();
            }
        }
        if rest.is_empty() {
            return;
        }
        let start = value.len() - rest.len() + 1;
        let Ok(parsed) = nblint_notebook::python::parse_cell(rest) else {
            return;
        };
        if !parsed.errors().is_empty() {
            return;
        }
        let saved = self.offset;
        self.offset = saved + command.range.start() + TextSize::try_from(start).unwrap_or_default();
        self.visit_body(&parsed.syntax().body);
        self.offset = saved;
    }
}

impl<'ast> Visitor<'ast> for Builder<'_> {
    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => self.visit_function(def),
            Stmt::ClassDef(class) => self.visit_class(class),
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                if let (Expr::Lambda(lambda), [Expr::Name(target)]) = (value.as_ref(), &targets[..])
                {
                    if self.scopes.len() == 1 {
                        let id = self.visit_lambda(lambda, Some(&target.id));
                        let binding = Binding {
                            kind: BindKind::Assign,
                            derived: false,
                            function: id,
                        };
                        self.bind(&target.id, target.range, binding);
                        return;
                    }
                }
                let mark = self.events.len();
                self.visit_expr(value);
                for target in targets {
                    self.assign_target(target, BindKind::Assign, mark, Some(value));
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                annotation,
                value,
                ..
            }) => {
                let mark = self.events.len();
                if let Some(value) = value {
                    self.visit_expr(value);
                }
                self.annotation += 1;
                self.visit_expr(annotation);
                self.annotation -= 1;
                if value.is_some() {
                    self.assign_target(target, BindKind::AnnAssign, mark, value.as_deref());
                } else if !target.is_name_expr() {
                    self.visit_expr(target);
                }
            }
            Stmt::AugAssign(ast::StmtAugAssign { target, value, .. }) => {
                self.visit_expr(value);
                match target.as_ref() {
                    Expr::Name(ast::ExprName { id, range, .. }) => {
                        self.read(id, *range);
                        let binding = Binding {
                            kind: BindKind::AugAssign,
                            derived: true,
                            function: None,
                        };
                        self.bind(id, *range, binding);
                    }
                    Expr::Attribute(_) | Expr::Subscript(_) => self.store_into(target, true),
                    other => self.visit_expr(other),
                }
            }
            Stmt::Delete(ast::StmtDelete { targets, .. }) => {
                for target in targets {
                    match target {
                        Expr::Name(ast::ExprName { id, range, .. }) => {
                            self.read(id, *range);
                            if matches!(self.scopes.last().map(|s| s.kind), Some(ScopeKind::Module))
                            {
                                self.push(id, *range, EventKind::Delete);
                            }
                        }
                        Expr::Attribute(_) | Expr::Subscript(_) => self.store_into(target, true),
                        other => self.visit_expr(other),
                    }
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
                self.visit_loop(stmt, |this| {
                    let mark = this.events.len();
                    this.assign_target(target, BindKind::For, mark, None);
                    this.visit_body(body);
                    this.visit_body(orelse);
                });
            }
            Stmt::While(ast::StmtWhile {
                test, body, orelse, ..
            }) => {
                self.visit_loop(stmt, |this| {
                    this.visit_expr(test);
                    this.visit_body(body);
                    this.visit_body(orelse);
                });
            }
            Stmt::With(ast::StmtWith { items, body, .. }) => {
                for item in items {
                    self.visit_expr(&item.context_expr);
                    if let Some(vars) = &item.optional_vars {
                        let mark = self.events.len();
                        self.assign_target(vars, BindKind::With, mark, None);
                    }
                }
                self.visit_body(body);
            }
            Stmt::Try(ast::StmtTry {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            }) => {
                let guards = handlers.iter().any(catches_name_error);
                self.guarded += u32::from(guards);
                self.visit_body(body);
                self.guarded -= u32::from(guards);
                for handler in handlers {
                    let ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(kind) = &handler.type_ {
                        self.visit_expr(kind);
                    }
                    if let Some(name) = &handler.name {
                        self.bind_simple(&name.id, name.range, BindKind::Except);
                    }
                    self.visit_body(&handler.body);
                    // Python deletes the `as` name when the handler ends.
                    if let Some(name) = &handler.name {
                        if matches!(self.scopes.last().map(|s| s.kind), Some(ScopeKind::Module)) {
                            self.push(&name.id, name.range, EventKind::Delete);
                        }
                    }
                }
                self.visit_body(orelse);
                self.visit_body(finalbody);
            }
            Stmt::Import(ast::StmtImport { names, .. }) => {
                for alias in names {
                    let (name, range) = import_binding(alias);
                    self.bind_simple(&name, range, BindKind::Import);
                }
            }
            Stmt::ImportFrom(ast::StmtImportFrom {
                names,
                module,
                level,
                ..
            }) => {
                for alias in names {
                    if alias.name.id.as_str() == "*" {
                        // A module whose star exports are known binds exactly those names.
                        let known = module
                            .as_ref()
                            .filter(|_| *level == 0)
                            .and_then(|m| crate::exports::star_exports(m.as_str()));
                        match known {
                            Some(exports) => {
                                for name in exports {
                                    self.bind_simple(
                                        &Name::new(name),
                                        alias.range,
                                        BindKind::Import,
                                    );
                                }
                            }
                            None => self.unknown.push((self.cell, alias.range + self.offset)),
                        }
                        continue;
                    }
                    let name = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind_simple(&name.id, name.range, BindKind::Import);
                }
            }
            Stmt::TypeAlias(ast::StmtTypeAlias {
                name,
                value,
                type_params,
                ..
            }) => {
                let typed = self.push_type_params(type_params.as_deref());
                self.annotation += 1;
                self.visit_expr(value);
                self.annotation -= 1;
                if typed {
                    self.scopes.pop();
                }
                if let Expr::Name(ast::ExprName { id, range, .. }) = name.as_ref() {
                    self.bind_simple(id, *range, BindKind::Other);
                }
            }
            Stmt::IpyEscapeCommand(command) => self.visit_magic(command),
            Stmt::Global(_) | Stmt::Nonlocal(_) => {}
            // `if "x" in globals():` reads `x` only when it exists; `if "x" not in globals():`
            // does in its `else`.
            Stmt::If(ast::StmtIf {
                test,
                body,
                elif_else_clauses,
                ..
            }) => {
                self.visit_expr(test);
                let (name, present) = match presence_test(test) {
                    Some((name, present)) => (Some(name), present),
                    None => (None, true),
                };
                let guard = |names: &mut Vec<Set<Name>>, on: bool| {
                    if let (Some(name), true) = (&name, on) {
                        names.push(Set::from_iter([Name::new(name)]));
                    }
                };
                guard(&mut self.loops, present);
                self.visit_body(body);
                if name.is_some() && present {
                    self.loops.pop();
                }
                guard(&mut self.loops, !present);
                for clause in elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.visit_expr(test);
                    }
                    self.visit_body(&clause.body);
                }
                if name.is_some() && !present {
                    self.loops.pop();
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Name(ast::ExprName { id, range, ctx, .. }) => match ctx {
                ExprContext::Load => self.read(id, *range),
                ExprContext::Store => self.bind_simple(id, *range, BindKind::Other),
                _ => {}
            },
            Expr::Lambda(lambda) => {
                self.visit_lambda(lambda, None);
            }
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | Expr::SetComp(ast::ExprSetComp {
                elt, generators, ..
            })
            | Expr::Generator(ast::ExprGenerator {
                elt, generators, ..
            }) => {
                self.visit_comprehension_expr(generators, &[elt]);
            }
            Expr::DictComp(ast::ExprDictComp {
                key,
                value,
                generators,
                ..
            }) => match key {
                Some(key) => self.visit_comprehension_expr(generators, &[key, value]),
                None => self.visit_comprehension_expr(generators, &[value]),
            },
            Expr::Named(ast::ExprNamed { target, value, .. }) => {
                self.visit_expr(value);
                if let Expr::Name(ast::ExprName { id, range, .. }) = target.as_ref() {
                    // A walrus in a comprehension binds in the enclosing scope.
                    let depth = self
                        .scopes
                        .iter()
                        .rposition(|s| s.kind != ScopeKind::Comprehension)
                        .unwrap_or(0);
                    let hidden = self.scopes.split_off(depth + 1);
                    let binding = Binding {
                        kind: BindKind::Walrus,
                        derived: false,
                        function: None,
                    };
                    self.bind(id, *range, binding);
                    self.scopes.extend(hidden);
                }
            }
            Expr::Call(call) => {
                visitor::walk_expr(self, expr);
                if !self.record_reads {
                    return;
                }
                // Inside a function, only the in-place changes of globals matter here: they
                // happen when the function is called.
                if !self.immediate() {
                    self.method_mutation(call);
                    return;
                }
                match call.func.as_ref() {
                    Expr::Name(ast::ExprName { id, range, .. }) => {
                        if id.as_str() == "exec" {
                            self.unknown.push((self.cell, call.range() + self.offset));
                        }
                        if matches!(self.resolve(id), Resolution::Module) {
                            let marker = Read {
                                via: Via::Call {
                                    function: CALL_MARKER,
                                    cell: self.cell,
                                    at: *range,
                                },
                                guarded: false,
                                status: ReadStatus::Bound,
                            };
                            self.push(id, *range, EventKind::Read(marker));
                        }
                    }
                    Expr::Attribute(ast::ExprAttribute { value, attr, .. }) => {
                        if is_namespace_call(value) && attr.as_str() == "update" {
                            self.unknown.push((self.cell, call.range() + self.offset));
                            return;
                        }
                        self.method_mutation(call);
                    }
                    _ => {}
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_pattern(&mut self, pattern: &'ast Pattern) {
        if let Some(name) = pattern_capture(pattern) {
            self.bind_simple(&name.id, name.range, BindKind::Other);
        }
        visitor::walk_pattern(self, pattern);
    }
}

/// `globals()`, `vars()` or `locals()` at module level: the namespace itself.
fn is_namespace_call(expr: &Expr) -> bool {
    matches!(expr, Expr::Call(call)
        if call.arguments.is_empty()
            && matches!(call.func.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "globals" | "vars" | "locals")))
}

/// `"x" in globals()` (or `locals()`, `vars()`, `dir()`): the name, and whether the test is
/// true when the name exists (`in`) or when it does not (`not in`).
fn presence_test(test: &Expr) -> Option<(String, bool)> {
    let Expr::Compare(compare) = test else {
        return None;
    };
    let ([op], [right], Expr::StringLiteral(name)) =
        (&*compare.ops, &*compare.comparators, compare.left.as_ref())
    else {
        return None;
    };
    let Expr::Call(call) = right else {
        return None;
    };
    let namespace = matches!(call.func.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "globals" | "locals" | "vars" | "dir"));
    if !namespace || !call.arguments.is_empty() {
        return None;
    }
    match op {
        ast::CmpOp::In => Some((name.value.to_str().to_string(), true)),
        ast::CmpOp::NotIn => Some((name.value.to_str().to_string(), false)),
        _ => None,
    }
}

fn catches_name_error(handler: &ExceptHandler) -> bool {
    let ExceptHandler::ExceptHandler(handler) = handler;
    let Some(kind) = &handler.type_ else {
        return true;
    };
    // `NameError` and the classes it derives from.
    let is_name_error = |e: &Expr| matches!(e, Expr::Name(n) if matches!(n.id.as_str(), "NameError" | "Exception" | "BaseException"));
    match kind.as_ref() {
        Expr::Tuple(tuple) => tuple.elts.iter().any(is_name_error),
        other => is_name_error(other),
    }
}

/// The name an attribute or subscript chain starts from: `df` in `df.loc[m, "a"].x`.
fn root_name(expr: &Expr) -> Option<&ast::ExprName> {
    match expr {
        Expr::Name(name) => Some(name),
        Expr::Attribute(ast::ExprAttribute { value, .. })
        | Expr::Subscript(ast::ExprSubscript { value, .. }) => root_name(value),
        _ => None,
    }
}

/// Whether `haystack` contains an expression equal to `needle`, ignoring positions and context.
fn contains_expr(haystack: &Expr, needle: &Expr) -> bool {
    struct Finder<'n> {
        needle: &'n Expr,
        comparable: ComparableExpr<'n>,
        found: bool,
    }
    impl<'a> Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.found {
                return;
            }
            // Equal expressions are of the same kind: only those are made comparable (which
            // copies the whole subtree).
            if std::mem::discriminant(expr) == std::mem::discriminant(self.needle)
                && ComparableExpr::from(expr) == self.comparable
            {
                self.found = true;
                return;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder {
        needle,
        comparable: ComparableExpr::from(needle),
        found: false,
    };
    finder.visit_expr(haystack);
    finder.found
}

/// The name an `import` alias binds: `np` for `import numpy as np`, `os` for `import os.path`.
fn import_binding(alias: &ast::Alias) -> (Name, TextRange) {
    match &alias.asname {
        Some(asname) => (asname.id.clone(), asname.range),
        None => {
            let first = alias.name.id.split('.').next().unwrap_or_default();
            (Name::new(first), alias.name.range)
        }
    }
}

/// The name a `match` pattern captures: `x` in `case [*x]`, `case {**x}`, `case _ as x`.
fn pattern_capture(pattern: &Pattern) -> Option<&ast::Identifier> {
    match pattern {
        Pattern::MatchAs(ast::PatternMatchAs { name, .. })
        | Pattern::MatchStar(ast::PatternMatchStar { name, .. }) => name.as_ref(),
        Pattern::MatchMapping(ast::PatternMatchMapping { rest, .. }) => rest.as_ref(),
        _ => None,
    }
}

fn collect_target_names(target: &Expr, names: &mut Set<Name>) {
    match target {
        Expr::Name(name) => {
            names.insert(name.id.clone());
        }
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            for elt in elts {
                collect_target_names(elt, names);
            }
        }
        Expr::Starred(ast::ExprStarred { value, .. }) => collect_target_names(value, names),
        _ => {}
    }
}

fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Python's rule for a function's locals: its parameters and every name bound anywhere in its
/// body (not in nested functions, classes or comprehensions), less those declared `global`.
/// `nonlocal` names are not module names either, so they count as locals here.
fn collect_locals(body: &[Stmt], parameters: Option<&Parameters>, scope: &mut Scope) {
    struct Collector<'s> {
        scope: &'s mut Scope,
    }
    impl<'a> Visitor<'a> for Collector<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(def) => {
                    self.scope.locals.insert(def.name.id.clone());
                }
                Stmt::ClassDef(class) => {
                    self.scope.locals.insert(class.name.id.clone());
                }
                Stmt::Global(global) => {
                    for name in &global.names {
                        self.scope.globals.insert(name.id.clone());
                    }
                }
                Stmt::Nonlocal(nonlocal) => {
                    for name in &nonlocal.names {
                        self.scope.locals.insert(name.id.clone());
                    }
                }
                Stmt::Import(import) => {
                    for alias in &import.names {
                        self.scope.locals.insert(import_binding(alias).0);
                    }
                }
                Stmt::ImportFrom(import) => {
                    for alias in &import.names {
                        let name = alias.asname.as_ref().unwrap_or(&alias.name);
                        self.scope.locals.insert(name.id.clone());
                    }
                }
                Stmt::AnnAssign(ast::StmtAnnAssign { target, .. }) => {
                    collect_target_names(target, &mut self.scope.locals);
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) if !matches!(name.ctx, ExprContext::Load) => {
                    self.scope.locals.insert(name.id.clone());
                }
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
        fn visit_comprehension(&mut self, comprehension: &'a ast::Comprehension) {
            // Comprehension targets are the comprehension's own; walrus targets inside are ours.
            self.visit_expr(&comprehension.iter);
            for condition in &comprehension.ifs {
                self.visit_expr(condition);
            }
        }
        fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
            let ExceptHandler::ExceptHandler(inner) = handler;
            if let Some(name) = &inner.name {
                self.scope.locals.insert(name.id.clone());
            }
            visitor::walk_except_handler(self, handler);
        }
        fn visit_pattern(&mut self, pattern: &'a Pattern) {
            if let Some(name) = pattern_capture(pattern) {
                self.scope.locals.insert(name.id.clone());
            }
            visitor::walk_pattern(self, pattern);
        }
    }
    if let Some(parameters) = parameters {
        for parameter in parameters.iter() {
            scope.locals.insert(parameter.name().id.clone());
        }
    }
    let mut collector = Collector { scope };
    collector.visit_body(body);
    for name in collector.scope.globals.clone() {
        collector.scope.locals.remove(&name);
    }
}

/// The names a non-Python cell magic stores its result in: `%%bigquery df`, `%%sql rows <<`,
/// `%%bq query --name q`, `%%R -o fit`, `%%capture out`.
fn cell_magic_bindings(source: &str) -> Vec<Event> {
    let (magic, marker) = match nblint_notebook::python::cell_magic(source) {
        Some(magic) => (magic, "%%"),
        None => match nblint_notebook::python::one_percent_cell_magic(source) {
            Some(magic) => (magic, "%"),
            None => return Vec::new(),
        },
    };
    let line_start = source.find(marker).unwrap_or(0);
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |i| line_start + i);
    let line = &source[line_start..line_end];
    // Each word with its byte offset in the cell.
    let words: Vec<(usize, &str)> = line
        .split_whitespace()
        .skip(1)
        .map(|w| (w.as_ptr() as usize - source.as_ptr() as usize, w))
        .collect();
    let mut names: Vec<(usize, &str)> = Vec::new();
    match magic {
        "capture" => names.extend(words.first().filter(|(_, w)| !w.starts_with('-'))),
        // `%%bigquery [--project P] df`: the destination is the first word that is neither an
        // option nor an option's value.
        "bigquery" => {
            const FLAGS: &[&str] = &[
                "--dry_run",
                "--use_legacy_sql",
                "--use_bqstorage_api",
                "--use_rest_api",
                "--verbose",
                "--no_query_cache",
            ];
            let mut rest = words.iter();
            while let Some(word) = rest.next() {
                if !word.1.starts_with('-') {
                    names.push(*word);
                    break;
                }
                if !word.1.contains('=') && !FLAGS.contains(&word.1) {
                    rest.next();
                }
            }
        }
        "sql" | "bq" => {
            // ipython-sql's `%%sql rows <<`; Datalab's `%%sql --module q`, `%%bq query -n q`.
            if let [first, (_, "<<"), ..] = words.as_slice() {
                names.push(*first);
            }
            names.extend(
                words
                    .windows(2)
                    .filter(|w| matches!(w[0].1, "-n" | "--name" | "-m" | "--module"))
                    .map(|w| w[1]),
            );
        }
        // Apache Beam's `%%beam_sql -o NAME QUERY`: without `-o` the result's name is made up.
        "beam_sql" => {
            names.extend(
                words
                    .windows(2)
                    .filter(|w| matches!(w[0].1, "-o" | "--output-name"))
                    .map(|w| w[1]),
            );
            names.extend(words.iter().filter_map(|&(offset, word)| {
                let name = word.strip_prefix("--output-name=")?;
                Some((offset + "--output-name=".len(), name))
            }));
        }
        "R" => {
            for pair in words.windows(2) {
                if matches!(pair[0].1, "-o" | "--output") {
                    let (start, list) = pair[1];
                    let mut offset = start;
                    for part in list.split(',') {
                        names.push((offset, part));
                        offset += part.len() + 1;
                    }
                }
            }
        }
        _ => {}
    }
    let mut events: Vec<Event> = names
        .into_iter()
        .filter(|(_, name)| is_identifier(name))
        .map(|(offset, name)| {
            let start = TextSize::try_from(offset).unwrap_or_default();
            Event {
                name: Name::new(name),
                range: TextRange::at(start, name.text_len()),
                kind: EventKind::Bind(Binding {
                    kind: BindKind::Other,
                    derived: false,
                    function: None,
                }),
            }
        })
        .collect();
    // A cell magic whose body starts with another one (`%%with_globals` then `%%bigquery df`)
    // runs that one too: its bindings count.
    let body_start = (line_end + 1).min(source.len());
    let body = &source[body_start..];
    if marker == "%%" && body.trim_start().starts_with("%%") {
        let shift = TextSize::try_from(body_start).unwrap_or_default();
        events.extend(cell_magic_bindings(body).into_iter().map(|mut event| {
            event.range += shift;
            event
        }));
    }
    events
}

/// Bindings read off the lines of a cell that does not parse, where error recovery may have
/// lost them: `name = ...`, `a, b = ...`, `def name`, `class name`, `import` and `for` lines.
fn lexical_bindings(source: &str) -> Vec<Event> {
    let mut events = Vec::new();
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        let mut names: Vec<&str> = Vec::new();
        if let Some(rest) = text
            .strip_prefix("def ")
            .or_else(|| text.strip_prefix("class "))
        {
            names.extend(rest.split(['(', ':']).next().map(str::trim));
        } else if let Some(rest) = text.strip_prefix("import ") {
            for part in rest.split(',') {
                let part = part.trim();
                let name = match part.split_once(" as ") {
                    Some((_, alias)) => alias.trim(),
                    None => part.split('.').next().unwrap_or_default(),
                };
                names.push(name);
            }
        } else if let (true, Some((_, imported))) =
            (text.starts_with("from "), text.split_once(" import "))
        {
            for part in imported.trim_matches(['(', ')', ' ']).split(',') {
                let part = part.trim();
                names.push(
                    part.split_once(" as ")
                        .map_or(part, |(_, alias)| alias.trim()),
                );
            }
        } else if let Some(rest) = text.strip_prefix("for ") {
            if let Some((targets, _)) = rest.split_once(" in ") {
                names.extend(targets.split(',').map(|t| t.trim_matches(['(', ')', ' '])));
            }
        } else if let Some(eq) = text.find('=') {
            let (targets, after) = text.split_at(eq);
            let comparison = after.starts_with("==") || targets.ends_with(['!', '<', '>', '=']);
            if !comparison {
                names.extend(targets.split(',').map(|t| t.trim_matches(['(', ')', ' '])));
            }
        }
        for name in names.into_iter().filter(|n| is_identifier(n)) {
            let offset = line_start + indent + text.find(name).unwrap_or(0);
            events.push(Event {
                name: Name::new(name),
                range: TextRange::at(
                    TextSize::try_from(offset).unwrap_or_default(),
                    name.text_len(),
                ),
                kind: EventKind::Bind(Binding {
                    kind: BindKind::Other,
                    derived: false,
                    function: None,
                }),
            });
        }
        line_start += line.len();
    }
    events
}
