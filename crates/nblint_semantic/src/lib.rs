//! The cross-cell semantic index: what each code cell does to the notebook's global namespace,
//! in the order it does it. Built once per notebook, on first use, and shared by every rule.
//!
//! For each code cell the index holds a list of [`Event`]s in execution order: module-level
//! names the cell reads, binds, deletes and mutates. Scopes are Python's: function locals,
//! comprehension variables and class attributes are not module names. Names read inside a
//! function are *deferred*: they are looked up when the function runs. When a cell calls a
//! function at module level, the function's free names (and those of the functions it calls)
//! become reads of the calling cell, at the call. A function never called at module level
//! keeps its reads deferred, and only [`ReadStatus::Undefined`] is meaningful for them.
//!
//! Cells with a syntax error contribute the bindings of their recovered parse, so a name they
//! define is not reported as undefined elsewhere; their reads are not recorded.
//!
//! This crate depends on the parser crate only: it knows no rule, no configuration and no
//! output format, and it never reports anything itself.

mod builder;
pub mod exports;
pub mod imports;
pub mod io;
pub mod names;
#[cfg(test)]
mod tests;

pub use imports::{Import, ImportId, ImportKind, Imports, Placement};

use nblint_notebook::{Notebook, ParsedCell};
use ruff_python_ast::name::Name;
use ruff_text_size::TextRange;

/// Hash maps and sets of the index and of the rules, keyed mostly by names: foldhash, seeded
/// at random once per process, faster than aHash without its hardware path and several times
/// faster than std's SipHash on short keys, and like them not open to collisions crafted
/// ahead of time by a hostile notebook.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// An index into [`SemanticIndex::functions`].
pub type FunctionId = usize;

/// The cross-cell semantic index of one notebook.
#[derive(Debug, Default)]
pub struct SemanticIndex {
    /// One entry per notebook cell, markdown and raw cells included (with no events).
    pub cells: Vec<CellIndex>,
    /// Functions (and lambdas bound to a name) defined at module level.
    pub functions: Vec<Function>,
    /// Places that bind names nobody can list: `from x import *`, `%run`, `%pylab`,
    /// `globals().update(...)`, `exec(...)`. When there is one, no name is provably undefined.
    pub unknown_bindings: Vec<(usize, TextRange)>,
    /// The kernel is Python 2: its builtins (`xrange`, `unicode`) are known names.
    pub python2: bool,
    /// The `global` assignments and in-place changes each module-level call performs, in
    /// document order (by cell, then by the call's start).
    pub call_writes: Vec<CallWrite>,
    /// Every name some import binds, for [`SemanticIndex::is_imported`].
    imported: Set<Name>,
    /// Every name some cell binds at module level, for [`SemanticIndex::binds`].
    bound: Set<Name>,
}

/// How much of a cell the index could read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Analysis {
    /// Not a Python code cell: markdown, raw, empty, `%%bash`.
    #[default]
    None,
    /// A Python cell that parsed: every event is recorded.
    Full,
    /// A Python cell with a syntax error: only bindings and deletions of its recovered parse.
    BindingsOnly,
}

/// What one code cell does, in execution order.
#[derive(Debug, Default)]
pub struct CellIndex {
    pub analysis: Analysis,
    pub events: Vec<Event>,
}

/// One thing a cell does to one module-level name.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: Name,
    /// Where, in the cell's source: the name itself, or the call that reads it.
    pub range: TextRange,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Read(Read),
    Bind(Binding),
    Delete,
    Mutate(Mutation),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub via: Via,
    /// The read cannot fail on its own: it sits in a `try` that catches `NameError`, or in a
    /// loop that binds the name further down.
    pub guarded: bool,
    /// Whether the name is bound when the read runs in a top-to-bottom run.
    pub status: ReadStatus,
}

/// How a read reaches the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Module-level code of this cell reads it.
    Direct,
    /// A function called here reads it; `at` is the read inside the function.
    Call {
        function: FunctionId,
        cell: usize,
        at: TextRange,
    },
    /// Code that runs later reads it: a function or lambda body, an annotation.
    /// `function` is the module-level function it belongs to, if any.
    Deferred { function: Option<FunctionId> },
}

