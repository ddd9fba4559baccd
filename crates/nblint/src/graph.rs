//! `nblint graph`: a notebook's hidden dataflow as a picture. Code cells are nodes, grouped into
//! stages by the markdown headings above them; an edge says that a cell reads names another
//! binds, in the order a restart-and-run-all binds them. What is wrong is marked: reads that run
//! backwards, names bound nowhere, cells that change a name other cells read, cells never run,
//! cells run out of order, and cells nobody depends on. Files the notebook reads and writes
//! (a literal path passed to a known I/O call, the table NB303 uses) are nodes of their own.
//! Imports are one node unless asked for; `--findings` keeps only the cells with findings.
//!
//! Everything comes from the cross-cell semantic index; nothing runs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use nblint_engine::ruff_python_ast::visitor::{self, Visitor};
use nblint_engine::ruff_python_ast::{Expr, Stmt};
use nblint_engine::semantic::io::{self, Direction};
use nblint_engine::semantic::{
    Analysis, BindKind, Binding, EventKind, Imports, ReadStatus, SemanticIndex, Via,
};
use nblint_notebook::{parse_cell, CellKind, Notebook, ParsedCell};
use serde_json::json;

/// How many names an edge or a node label lists before "and N more".
const NAMES_SHOWN: usize = 3;

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Imports as ordinary bindings: a node per import cell, an edge to every cell that uses a
    /// module. Without it, cells of imports only are one `imports` node and reads of imported
    /// names draw no edge.
    pub imports: bool,
    /// The codes of the findings of each cell (1-based): only those cells are drawn, with the
    /// edges, files and unbound names between them, and their codes in their labels.
    pub findings: Option<BTreeMap<usize, BTreeSet<String>>>,
}

#[derive(Debug, Default)]
pub struct Graph {
    pub stages: Vec<Stage>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Names read and bound by no cell: kernel-only state.
    pub undefined: Vec<Undefined>,
    /// Files read or written with a literal path, in order of first use.
    pub files: Vec<File>,
    /// The imports, collapsed into one node (unless `Options::imports`).
    pub imports: Option<ImportsNode>,
}

#[derive(Debug)]
pub struct File {
    pub path: String,
    /// Cells (1-based) that read it, and that write it.
    pub read_by: Vec<usize>,
    pub written_by: Vec<usize>,
}

#[derive(Debug)]
pub struct ImportsNode {
    /// The cells (1-based) that hold imports only.
    pub cells: Vec<usize>,
    /// The names imports bind, as the notebook's code uses them (`np`, `pd`).
    pub names: Vec<String>,
}

#[derive(Debug)]
pub struct Stage {
    pub title: String,
    /// Indexes into `Graph::nodes`.
    pub nodes: Vec<usize>,
}

#[derive(Debug)]
pub struct Node {
    /// 1-based over all cells, as everywhere a user looks.
    pub cell: usize,
    pub binds: Vec<String>,
    pub first_line: String,
    pub marks: BTreeSet<Mark>,
    /// The codes of the cell's findings (with `--findings`).
    pub findings: Vec<String>,
}

#[derive(Debug)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub names: Vec<String>,
    /// The read runs before the binding in a restart-and-run-all: use before definition.
    pub backwards: bool,
}

#[derive(Debug)]
pub struct Undefined {
    pub name: String,
    /// Cells (1-based) that read it.
    pub readers: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// Never run: no execution count, in a notebook that has some.
    NeverRun,
    /// Its saved execution count is lower than one of a cell above it.
    OutOfOrder,
    /// Changes in place a name that another cell reads.
    MutatesShared,
    /// Nobody reads what it binds, and it binds or writes nothing read later: exploration.
    Unused,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::NeverRun => "never-run",
            Mark::OutOfOrder => "out-of-order",
            Mark::MutatesShared => "mutates-shared",
            Mark::Unused => "unused",
        }
    }

    fn legend(self) -> &'static str {
        match self {
            Mark::NeverRun => "never run (no execution count)",
            Mark::OutOfOrder => "saved execution order disagrees with document order",
            Mark::MutatesShared => "changes in place a name other cells read",
            Mark::Unused => "nobody depends on it: exploration, a candidate to drop",
        }
    }
}

