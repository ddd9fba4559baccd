//! Structure-aware: arbitrary nbformat-shaped JSON with Python-ish sources, linted and fixed.
#![no_main]

use std::path::Path;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

#[derive(Arbitrary, Debug)]
struct Notebook {
    cells: Vec<Cell>,
    minor: u8,
    kernel: Option<String>,
    ids: bool,
}

#[derive(Arbitrary, Debug)]
struct Cell {
    kind: u8,
    lines: Vec<Line>,
    count: Option<u16>,
    outputs: Vec<String>,
    tags: Vec<String>,
    as_string: bool,
}

#[derive(Arbitrary, Debug)]
enum Line {
    Import(u8),
    Assign(u8, i64),
    Float(u8, f64),
    Call(u8, u8),
    Compare(u8, f32),
    Path(String),
    Secret(u8),
    Magic(u8),
    Def(u8),
    Indent(Box<Line>),
    Raw(String),
}

const NAMES: &[&str] = &["df", "x", "model", "X_train", "X_test", "scaler", "np", "pd", "os", "y"];
const MODULES: &[&str] = &["import numpy as np", "import pandas as pd", "import os", "from sklearn.preprocessing import StandardScaler", "from sklearn.model_selection import train_test_split", "import random"];
const CALLS: &[&str] = &["fit", "fit_transform", "transform", "mean", "fillna", "head", "split", "append", "seed"];
const SECRETS: &[&str] = &["AKIAIOSFODNN7EXAMPLA", "ghp_1234567890abcdefghijABCDEFGHIJ123456", "sk-proj-abc123DEF456ghi789JKL012mno345PQR", "hunter2hunter2!"];
const MAGICS: &[&str] = &["%matplotlib inline", "!pip install numpy", "%%time", "%run other.py", "%load_ext autoreload"];

fn name(i: u8) -> &'static str {
    NAMES[i as usize % NAMES.len()]
}

fn line(l: &Line, depth: usize) -> String {
    match l {
        Line::Import(i) => MODULES[*i as usize % MODULES.len()].to_string(),
        Line::Assign(i, v) => format!("{} = {v}", name(*i)),
        Line::Float(i, v) => format!("{} = {v:?}", name(*i)),
        Line::Call(i, c) => format!("{} = {}.{}({})", name(*i), name(i.wrapping_add(1)), CALLS[*c as usize % CALLS.len()], name(*c)),
        Line::Compare(i, v) => format!("{}[{} > {v}]", name(*i), name(*i)),
        Line::Path(p) => format!("df = pd.read_csv({p:?})"),
        Line::Secret(i) => format!("api_key = {:?}", SECRETS[*i as usize % SECRETS.len()]),
        Line::Magic(i) => MAGICS[*i as usize % MAGICS.len()].to_string(),
        Line::Def(i) => format!("def f{}():\n    global {}\n    {} = 1", i, name(*i), name(*i)),
        Line::Indent(inner) if depth < 8 => format!("if True:\n    {}", line(inner, depth + 1).replace('\n', "\n    ")),
        Line::Indent(_) => "pass".to_string(),
        Line::Raw(text) => text.clone(),
    }
}

fuzz_target!(|input: Notebook| {
    let cells: Vec<serde_json::Value> = input
        .cells
        .iter()
        .take(64)
        .enumerate()
        .map(|(i, cell)| {
            let text: Vec<String> = cell.lines.iter().take(32).map(|l| line(l, 0)).collect();
            let text = text.join("\n");
            let source = if cell.as_string {
                serde_json::Value::String(text)
            } else {
                let lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
                serde_json::json!(lines)
            };
            let kind = ["code", "code", "code", "markdown", "raw"][cell.kind as usize % 5];
            let mut value = serde_json::json!({"cell_type": kind, "metadata": {"tags": cell.tags}, "source": source});
            if kind == "code" {
                let outputs: Vec<serde_json::Value> = cell
                    .outputs
                    .iter()
                    .take(4)
                    .map(|text| serde_json::json!({"output_type": "stream", "name": "stdout", "text": text}))
                    .collect();
                value["outputs"] = serde_json::json!(outputs);
                value["execution_count"] = serde_json::json!(cell.count);
            }
            if input.ids {
                value["id"] = serde_json::json!(format!("cell{i}"));
            }
            value
        })
        .collect();
    let mut metadata = serde_json::json!({});
    if let Some(kernel) = &input.kernel {
        metadata["kernelspec"] = serde_json::json!({"name": kernel, "display_name": kernel, "language": kernel});
    }
    let notebook = serde_json::json!({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": input.minor % 6});
    let text = serde_json::to_string_pretty(&notebook).expect("a JSON value serializes");
    let (settings, rules) = common::setup();
    let registry = nblint::registry();
    let path = Path::new("notebook.ipynb");
    let _ = nblint_engine::lint_bytes(path, text.as_bytes(), registry, settings, rules);
    let first = nblint_engine::fix_bytes(path, text.as_bytes(), registry, settings, rules, true);
    if let Some(fixed) = first.text {
        nblint_notebook::Notebook::from_str(&fixed).expect("a fixed notebook loads");
        let second = nblint_engine::fix_bytes(path, fixed.as_bytes(), registry, settings, rules, true);
        if first.problems.is_empty() {
            assert!(second.text.is_none(), "a second fix changed the notebook again");
        }
    }
});
