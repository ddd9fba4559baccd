//! `cargo bench -p nblint --bench scaling`: whether any rule's time grows faster than the
//! notebook. Each shape below is generated at a size `n` and at `4n`, linted with every rule
//! (`--select ALL`, one notebook, no cache), and the two times compared: a linear rule takes
//! about 4× as long on the larger one. A ratio above 6 is marked `SUPERLINEAR`: some rule
//! compares everything with everything. Every figure is the median of `RUNS` runs (3).
//!
//! The shapes are the ones that once made a rule quadratic: many cells reading and rebinding the
//! same names, one cell of many statements, many imports, many names read across cells, names
//! read long before they are bound, long call chains, `global` writes through calls, headings, and outputs full of keywords.

use serde_json::{json, Value};

mod common;
use common::{env_number, median};

type Shape = (&'static str, usize, fn(usize) -> Value);

const SHAPES: [Shape; 9] = [
    ("cells rebinding the same names", 2_500, rebinding),
    ("statements in one cell", 25_000, statements),
    ("imports, paths and fits in every cell", 1_250, mixed),
    ("names bound once, read across cells", 5_000, names),
    (
        "names read in every cell, bound in the last",
        2_500,
        read_early,
    ),
    ("functions calling the previous one", 2_500, call_chain),
    ("functions writing globals, each called", 1_000, globals),
    ("headings and cells", 5_000, headings),
    ("output lines full of keywords", 10_000, outputs),
];

fn main() {
    let runs = env_number("RUNS", 3);
    let dir = std::env::temp_dir().join(format!("nblint-bench-scaling-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    println!(
        "{:<42} {:>7} {:>9} {:>9} {:>7}",
        "shape", "n", "n (ms)", "4n (ms)", "ratio"
    );
    for (name, n, make) in SHAPES {
        let time = |size: usize| {
            let path = dir.join(format!("{size}.ipynb"));
            std::fs::write(&path, make(size).to_string()).expect("a notebook written");
            let args: Vec<String> = [
                "nblint",
                "check",
                "--no-cache",
                "--select",
                "ALL",
                "--exit-zero",
                "--output-format",
                "concise",
            ]
            .into_iter()
            .map(String::from)
            .chain([path.display().to_string()])
            .collect();
            median(runs, || {
                nblint::run(
                    args.clone(),
                    &mut std::io::sink(),
                    &mut std::io::sink(),
                    nblint::Terminal::default(),
                );
            })
        };
        let (small, large) = (time(n), time(4 * n));
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
        println!(
            "{name:<42} {n:>7} {:>9.1} {:>9.1} {ratio:>7.2}{}",
            small.as_secs_f64() * 1e3,
            large.as_secs_f64() * 1e3,
            if ratio > 6.0 { "  SUPERLINEAR" } else { "" }
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn notebook(cells: Vec<Value>) -> Value {
    json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
}

fn code(source: String, count: usize, outputs: Vec<Value>) -> Value {
    json!({"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs, "source": source})
}

fn rebinding(n: usize) -> Value {
    notebook(
        (0..n)
            .map(|i| {
                code(
                    format!("x = x + {i}\ny = f(x, y)\nz.append({i})\n"),
                    n - i,
                    vec![],
                )
            })
            .collect(),
    )
}

fn statements(n: usize) -> Value {
    let source: Vec<String> = (1..n)
        .map(|i| format!("v{i} = v{} + 0.73", i - 1))
        .collect();
    notebook(vec![code(source.join("\n"), 1, vec![])])
}

fn mixed(n: usize) -> Value {
    notebook(
        (0..n)
            .map(|i| {
                code(
                    format!(
                        "import os\nimport numpy as np\nfrom sklearn.preprocessing import StandardScaler\n\
                         df = pd.read_csv('/Users/alice/data{i}.csv')\nscaler = StandardScaler().fit(df)\n\
                         X_train, X_test = train_test_split(df)\nthreshold = 0.{}\n",
                        i + 10
                    ),
                    i + 1,
                    vec![],
                )
            })
            .collect(),
    )
}

fn names(n: usize) -> Value {
    let bind: Vec<String> = (0..n).map(|j| format!("n{j} = {j}")).collect();
    let mut cells = vec![code(bind.join("\n"), 1, vec![])];
    for i in 0..n / 30 {
        let reads: Vec<String> = (i * 30..i * 30 + 30)
            .map(|j| format!("print(n{j})"))
            .collect();
        cells.push(code(reads.join("\n"), i + 2, vec![]));
    }
    notebook(cells)
}

fn read_early(n: usize) -> Value {
    let mut cells: Vec<Value> = (0..n)
        .map(|i| code(format!("print(late{})\n", i % 10), i + 1, vec![]))
        .collect();
    let bind: Vec<String> = (0..10).map(|j| format!("late{j} = {j}")).collect();
    cells.push(code(bind.join("\n"), n + 1, vec![]));
    notebook(cells)
}

fn call_chain(n: usize) -> Value {
    let mut cells: Vec<Value> = (1..n)
        .map(|i| {
            code(
                format!("def f{i}():\n    return f{}() + g{i}\n", i - 1),
                i,
                vec![],
            )
        })
        .collect();
    cells.push(code(format!("f{}()", n - 1), n, vec![]));
    notebook(cells)
}

fn globals(n: usize) -> Value {
    let defs: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "def inc{i}():\n    global c{}\n    c{} += 1\n    log.append({i})",
                i % 50,
                i % 50
            )
        })
        .collect();
    let mut cells = vec![code(defs.join("\n"), 1, vec![])];
    cells.extend((0..n).map(|i| code(format!("inc{i}()\n"), i + 2, vec![])));
    notebook(cells)
}

fn headings(n: usize) -> Value {
    let mut cells = Vec::new();
    for i in 0..n {
        cells.push(
            json!({"cell_type": "markdown", "metadata": {}, "source": format!("# Stage {i}\n")}),
        );
        cells.push(code(
            format!("a{i} = a{} + 1\n", i.saturating_sub(1)),
            i + 1,
            vec![],
        ));
    }
    notebook(cells)
}

fn outputs(n: usize) -> Value {
    let line = "password token api_key secret = 'abc' AKIA /home/bob\n";
    let text: Vec<&str> = std::iter::repeat_n(line, n).collect();
    let output = json!({"output_type": "stream", "name": "stdout", "text": text});
    notebook(vec![code("print(log)".to_string(), 1, vec![output])])
}