/// Builds the graph of one notebook.
pub fn build(notebook: &Notebook, options: &Options) -> Graph {
    let cells: Vec<ParsedCell> = notebook.cells.iter().map(parse_cell).collect();
    let semantic = SemanticIndex::build(notebook, &cells);
    let imports = Imports::build(notebook, &cells);
    let mut graph = Graph::default();
    // Names that only imports bind, and cells that only import.
    let mut bound_otherwise: BTreeSet<String> = BTreeSet::new();
    let mut imported: BTreeSet<String> = BTreeSet::new();
    for (_, event) in semantic.all_events() {
        match &event.kind {
            EventKind::Bind(Binding {
                kind: BindKind::Import,
                ..
            }) => {
                imported.insert(event.name.to_string());
            }
            EventKind::Bind(_) => {
                bound_otherwise.insert(event.name.to_string());
            }
            _ => {}
        }
    }
    let collapse = !options.imports;
    let import_names: BTreeSet<String> = if collapse {
        imported.difference(&bound_otherwise).cloned().collect()
    } else {
        BTreeSet::new()
    };
    let mut import_cells = Vec::new();
    let mut node_of: BTreeMap<usize, usize> = BTreeMap::new();
    let mut stage = Stage {
        title: String::new(),
        nodes: Vec::new(),
    };
    let any_count = notebook.cells.iter().any(|c| c.execution_count.is_some());
    let mut highest: Option<i64> = None;
    for (index, cell) in notebook.cells.iter().enumerate() {
        if cell.kind == CellKind::Markdown {
            if let Some(title) = heading(&cell.source) {
                if !stage.nodes.is_empty() || !stage.title.is_empty() {
                    graph.stages.push(std::mem::replace(
                        &mut stage,
                        Stage {
                            title: String::new(),
                            nodes: Vec::new(),
                        },
                    ));
                }
                stage.title = title;
            }
            continue;
        }
        if cell.kind != CellKind::Code || semantic.cells[index].analysis == Analysis::None {
            continue;
        }
        let mut binds: Vec<String> = Vec::new();
        let mut binds_otherwise = false;
        for event in semantic.events(index) {
            let name = event.name.to_string();
            if !matches!(event.kind, EventKind::Bind(_)) || binds.contains(&name) {
                continue;
            }
            if import_names.contains(&name) {
                continue;
            }
            binds_otherwise = true;
            binds.push(name);
        }
        let mut marks = BTreeSet::new();
        match cell.execution_count {
            None if any_count => {
                marks.insert(Mark::NeverRun);
            }
            Some(count) => {
                if highest.is_some_and(|h| count < h) {
                    marks.insert(Mark::OutOfOrder);
                }
                highest = Some(highest.map_or(count, |h| h.max(count)));
            }
            None => {}
        }
        // A cell of imports only joins the imports node, unless it binds a name some other
        // statement binds too (its edges matter then) or carries a mark.
        if collapse && imports_only(&cells[index]) && !binds_otherwise && marks.is_empty() {
            import_cells.push(index + 1);
            continue;
        }
        node_of.insert(index, graph.nodes.len());
        stage.nodes.push(graph.nodes.len());
        graph.nodes.push(Node {
            cell: index + 1,
            binds,
            first_line: first_line(&cell.source),
            marks,
            findings: Vec::new(),
        });
    }
    if !stage.nodes.is_empty() {
        graph.stages.push(stage);
    }
    if collapse && !import_names.is_empty() {
        graph.imports = Some(ImportsNode {
            cells: import_cells,
            names: import_names.iter().cloned().collect(),
        });
    }

    // Files: literal paths given to known readers and writers.
    let mut files: BTreeMap<String, usize> = BTreeMap::new();
    let mut writes_file: BTreeSet<usize> = BTreeSet::new();
    for &index in node_of.keys() {
        let Some(module) = cells[index].module() else {
            continue;
        };
        let mut finder = FileCalls {
            imports: &imports,
            semantic: &semantic,
            cell: index,
            found: Vec::new(),
        };
        finder.visit_body(&module.body);
        for (path, direction) in finder.found {
            let at = *files.entry(path.clone()).or_insert_with(|| {
                graph.files.push(File {
                    path,
                    read_by: Vec::new(),
                    written_by: Vec::new(),
                });
                graph.files.len() - 1
            });
            let list = match direction {
                Direction::Read => &mut graph.files[at].read_by,
                Direction::Write => {
                    writes_file.insert(index);
                    &mut graph.files[at].written_by
                }
            };
            if !list.contains(&(index + 1)) {
                list.push(index + 1);
            }
        }
    }

    // Edges: each read goes to the cell that last bound the name above it; a read of a name
    // bound only below runs backwards.
    let mut last_binder: BTreeMap<String, usize> = BTreeMap::new();
    let mut edges: BTreeMap<(usize, usize, bool), BTreeSet<String>> = BTreeMap::new();
    let mut undefined: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut read_by_others: BTreeMap<usize, bool> = BTreeMap::new();
    for &index in node_of.keys() {
        for event in semantic.events(index) {
            let name = event.name.to_string();
            if import_names.contains(&name) {
                continue;
            }
            match &event.kind {
                EventKind::Read(read) if !matches!(read.via, Via::Deferred { .. }) => {
                    match read.status {
                        ReadStatus::BoundLater { cell, .. } if cell != index => {
                            if node_of.contains_key(&cell) {
                                edges.entry((cell, index, true)).or_default().insert(name);
                            }
                        }
                        ReadStatus::Undefined => {
                            undefined.entry(name).or_default().insert(index + 1);
                        }
                        _ => {
                            if let Some(&from) = last_binder.get(&name) {
                                if from != index {
                                    edges.entry((from, index, false)).or_default().insert(name);
                                    read_by_others.insert(from, true);
                                }
                            }
                        }
                    }
                }
                // A cell that changes a name in place is what later readers see.
                EventKind::Bind(_) | EventKind::Mutate(_) => {
                    last_binder.insert(name, index);
                }
                _ => {}
            }
        }
    }
    for ((from, to, backwards), names) in edges {
        if backwards {
            read_by_others.insert(from, true);
        }
        graph.edges.push(Edge {
            from: from + 1,
            to: to + 1,
            names: names.into_iter().collect(),
            backwards,
        });
    }
    graph.undefined = undefined
        .into_iter()
        .map(|(name, readers)| Undefined {
            name,
            readers: readers.into_iter().collect(),
        })
        .collect();

    // Cells that change in place a name another cell reads.
    for (&index, &node) in &node_of {
        let mutated: BTreeSet<String> = semantic
            .events(index)
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Mutate(_)))
            .map(|e| e.name.to_string())
            .collect();
        let read_elsewhere = mutated.iter().any(|name| {
            graph
                .edges
                .iter()
                .any(|e| e.to != index + 1 && e.names.contains(name))
        });
        if read_elsewhere {
            graph.nodes[node].marks.insert(Mark::MutatesShared);
        }
    }
    // Exploration: no other cell reads what it binds, it writes no file (`.to_csv`, `save`,
    // `write`), and it is not the notebook's last code cell (its result).
    for (&index, &node) in &node_of {
        let depended_on = read_by_others.get(&index).copied().unwrap_or(false);
        let writes_files = writes_file.contains(&index)
            || notebook.cells[index].source.contains(".to_")
            || notebook.cells[index].source.contains("save")
            || notebook.cells[index].source.contains("write");
        if !depended_on && !writes_files && node + 1 != graph.nodes.len() {
            graph.nodes[node].marks.insert(Mark::Unused);
        }
    }
    if let Some(findings) = &options.findings {
        keep_cells_with_findings(&mut graph, findings);
    }
    graph
}