/// Whether a read finds its name in a top-to-bottom run of the notebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// Bound earlier (or a builtin, an IPython global, or guarded).
    Bound,
    /// Not bound yet, but bound later: at `range` in cell `cell` (possibly this cell).
    BoundLater { cell: usize, range: TextRange },
    /// Bound earlier, then deleted at `range` in cell `cell`, and not bound again.
    Deleted { cell: usize, range: TextRange },
    /// Bound by no cell, and not a builtin or an IPython global.
    Undefined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub kind: BindKind,
    /// The new value is computed from the old one: `df = df.dropna()`, `x += 1`.
    pub derived: bool,
    /// The function this binding defines, for `def` and `f = lambda: ...`.
    pub function: Option<FunctionId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    Assign,
    AugAssign,
    AnnAssign,
    For,
    With,
    Except,
    Walrus,
    Import,
    Def,
    Class,
    /// An assignment to a name declared `global` inside a function.
    Global,
    /// A `match` capture, `type` alias, or a magic such as `%%capture out`, `%store -r x`.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    pub kind: MutationKind,
    /// A second run of the statement changes the value again: `xs.append(1)`,
    /// `df["a"] = df["a"] * 2`, `d["n"] += 1`.
    pub repeats: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutationKind {
    /// `x.attr = ...`, `del x.attr`.
    Attribute,
    /// `x[k] = ...`, `x[k] += ...`, `del x[k]`.
    Subscript,
    /// `x.append(...)`, `df.drop(..., inplace=True)`: the method's name.
    Method(String),
}

/// A module-level function, or a lambda bound to a module-level name.
#[derive(Debug)]
pub struct Function {
    pub name: Name,
    pub cell: usize,
    /// The function's name in its `def`, or the lambda.
    pub range: TextRange,
    /// Module-level names its body reads (nested functions included), first read of each.
    pub free: Vec<(Name, TextRange)>,
    /// Module-level names its body binds through `global`: the name, where, and whether the
    /// new value is computed from the old one.
    pub writes: Vec<(Name, TextRange, bool)>,
    /// Module-level values its body changes in place (`results.append(x)`, `config["k"] = v`).
    pub mutations: Vec<(Name, TextRange, Mutation)>,
}

/// A `global` assignment or an in-place change a call performs: at `call` in `cell`, `name`
/// is bound or changed by the statement at `at` in cell `at_cell` (inside the called function).
#[derive(Debug, Clone)]
pub struct CallWrite {
    pub cell: usize,
    pub call: TextRange,
    pub name: Name,
    pub at_cell: usize,
    pub at: TextRange,
}

impl SemanticIndex {
    /// Builds the index of a notebook from its parsed cells. `%run` targets are unknown.
    pub fn build(notebook: &Notebook, cells: &[ParsedCell]) -> SemanticIndex {
        SemanticIndex::build_with(notebook, cells, &|_| None)
    }

    /// Builds the index with a way to read `%run` targets: `run_target("helpers.py")` gives the
    /// module-level names the script binds, or `None` when it cannot be read (then the `%run`
    /// may bind anything, as before).
    pub fn build_with(
        notebook: &Notebook,
        cells: &[ParsedCell],
        run_target: &dyn Fn(&str) -> Option<Vec<Name>>,
    ) -> SemanticIndex {
        let mut index = builder::build(notebook, cells, run_target);
        index.python2 = is_python2(notebook);
        let bound_before_calls = index.resolve();
        index.call_writes.sort_by_key(|w| (w.cell, w.call.start()));
        index.imported = index
            .all_events()
            .filter(|(_, e)| {
                matches!(
                    e.kind,
                    EventKind::Bind(Binding {
                        kind: BindKind::Import,
                        ..
                    })
                )
            })
            .map(|(_, e)| e.name.clone())
            .collect();
        // Calls change which names are bound only where a function binds globals at calls.
        index.bound = bound_before_calls.unwrap_or_else(|| {
            index
                .all_events()
                .filter(|(_, e)| matches!(e.kind, EventKind::Bind(_)))
                .map(|(_, e)| e.name.clone())
                .collect()
        });
        index
    }