/// Keeps the cells with findings, labelled with their codes, and what connects them.
fn keep_cells_with_findings(graph: &mut Graph, findings: &BTreeMap<usize, BTreeSet<String>>) {
    let old = std::mem::take(&mut graph.nodes);
    let mut new_index: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, mut node) in old.into_iter().enumerate() {
        if let Some(codes) = findings.get(&node.cell) {
            node.findings = codes.iter().cloned().collect();
            new_index.insert(i, graph.nodes.len());
            graph.nodes.push(node);
        }
    }
    let kept: BTreeSet<usize> = graph.nodes.iter().map(|n| n.cell).collect();
    for stage in &mut graph.stages {
        stage.nodes = stage
            .nodes
            .iter()
            .filter_map(|n| new_index.get(n).copied())
            .collect();
    }
    graph.stages.retain(|s| !s.nodes.is_empty());
    graph
        .edges
        .retain(|e| kept.contains(&e.from) && kept.contains(&e.to));
    for u in &mut graph.undefined {
        u.readers.retain(|r| kept.contains(r));
    }
    graph.undefined.retain(|u| !u.readers.is_empty());
    for file in &mut graph.files {
        file.read_by.retain(|c| kept.contains(c));
        file.written_by.retain(|c| kept.contains(c));
    }
    graph
        .files
        .retain(|f| !f.read_by.is_empty() || !f.written_by.is_empty());
    if let Some(imports) = &mut graph.imports {
        imports.cells.retain(|c| findings.contains_key(c));
    }
    if graph.imports.as_ref().is_some_and(|i| i.cells.is_empty()) {
        graph.imports = None;
    }
}

/// Whether a cell holds nothing but imports (and magics such as `%matplotlib inline`).
fn imports_only(cell: &ParsedCell) -> bool {
    cell.module().is_some_and(|module| {
        module
            .body
            .iter()
            .any(|s| matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)))
            && module.body.iter().all(|s| {
                matches!(
                    s,
                    Stmt::Import(_) | Stmt::ImportFrom(_) | Stmt::IpyEscapeCommand(_)
                )
            })
    })
}

/// The files a cell reads and writes: literal paths given to known I/O calls, anywhere in it.
struct FileCalls<'a> {
    imports: &'a Imports,
    semantic: &'a SemanticIndex,
    cell: usize,
    found: Vec<(String, Direction)>,
}

impl<'b> Visitor<'b> for FileCalls<'_> {
    fn visit_expr(&mut self, expr: &'b Expr) {
        if let Expr::Call(call) = expr {
            if let Some(found) = io::io_call(self.imports, self.semantic, self.cell, call) {
                if let Some(Expr::StringLiteral(path)) = io::path_argument(call, found.argument) {
                    let path = path.value.to_str();
                    if !path.is_empty() && !path.chars().any(char::is_control) {
                        self.found.push((path.to_string(), found.direction));
                    }
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}

fn heading(source: &str) -> Option<String> {
    source.lines().find_map(|line| {
        let line = line.trim_start();
        let text = line.strip_prefix('#')?.trim_start_matches('#');
        text.starts_with(' ').then(|| text.trim().to_string())
    })
}

fn first_line(source: &str) -> String {
    let line = source
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    shorten(line, 40)
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(limit - 1).collect::<String>())
    }
}

fn names_label(names: &[String]) -> String {
    if names.len() <= NAMES_SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..NAMES_SHOWN].join(", "),
            names.len() - NAMES_SHOWN
        )
    }
}