    /// The events of one cell (none for cells that are not Python).
    pub fn events(&self, cell: usize) -> &[Event] {
        self.cells.get(cell).map_or(&[], |c| c.events.as_slice())
    }

    /// Every event of the notebook in document order, with its cell.
    pub fn all_events(&self) -> impl Iterator<Item = (usize, &Event)> {
        self.cells
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.events.iter().map(move |e| (i, e)))
    }

    /// Whether some cell binds names the index cannot list (`from x import *`, `%run`).
    pub fn has_unknown_bindings(&self) -> bool {
        !self.unknown_bindings.is_empty()
    }

    /// Whether the name is always available: a builtin, an IPython global or history variable.
    pub fn is_known_global(&self, name: &str) -> bool {
        names::is_known_global(name, self.python2)
    }

    /// Every module-level name some cell binds, when the index knows them all (no star import
    /// of an unknown module, no unreadable `%run`): what `%run` of this notebook binds.
    pub fn module_names(&self) -> Option<Vec<Name>> {
        if self.has_unknown_bindings() {
            return None;
        }
        let mut names: Vec<Name> = self
            .all_events()
            .filter(|(_, e)| matches!(e.kind, EventKind::Bind(_)))
            .map(|(_, e)| e.name.clone())
            .collect();
        names.sort();
        names.dedup();
        Some(names)
    }

    /// Whether any cell binds the name at module level, by any kind of binding.
    pub fn binds(&self, name: &str) -> bool {
        self.bound.contains(name)
    }

    /// Whether any cell binds the name with an import.
    pub fn is_imported(&self, name: &str) -> bool {
        self.imported.contains(name)
    }

    /// Expands calls into reads of the called functions' free names and sets every read's
    /// status by simulating a top-to-bottom run. Returns the names bound anywhere when
    /// expanding calls left them as they were (no function binds globals at its calls).
    fn resolve(&mut self) -> Option<Set<Name>> {
        let bound_anywhere: Set<Name> = self
            .all_events()
            .filter(|(_, e)| matches!(e.kind, EventKind::Bind(_)))
            .map(|(_, e)| e.name.clone())
            .collect();

        // A function that binds globals and is only ever called (never passed around as a
        // value) binds them where it is called, not where it is defined; one never called binds
        // nothing. One that is passed around (a callback) keeps them where it is defined: when
        // it runs is unknown.
        let mut referenced = vec![false; self.functions.len()];
        let names: Map<&Name, Vec<FunctionId>> =
            self.functions
                .iter()
                .enumerate()
                .fold(Map::default(), |mut map, (id, f)| {
                    map.entry(&f.name).or_default().push(id);
                    map
                });
        let is_marker = |e: &Event| matches!(&e.kind, EventKind::Read(r) if matches!(r.via, Via::Call { function, .. } if function == builder::CALL_MARKER));
        // A call reads the callee's name too, at the marker's range: that read is the call.
        // Without functions, nothing is referenced.
        let calls: Set<(usize, TextRange, &Name)> = self
            .all_events()
            .filter(|_| !names.is_empty())
            .filter(|(_, e)| is_marker(e))
            .map(|(cell, e)| (cell, e.range, &e.name))
            .collect();
        for (cell, event) in self.all_events().filter(|_| !names.is_empty()) {
            if let EventKind::Read(_) = &event.kind {
                if !is_marker(event) && !calls.contains(&(cell, event.range, &event.name)) {
                    for &id in names.get(&event.name).into_iter().flatten() {
                        referenced[id] = true;
                    }
                }
            }
        }
        let at_calls: Vec<bool> = self
            .functions
            .iter()
            .zip(&referenced)
            .map(|(f, referenced)| (!f.writes.is_empty() || !f.mutations.is_empty()) && !referenced)
            .collect();

        // The definition-time bindings of globals that calls perform instead.
        let performed_by_calls: Set<(usize, &Name, TextRange)> = self
            .functions
            .iter()
            .zip(&at_calls)
            .filter(|(_, at_calls)| **at_calls)
            .flat_map(|(f, _)| f.writes.iter().map(move |(n, r, _)| (f.cell, n, *r)))
            .collect();

        // Pass 1: expand calls, tracking which function each name holds at each point.
        let mut holds: Map<Name, FunctionId> = Map::default();
        let mut call_writes = Vec::new();
        for cell in 0..self.cells.len() {
            let events = std::mem::take(&mut self.cells[cell].events);
            let mut out = Vec::with_capacity(events.len());
            for event in events {
                match &event.kind {
                    // The definition-time binding of a global that calls perform instead.
                    EventKind::Bind(Binding {
                        kind: BindKind::Global,
                        ..
                    }) if performed_by_calls.contains(&(cell, &event.name, event.range)) => {
                        continue;
                    }
                    EventKind::Bind(binding) => match binding.function {
                        Some(id) => {
                            holds.insert(event.name.clone(), id);
                        }
                        None => {
                            if !holds.is_empty() {
                                holds.remove(&event.name);
                            }
                        }
                    },
                    EventKind::Delete if !holds.is_empty() => {
                        holds.remove(&event.name);
                    }
                    EventKind::Read(Read {
                        via: Via::Call { function, .. },
                        ..
                    }) if *function == builder::CALL_MARKER => {
                        if let Some(&id) = holds.get(&event.name).filter(|_| !holds.is_empty()) {
                            self.expand_call(id, event.range, &holds, &mut out);
                            self.expand_writes(
                                id,
                                cell,
                                event.range,
                                &holds,
                                &at_calls,
                                &mut out,
                                &mut call_writes,
                            );
                        }
                        continue;
                    }
                    _ => {}
                }
                out.push(event);
            }
            self.cells[cell].events = out;
        }
        self.call_writes = call_writes;

        // Pass 2: a top-to-bottom run.
        #[derive(Clone, Copy)]
        enum State {
            Bound,
            Deleted(usize, TextRange),
        }
        let mut state: Map<Name, State> =
            Map::with_capacity_and_hasher(bound_anywhere.len(), Default::default());
        let mut pending: Vec<(usize, usize)> = Vec::new();
        for cell in 0..self.cells.len() {
            for i in 0..self.cells[cell].events.len() {
                let event = &self.cells[cell].events[i];
                let name = event.name.clone();
                match &event.kind {
                    EventKind::Bind(_) => {
                        state.insert(name, State::Bound);
                    }
                    EventKind::Delete => {
                        state.insert(name, State::Deleted(cell, event.range));
                    }
                    EventKind::Mutate(_) => {}
                    EventKind::Read(read) => {
                        let status = if matches!(read.via, Via::Deferred { .. }) {
                            if bound_anywhere.contains(&name) || self.is_known_global(&name) {
                                ReadStatus::Bound
                            } else {
                                ReadStatus::Undefined
                            }
                        } else if read.guarded || self.is_known_global(&name) {
                            ReadStatus::Bound
                        } else {
                            match state.get(&name) {
                                Some(State::Bound) => ReadStatus::Bound,
                                Some(State::Deleted(c, r)) => ReadStatus::Deleted {
                                    cell: *c,
                                    range: *r,
                                },
                                None if bound_anywhere.contains(&name) => {
                                    pending.push((cell, i));
                                    ReadStatus::Bound
                                }
                                None => ReadStatus::Undefined,
                            }
                        };
                        if let EventKind::Read(read) = &mut self.cells[cell].events[i].kind {
                            read.status = status;
                        }
                    }
                }
            }
        }
        // A read before any binding: find the first binding after it. An augmented assignment
        // (`counter += 1`) needs the name bound already, so it binds nothing from scratch: a
        // name only such statements bind is undefined, not bound later.
        // The bindings of the names read early, in order, found in one pass: a forward search
        // from each read would be quadratic in a notebook of many early reads.
        let mut later_binds: Map<Name, Vec<(usize, usize, TextRange)>> = pending
            .iter()
            .map(|&(cell, i)| (self.cells[cell].events[i].name.clone(), Vec::new()))
            .collect();
        if !later_binds.is_empty() {
            for (cell, events) in self.cells.iter().enumerate() {
                for (i, e) in events.events.iter().enumerate() {
                    if matches!(&e.kind, EventKind::Bind(b) if b.kind != BindKind::AugAssign) {
                        if let Some(binds) = later_binds.get_mut(&e.name) {
                            binds.push((cell, i, e.range));
                        }
                    }
                }
            }
        }
        for (cell, i) in pending {
            let later = later_binds
                .get(&self.cells[cell].events[i].name)
                .and_then(|binds| {
                    let after = binds.partition_point(|&(c, j, _)| (c, j) <= (cell, i));
                    binds.get(after)
                })
                .map(|&(c, _, range)| (c, range));
            let status = match later {
                Some((cell, range)) => ReadStatus::BoundLater { cell, range },
                None => ReadStatus::Undefined,
            };
            if let EventKind::Read(read) = &mut self.cells[cell].events[i].kind {
                read.status = status;
            }
        }
        (!at_calls.contains(&true)).then_some(bound_anywhere)
    }

    /// The `global` bindings a call of `id` at `range` in `cell` performs: those of the
    /// function and of the functions it calls, when they bind at calls.
    #[allow(clippy::too_many_arguments)]
    fn expand_writes(
        &self,
        id: FunctionId,
        cell: usize,
        range: TextRange,
        holds: &Map<Name, FunctionId>,
        at_calls: &[bool],
        out: &mut Vec<Event>,
        call_writes: &mut Vec<CallWrite>,
    ) {
        let mut seen = vec![id];
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            let function = &self.functions[current];
            if at_calls[current] {
                let writes = function.writes.iter().map(|(name, at, derived)| {
                    let binding = Binding {
                        kind: BindKind::Global,
                        derived: *derived,
                        function: None,
                    };
                    (name, at, EventKind::Bind(binding))
                });
                let mutations = function
                    .mutations
                    .iter()
                    .map(|(name, at, mutation)| (name, at, EventKind::Mutate(mutation.clone())));
                for (name, at, kind) in writes.chain(mutations) {
                    out.push(Event {
                        name: name.clone(),
                        range,
                        kind,
                    });
                    call_writes.push(CallWrite {
                        cell,
                        call: range,
                        name: name.clone(),
                        at_cell: function.cell,
                        at: *at,
                    });
                }
            }
            for (name, _) in &function.free {
                if let Some(&callee) = holds.get(name) {
                    if !seen.contains(&callee) {
                        seen.push(callee);
                        stack.push(callee);
                    }
                }
            }
        }
    }

    /// Where the `global` assignment a call performs is written: for a binding of `name` by
    /// the call at `call` in `cell`, the cell and range of the statement inside the function.
    pub fn call_write(
        &self,
        cell: usize,
        call: TextRange,
        name: &str,
    ) -> Option<(usize, TextRange)> {
        let from = self
            .call_writes
            .partition_point(|w| (w.cell, w.call.start()) < (cell, call.start()));
        self.call_writes[from..]
            .iter()
            .take_while(|w| w.cell == cell && w.call.start() == call.start())
            .find(|w| w.call == call && w.name.as_str() == name)
            .map(|w| (w.at_cell, w.at))
    }

    /// The reads a call of `id` at `range` makes: the function's free names, and those of the
    /// functions they name, each once.
    fn expand_call(
        &self,
        id: FunctionId,
        range: TextRange,
        holds: &Map<Name, FunctionId>,
        out: &mut Vec<Event>,
    ) {
        const MAX_READS: usize = 500;
        let mut seen_functions = vec![id];
        let mut seen_names: Vec<&Name> = Vec::new();
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            let function = &self.functions[current];
            for (name, at) in &function.free {
                if seen_names.contains(&name) || seen_names.len() >= MAX_READS {
                    continue;
                }
                seen_names.push(name);
                out.push(Event {
                    name: name.clone(),
                    range,
                    kind: EventKind::Read(Read {
                        via: Via::Call {
                            function: current,
                            cell: function.cell,
                            at: *at,
                        },
                        guarded: false,
                        status: ReadStatus::Bound,
                    }),
                });
                if let Some(&callee) = holds.get(name) {
                    if !seen_functions.contains(&callee) {
                        seen_functions.push(callee);
                        stack.push(callee);
                    }
                }
            }
        }
    }
}

fn is_python2(notebook: &Notebook) -> bool {
    notebook.python_major == Some(2)
}