fn node_label(node: &Node) -> String {
    let what = if node.binds.is_empty() {
        node.first_line.clone()
    } else {
        names_label(&node.binds)
    };
    let label = if what.is_empty() {
        format!("cell {}", node.cell)
    } else {
        format!("cell {}: {what}", node.cell)
    };
    if node.findings.is_empty() {
        label
    } else {
        format!("{label} ({})", node.findings.join(", "))
    }
}

fn imports_label(imports: &ImportsNode) -> String {
    let cells: Vec<String> = imports.cells.iter().map(|c| c.to_string()).collect();
    let place = match cells.len() {
        0 => String::new(),
        1 => format!(" (cell {})", cells[0]),
        _ => format!(" (cells {})", names_label(&cells)),
    };
    format!("imports{place}: {}", names_label(&imports.names))
}

fn file_label(file: &File) -> String {
    shorten(&file.path, 50)
}

/// The graph as JSON: stable field order, for other tools.
pub fn to_json(graph: &Graph) -> serde_json::Value {
    json!({
        "stages": graph.stages.iter().map(|s| json!({
            "title": s.title,
            "cells": s.nodes.iter().map(|&n| graph.nodes[n].cell).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "nodes": graph.nodes.iter().map(|n| json!({
            "cell": n.cell,
            "binds": n.binds,
            "first_line": n.first_line,
            "marks": n.marks.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "findings": n.findings,
        })).collect::<Vec<_>>(),
        "edges": graph.edges.iter().map(|e| json!({
            "from": e.from,
            "to": e.to,
            "names": e.names,
            "backwards": e.backwards,
        })).collect::<Vec<_>>(),
        "undefined": graph.undefined.iter().map(|u| json!({
            "name": u.name,
            "readers": u.readers,
        })).collect::<Vec<_>>(),
        "files": graph.files.iter().map(|f| json!({
            "path": f.path,
            "read_by": f.read_by,
            "written_by": f.written_by,
        })).collect::<Vec<_>>(),
        "imports": graph.imports.as_ref().map(|i| json!({
            "cells": i.cells,
            "names": i.names,
        })),
    })
}

/// Mermaid text with only what the flowchart grammar allows in a quoted label.
/// A `#` is escaped first: Mermaid reads `#...;` as an entity code (`data#1;.csv`).
fn mermaid_text(text: &str) -> String {
    text.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace(char::is_control, " ")
}

/// The graph as a Mermaid flowchart (GitHub renders it in Markdown).
pub fn to_mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart TD\n");
    for (i, stage) in graph.stages.iter().enumerate() {
        let indent = if stage.title.is_empty() {
            "  "
        } else {
            let _ = writeln!(
                out,
                "  subgraph stage{i}[\"{}\"]",
                mermaid_text(&stage.title)
            );
            "    "
        };
        for &n in &stage.nodes {
            let node = &graph.nodes[n];
            let marks: Vec<&str> = node.marks.iter().map(|m| m.as_str()).collect();
            let label = if marks.is_empty() {
                node_label(node)
            } else {
                format!("{} [{}]", node_label(node), marks.join(", "))
            };
            let _ = writeln!(out, "{indent}c{}[\"{}\"]", node.cell, mermaid_text(&label));
        }
        if !stage.title.is_empty() {
            out.push_str("  end\n");
        }
    }
    for u in &graph.undefined {
        let _ = writeln!(
            out,
            "  u_{}((\"{} (bound nowhere)\"))",
            mermaid_id(&u.name),
            mermaid_text(&u.name)
        );
    }
    if let Some(imports) = &graph.imports {
        let _ = writeln!(
            out,
            "  imports{{{{\"{}\"}}}}",
            mermaid_text(&imports_label(imports))
        );
    }
    for (i, file) in graph.files.iter().enumerate() {
        let _ = writeln!(
            out,
            "  f{}[(\"{}\")]",
            i + 1,
            mermaid_text(&file_label(file))
        );
    }
    let mut backwards = Vec::new();
    let mut link = 0;
    for (i, file) in graph.files.iter().enumerate() {
        for cell in &file.written_by {
            let _ = writeln!(out, "  c{cell} ==> f{}", i + 1);
            link += 1;
        }
        for cell in &file.read_by {
            let _ = writeln!(out, "  f{} ==> c{cell}", i + 1);
            link += 1;
        }
    }
    for edge in &graph.edges {
        let label = mermaid_text(&names_label(&edge.names));
        if edge.backwards {
            let _ = writeln!(out, "  c{} -. \"{label}\" .-> c{}", edge.from, edge.to);
            backwards.push(link);
        } else {
            let _ = writeln!(out, "  c{} -- \"{label}\" --> c{}", edge.from, edge.to);
        }
        link += 1;
    }
    for u in &graph.undefined {
        for reader in &u.readers {
            let _ = writeln!(out, "  u_{} -.-> c{reader}", mermaid_id(&u.name));
            backwards.push(link);
            link += 1;
        }
    }
    out.push_str("  classDef neverrun stroke-dasharray: 5 5;\n");
    out.push_str("  classDef outoforder fill:#fde2c8,stroke:#d9822b;\n");
    out.push_str("  classDef mutates fill:#f9d0d0,stroke:#c23030;\n");
    out.push_str("  classDef unused fill:#eeeeee,stroke:#999999,color:#666666;\n");
    out.push_str("  classDef undefined fill:#f9d0d0,stroke:#c23030;\n");
    out.push_str("  classDef file fill:#dbeafe,stroke:#2563eb;\n");
    out.push_str("  classDef imports fill:#f3f4f6,stroke:#9ca3af;\n");
    for node in &graph.nodes {
        for mark in &node.marks {
            let class = match mark {
                Mark::NeverRun => "neverrun",
                Mark::OutOfOrder => "outoforder",
                Mark::MutatesShared => "mutates",
                Mark::Unused => "unused",
            };
            let _ = writeln!(out, "  class c{} {class};", node.cell);
        }
    }
    for u in &graph.undefined {
        let _ = writeln!(out, "  class u_{} undefined;", mermaid_id(&u.name));
    }
    for i in 1..=graph.files.len() {
        let _ = writeln!(out, "  class f{i} file;");
    }
    if graph.imports.is_some() {
        out.push_str("  class imports imports;\n");
    }
    for link in backwards {
        let _ = writeln!(out, "  linkStyle {link} stroke:#c23030;");
    }
    out
}

fn mermaid_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(char::is_control, " ")
}

/// The graph in Graphviz DOT, with a legend.
pub fn to_dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph notebook {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for (i, stage) in graph.stages.iter().enumerate() {
        let indent = if stage.title.is_empty() {
            "  "
        } else {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label=\"{}\";\n    style=rounded;",
                dot_text(&stage.title)
            );
            "    "
        };
        for &n in &stage.nodes {
            let node = &graph.nodes[n];
            let mut attributes = vec![format!("label=\"{}\"", dot_text(&node_label(node)))];
            for mark in &node.marks {
                attributes.push(
                    match mark {
                        Mark::NeverRun => "style=\"rounded,dashed\"",
                        Mark::OutOfOrder => "fillcolor=\"#fde2c8\"",
                        Mark::MutatesShared => "color=\"#c23030\", penwidth=2",
                        Mark::Unused => "fillcolor=\"#eeeeee\", fontcolor=\"#666666\"",
                    }
                    .to_string(),
                );
            }
            let _ = writeln!(out, "{indent}c{} [{}];", node.cell, attributes.join(", "));
        }
        if !stage.title.is_empty() {
            out.push_str("  }\n");
        }
    }
    for u in &graph.undefined {
        let _ = writeln!(
            out,
            "  \"u_{}\" [shape=ellipse, fillcolor=\"#f9d0d0\", label=\"{} (bound nowhere)\"];",
            dot_text(&u.name),
            dot_text(&u.name)
        );
        for reader in &u.readers {
            let _ = writeln!(
                out,
                "  \"u_{}\" -> c{reader} [style=dashed, color=\"#c23030\"];",
                dot_text(&u.name)
            );
        }
    }
    if let Some(imports) = &graph.imports {
        let _ = writeln!(
            out,
            "  imports [shape=hexagon, fillcolor=\"#f3f4f6\", label=\"{}\"];",
            dot_text(&imports_label(imports))
        );
    }
    for (i, file) in graph.files.iter().enumerate() {
        let _ = writeln!(
            out,
            "  f{} [shape=cylinder, style=filled, fillcolor=\"#dbeafe\", label=\"{}\"];",
            i + 1,
            dot_text(&file_label(file))
        );
        for cell in &file.written_by {
            let _ = writeln!(
                out,
                "  c{cell} -> f{} [color=\"#2563eb\", penwidth=2];",
                i + 1
            );
        }
        for cell in &file.read_by {
            let _ = writeln!(
                out,
                "  f{} -> c{cell} [color=\"#2563eb\", penwidth=2];",
                i + 1
            );
        }
    }
    for edge in &graph.edges {
        let label = dot_text(&names_label(&edge.names));
        if edge.backwards {
            let _ = writeln!(
                out,
                "  c{} -> c{} [label=\"{label}\", style=dashed, color=\"#c23030\", fontcolor=\"#c23030\"];",
                edge.from, edge.to
            );
        } else {
            let _ = writeln!(out, "  c{} -> c{} [label=\"{label}\"];", edge.from, edge.to);
        }
    }
    out.push_str("  subgraph cluster_legend {\n    label=\"legend\";\n    style=dashed;\n");
    let legend: Vec<String> = [
        Mark::NeverRun,
        Mark::OutOfOrder,
        Mark::MutatesShared,
        Mark::Unused,
    ]
    .iter()
    .map(|m| format!("{}: {}", m.as_str(), m.legend()))
    .chain([
        "dashed red edge: read before it is bound (runs backwards)".to_string(),
        "red ellipse: a name read but bound by no cell (kernel-only state)".to_string(),
        "blue cylinder: a file read or written with a literal path (thick blue edges)".to_string(),
        "grey hexagon: the notebook's imports (--imports draws them as cells)".to_string(),
    ])
    .collect();
    let _ = writeln!(
        out,
        "    legend [shape=note, fillcolor=\"#ffffe0\", label=\"{}\\l\"];\n  }}",
        legend
            .iter()
            .map(|l| dot_text(l))
            .collect::<Vec<_>>()
            .join("\\l")
    );
    out.push_str("}\n");
    out
}

/// The legend, for the Mermaid output (which has no notes) and for the docs.
pub fn legend() -> String {
    let mut out = String::new();
    for mark in [
        Mark::NeverRun,
        Mark::OutOfOrder,
        Mark::MutatesShared,
        Mark::Unused,
    ] {
        let _ = writeln!(out, "- `{}`: {}", mark.as_str(), mark.legend());
    }
    out.push_str("- dotted red edge: read before it is bound (runs backwards)\n");
    out.push_str("- round red node: a name read but bound by no cell (kernel-only state)\n");
    out.push_str("- blue cylinder: a file read or written with a literal path (thick edges)\n");
    out.push_str("- grey hexagon: the notebook's imports (`--imports` draws them as cells)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels come from the notebook: quotes, angle brackets, `#`, backslashes and line breaks
    /// in a path or heading never end a label early or read as markup.
    #[test]
    fn hostile_labels_are_escaped() {
        let text = "we\"ird <b>#1;\\path\nnext\u{0}";
        let mermaid = mermaid_text(text);
        assert_eq!(mermaid, "we#quot;ird #lt;b#gt;#35;1;\\path next ");
        assert!(!mermaid.contains(['"', '<', '>', '\n']));
        let dot = dot_text(text);
        assert_eq!(dot, "we\\\"ird <b>#1;\\\\path next ");
    }
}
