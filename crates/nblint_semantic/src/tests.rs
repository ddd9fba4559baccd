use nblint_notebook::{parse_cell, Notebook};

use super::*;

/// Builds the index of a notebook whose code cells have these sources.
fn index(cells: &[&str]) -> SemanticIndex {
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|source| {
            serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                "execution_count": null, "source": source})
        })
        .collect();
    let text =
        serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
            .to_string();
    let notebook = Notebook::from_str(&text).unwrap();
    let parsed: Vec<_> = notebook.cells.iter().map(parse_cell).collect();
    SemanticIndex::build(&notebook, &parsed)
}

/// The events of a cell as short strings: `r:x` read, `b:x` bind, `d:x` delete, `m:x` mutate;
/// deferred reads are `r~x`, reads through a call `r>x`.
fn events(index: &SemanticIndex, cell: usize) -> Vec<String> {
    index
        .events(cell)
        .iter()
        .map(|e| {
            let tag = match &e.kind {
                EventKind::Read(read) => match read.via {
                    Via::Direct => "r:",
                    Via::Call { .. } => "r>",
                    Via::Deferred { .. } => "r~",
                },
                EventKind::Bind(_) => "b:",
                EventKind::Delete => "d:",
                EventKind::Mutate(_) => "m:",
            };
            format!("{tag}{}", e.name)
        })
        .collect()
}

fn status(index: &SemanticIndex, cell: usize, name: &str) -> Vec<ReadStatus> {
    index
        .events(cell)
        .iter()
        .filter(|e| e.name.as_str() == name)
        .filter_map(|e| match &e.kind {
            EventKind::Read(read) => Some(read.status),
            _ => None,
        })
        .collect()
}

#[test]
fn assignment_reads_the_value_before_binding() {
    let ix = index(&["x = y + 1\nx += z\n"]);
    assert_eq!(events(&ix, 0), ["r:y", "b:x", "r:z", "r:x", "b:x"]);
}

#[test]
fn statement_kinds_bind() {
    let ix = index(&[
        "import os.path, numpy as np\nfrom a import b, c as d\nfor i, (j, *k) in z: pass\nwith open(p) as f: pass\ntry:\n    pass\nexcept E as e:\n    pass\nif (w := 1): pass\nclass C: pass\ndef g(): pass\n",
    ]);
    let binds: Vec<String> = events(&ix, 0)
        .into_iter()
        .filter(|e| e.starts_with("b:"))
        .collect();
    assert_eq!(
        binds,
        ["b:os", "b:np", "b:b", "b:d", "b:i", "b:j", "b:k", "b:f", "b:e", "b:w", "b:C", "b:g"]
    );
}

#[test]
fn function_locals_and_free_names() {
    let ix = index(&["def f(a, b=default):\n    c = a + b + g\n    def inner():\n        return c + h\n    return [x for x in c if x > t]\n"]);
    assert_eq!(events(&ix, 0), ["r:default", "r~g", "r~h", "r~t", "b:f"]);
    let free: Vec<&str> = ix.functions[0]
        .free
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(free, ["g", "h", "t"]);
}

#[test]
fn global_declaration_binds_the_module_name() {
    let ix = index(&[
        "def setup():\n    global cfg\n    cfg = 1\n",
        "setup()\nprint(cfg)\n",
    ]);
    // The function binds `cfg` when it is called, in cell 2, not where it is defined.
    assert_eq!(events(&ix, 0), ["b:setup"]);
    assert_eq!(events(&ix, 1), ["r:setup", "b:cfg", "r:print", "r:cfg"]);
    assert_eq!(status(&ix, 1, "cfg"), [ReadStatus::Bound]);
}

#[test]
fn comprehension_variables_are_not_module_names() {
    let ix = index(&["ys = [x * k for x in xs if x]\n{k: v for k, v in d.items()}\n"]);
    assert_eq!(events(&ix, 0), ["r:xs", "r:k", "b:ys", "r:d"]);
}

#[test]
fn class_attributes_are_not_visible_in_methods() {
    let ix = index(&["class A:\n    n = 1\n    m = n + 1\n    def f(self):\n        return n\n"]);
    assert_eq!(events(&ix, 0), ["r~n", "b:A"]);
}

#[test]
fn calls_read_the_free_names_of_the_function_at_the_call() {
    let ix = index(&[
        "def predict(x):\n    return model.predict(x) + helper()\ndef helper():\n    return scale\n",
        "predict(1)\n",
        "model = 1\nscale = 2\n",
    ]);
    assert_eq!(
        events(&ix, 1),
        ["r:predict", "r>model", "r>helper", "r>scale"]
    );
    assert!(matches!(
        status(&ix, 1, "model")[..],
        [ReadStatus::BoundLater { cell: 2, .. }]
    ));
    // The function body reads `model` later, so in cell 1 it is only a deferred read.
    assert_eq!(status(&ix, 0, "model"), [ReadStatus::Bound]);
}

#[test]
fn uncalled_functions_only_defer() {
    let ix = index(&["def f():\n    return later\n", "later = 1\n"]);
    assert_eq!(status(&ix, 0, "later"), [ReadStatus::Bound]);
    let ix = index(&["def f():\n    return nowhere\n"]);
    assert_eq!(status(&ix, 0, "nowhere"), [ReadStatus::Undefined]);
}

#[test]
fn lambdas_bound_to_names_are_functions() {
    let ix = index(&["f = lambda v: v * k\n", "f(2)\n", "k = 3\n"]);
    assert_eq!(events(&ix, 1), ["r:f", "r>k"]);
}

#[test]
fn mutations() {
    let ix = index(&[
        "df['a'] = df['a'] * 2\ndf['b'] = 1\nxs.append(1)\nd.update(e)\ndf.drop(columns=['a'], inplace=True)\ndf.fillna(0, inplace=True)\nobj.attr = 1\ndel d['k']\nys.sort_values()\n",
    ]);
    let mutations: Vec<(String, bool)> = ix
        .events(0)
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Mutate(m) => Some((e.name.to_string(), m.repeats)),
            _ => None,
        })
        .collect();
    let expected = [
        ("df", true),
        ("df", false),
        ("xs", true),
        ("d", false),
        ("df", true),
        ("df", false),
        ("obj", false),
        ("d", true),
    ];
    let expected: Vec<(String, bool)> = expected.iter().map(|(n, r)| (n.to_string(), *r)).collect();
    assert_eq!(mutations, expected);
}

#[test]
fn derived_bindings() {
    let ix = index(&["df = df.dropna()\nx = 1\ny = [y for y in z]\n"]);
    let derived: Vec<(String, bool)> = ix
        .events(0)
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Bind(b) => Some((e.name.to_string(), b.derived)),
            _ => None,
        })
        .collect();
    let expected: Vec<(String, bool)> = [("df", true), ("x", false), ("y", false)]
        .iter()
        .map(|(n, d)| (n.to_string(), *d))
        .collect();
    assert_eq!(derived, expected);
}

#[test]
fn read_statuses() {
    let ix = index(&["print(a)\nprint(b)\n", "a = 1\ndel a\n", "a\nlen(c)\n_3\n"]);
    assert!(matches!(
        status(&ix, 0, "a")[..],
        [ReadStatus::BoundLater { cell: 1, .. }]
    ));
    assert_eq!(status(&ix, 0, "b"), [ReadStatus::Undefined]);
    assert_eq!(
        status(&ix, 0, "print"),
        [ReadStatus::Bound, ReadStatus::Bound]
    );
    assert!(matches!(
        status(&ix, 2, "a")[..],
        [ReadStatus::Deleted { cell: 1, .. }]
    ));
    assert_eq!(status(&ix, 2, "_3"), [ReadStatus::Bound]);
}

#[test]
fn guards() {
    let ix = index(&[
        "try:\n    x\nexcept NameError:\n    x = 0\nfor i in r:\n    if i:\n        print(prev)\n    prev = i\n",
    ]);
    assert_eq!(status(&ix, 0, "x"), [ReadStatus::Bound]);
    assert_eq!(status(&ix, 0, "prev"), [ReadStatus::Bound]);
}

#[test]
fn unknown_bindings() {
    for source in [
        "from my_helpers import *\n",
        "from .local import *\n",
        "%run setup.py\n",
        "%run -m package.module\n",
        "globals().update(d)\n",
        "exec(code)\n",
        "globals()[name] = 1\n",
    ] {
        assert!(index(&[source]).has_unknown_bindings(), "{source}");
    }
    let ix = index(&["globals()['w'] = 1\n", "w\n"]);
    assert!(!ix.has_unknown_bindings());
    assert_eq!(status(&ix, 1, "w"), [ReadStatus::Bound]);
}

#[test]
fn star_imports_of_known_modules_bind_their_exports() {
    let ix = index(&[
        "from typing import *\nfrom math import *\n",
        "x: List[int] = [floor(pi)]\nprint(undefined_thing)\n",
    ]);
    assert!(!ix.has_unknown_bindings());
    assert_eq!(status(&ix, 1, "List"), [ReadStatus::Bound]);
    assert_eq!(status(&ix, 1, "floor"), [ReadStatus::Bound]);
    assert_eq!(status(&ix, 1, "undefined_thing"), [ReadStatus::Undefined]);
    // numpy 1 names are kept for old notebooks.
    let ix = index(&["from numpy import *\n", "a = array([NaN, inf])\n"]);
    assert_eq!(status(&ix, 1, "NaN"), [ReadStatus::Bound]);
    // `%pylab` is a star import of pylab.
    let ix = index(&["%pylab inline\n", "plot(linspace(0, 1))\nnp.zeros(2)\n"]);
    assert!(!ix.has_unknown_bindings());
    assert_eq!(status(&ix, 1, "plot"), [ReadStatus::Bound]);
    assert_eq!(status(&ix, 1, "np"), [ReadStatus::Bound]);
}

#[test]
fn run_targets_that_can_be_read_bind_their_names() {
    let text = serde_json::json!({"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": "%run -i helpers.py --fast\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": "load(PATH, missing)\n"}
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    .to_string();
    let notebook = Notebook::from_str(&text).unwrap();
    let parsed: Vec<_> = notebook.cells.iter().map(parse_cell).collect();
    let asked = std::cell::RefCell::new(Vec::new());
    let ix = SemanticIndex::build_with(&notebook, &parsed, &|script| {
        asked.borrow_mut().push(script.to_string());
        Some(vec![Name::new("load"), Name::new("PATH")])
    });
    assert_eq!(*asked.borrow(), ["helpers.py"]);
    assert!(!ix.has_unknown_bindings());
    assert_eq!(status(&ix, 1, "load"), [ReadStatus::Bound]);
    assert_eq!(status(&ix, 1, "missing"), [ReadStatus::Undefined]);
    // A target that cannot be read may bind anything.
    let ix = SemanticIndex::build_with(&notebook, &parsed, &|_| None);
    assert!(ix.has_unknown_bindings());
}

#[test]
fn magics() {
    let ix = index(&[
        "%time model = fit(data)\n",
        "%%capture out\nx = 1\n",
        "%timeit -n 10 f(y)\n",
        "%store -r saved\n",
    ]);
    assert_eq!(events(&ix, 0), ["r:fit", "r:data", "b:model"]);
    // The payload's positions are those of the cell: `model` starts at byte 6.
    assert_eq!(u32::from(ix.events(0)[2].range.start()), 6);
    assert_eq!(events(&ix, 1), ["b:out", "b:x"]);
    assert_eq!(events(&ix, 2), ["r:f", "r:y"]);
    assert_eq!(events(&ix, 3), ["b:saved"]);
}

#[test]
fn cells_with_syntax_errors_contribute_bindings_only() {
    let ix = index(&["x = 1\nprint y\nz = w\n", "x, z\n"]);
    assert_eq!(ix.cells[0].analysis, Analysis::BindingsOnly);
    assert!(events(&ix, 0).iter().all(|e| e.starts_with("b:")));
    assert_eq!(status(&ix, 1, "z"), [ReadStatus::Bound]);
}

#[test]
fn python2_builtins() {
    let text = r#"{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": "xrange(3)"}],
        "metadata": {"kernelspec": {"name": "python2", "language": "python"}}, "nbformat": 4, "nbformat_minor": 2}"#;
    let notebook = Notebook::from_str(text).unwrap();
    let parsed: Vec<_> = notebook.cells.iter().map(parse_cell).collect();
    let ix = SemanticIndex::build(&notebook, &parsed);
    assert_eq!(status(&ix, 0, "xrange"), [ReadStatus::Bound]);
}

#[test]
fn non_python_cell_magics_bind_their_result() {
    let ix = index(&[
        "%%bigquery df --project p\nSELECT 1\n",
        "%%sql rows <<\nSELECT 1\n",
        "%%bq query --name q\nSELECT 1\n",
        "%%R -o fit,coef\nfit <- lm(y ~ x)\n",
        "%%bigquery --project p\nSELECT 1\n",
        "%%bash\necho $x\n",
        "%sql --module stations\nSELECT 1\n",
        "%%beam_sql -o word_count -v\nSELECT word, COUNT(*) FROM words GROUP BY word\n",
        "%%beam_sql --output-name=totals\nSELECT 1\n",
        "%%beam_sql -v SELECT 1\n",
    ]);
    assert_eq!(events(&ix, 0), ["b:df"]);
    assert_eq!(u32::from(ix.events(0)[0].range.start()), 11);
    assert_eq!(events(&ix, 1), ["b:rows"]);
    assert_eq!(events(&ix, 2), ["b:q"]);
    assert_eq!(events(&ix, 3), ["b:fit", "b:coef"]);
    assert!(events(&ix, 4).is_empty());
    assert!(events(&ix, 5).is_empty());
    assert_eq!(events(&ix, 6), ["b:stations"]);
    assert_eq!(events(&ix, 7), ["b:word_count"]);
    assert_eq!(u32::from(ix.events(7)[0].range.start()), 14);
    assert_eq!(events(&ix, 8), ["b:totals"]);
    assert_eq!(u32::from(ix.events(8)[0].range.start()), 25);
    assert!(events(&ix, 9).is_empty());
}

#[test]
fn broken_cells_bind_what_their_lines_say() {
    let ix = index(&[
        "history = model.fit( # TODO\nimport a.b, c as d\nfrom e import (f, g as h)\nfor i, j in k:\n    if x == 1: pass\ndef fn(:\n",
    ]);
    let mut binds = events(&ix, 0);
    binds.sort();
    binds.dedup();
    assert_eq!(
        binds,
        [
            "b:a",
            "b:d",
            "b:f",
            "b:fn",
            "b:h",
            "b:history",
            "b:i",
            "b:j"
        ]
    );
}

#[test]
fn except_as_names_are_deleted_when_the_handler_ends() {
    let ix = index(&[
        "try:\n    risky()\nexcept ValueError as err:\n    print(err)\n",
        "print(err)\n",
    ]);
    assert!(matches!(
        status(&ix, 1, "err")[..],
        [ReadStatus::Deleted { cell: 0, .. }]
    ));
}

#[test]
fn guarded_reads() {
    for guard in [
        "Exception",
        "BaseException",
        "(KeyError, Exception)",
        "NameError",
    ] {
        let ix = index(&[&format!(
            "try:\n    print(maybe)\nexcept {guard}:\n    pass\n"
        )]);
        assert_eq!(status(&ix, 0, "maybe"), [ReadStatus::Bound], "{guard}");
    }
    let ix = index(&["try:\n    print(maybe)\nexcept KeyError:\n    pass\n"]);
    assert_eq!(status(&ix, 0, "maybe"), [ReadStatus::Undefined]);
    let ix = index(&[
        "if 'model' in globals():\n    model.fit(x)\nelse:\n    print(model)\n",
        "if 'cache' not in dir():\n    cache = {}\nelse:\n    cache.clear()\n",
    ]);
    let model = status(&ix, 0, "model");
    assert_eq!(
        model,
        [ReadStatus::Bound, ReadStatus::Undefined],
        "{model:?}"
    );
    assert!(!status(&ix, 1, "cache").contains(&ReadStatus::Undefined));
}

#[test]
fn a_name_only_augmented_is_undefined_not_bound_later() {
    let ix = index(&["counter += 1\n", "print(counter)\n"]);
    assert_eq!(status(&ix, 0, "counter"), [ReadStatus::Undefined]);
    let ix = index(&["total += 1\n", "total = 0\n"]);
    assert!(matches!(
        status(&ix, 0, "total")[..],
        [ReadStatus::BoundLater { cell: 1, .. }]
    ));
}

#[test]
fn pep_695_type_parameters_are_their_own_scope() {
    let ix = index(&[
        "def first[T](items: list[T]) -> T:\n    value: T = items[0]\n    return value\n",
        "class Box[U]:\n    def __init__(self, item: U):\n        self.item = item\n",
        "type Pair[K] = tuple[K, K]\n",
        "print(T, first, Box, Pair)\n",
    ]);
    for cell in 0..3 {
        assert!(
            !ix.events(cell).iter().any(
                |e| matches!(&e.kind, EventKind::Read(r) if r.status == ReadStatus::Undefined)
            ),
            "cell {cell}: {:?}",
            events(&ix, cell)
        );
    }
    // Outside its definition the parameter is nothing.
    assert_eq!(status(&ix, 3, "T"), [ReadStatus::Undefined]);
    assert_eq!(status(&ix, 3, "first"), [ReadStatus::Bound]);
}

#[test]
fn global_assignments_happen_when_the_function_is_called() {
    let ix = index(&[
        "counter = 0\n",
        "def bump():\n    global counter\n    counter = counter + 1\n",
        "bump()\n",
    ]);
    assert_eq!(events(&ix, 1), ["r~counter", "b:bump"]);
    assert_eq!(events(&ix, 2), ["r:bump", "r>counter", "b:counter"]);
    assert!(ix.call_write(2, ix.events(2)[2].range, "counter").is_some());
    // Never called: binds nothing.
    let ix = index(&[
        "def setup():\n    global config\n    config = 1\n",
        "print(config)\n",
    ]);
    assert_eq!(status(&ix, 1, "config"), [ReadStatus::Undefined]);
    // Passed around as a callback: when it runs is unknown, so it binds where it is defined.
    let ix = index(&[
        "def setup():\n    global config\n    config = 1\n",
        "button.on_click(setup)\n",
        "print(config)\n",
    ]);
    assert_eq!(status(&ix, 2, "config"), [ReadStatus::Bound]);
    // Calling a class runs its `__init__`.
    let ix = index(&[
        "class Model:\n    def __init__(self):\n        self.w = weights\n",
        "m = Model()\n",
        "weights = 3\n",
    ]);
    assert!(matches!(
        status(&ix, 1, "weights")[..],
        [ReadStatus::BoundLater { cell: 2, .. }]
    ));
}

#[test]
fn stacked_cell_magics_bind_what_the_inner_one_binds() {
    let ix = index(&[
        "%%with_globals\n%%bigquery df --project p\nSELECT 1\n",
        "df.head()\n",
    ]);
    assert_eq!(status(&ix, 1, "df"), [ReadStatus::Bound]);
}

#[test]
fn cell_magics_that_run_python_bind_as_ipython_does() {
    let ix = index(&[
        "%%px --local\nshared = 1\n",
        "%%timeit\ntmp = sum(range(10))\n",
        "%%capture out\nresult = 2\n",
        "%%time\ntimed = 3\n",
        "%%px\nremote_only = 4\n",
        "print(shared, tmp, out, result, timed, remote_only)\n",
    ]);
    for (name, bound) in [
        ("shared", true),
        ("tmp", false),
        ("out", true),
        ("result", true),
        ("timed", true),
        ("remote_only", false),
    ] {
        let status = status(&ix, 5, name);
        assert_eq!(status == [ReadStatus::Bound], bound, "{name}: {status:?}");
    }
}

#[test]
fn in_place_changes_happen_when_the_function_is_called() {
    let ix = index(&[
        "results = []\ndef record(x):\n    results.append(x)\n    local = []\n    local.append(x)\n",
        "record(3)\n",
    ]);
    assert_eq!(events(&ix, 0), ["b:results", "r~results", "b:record"]);
    assert_eq!(events(&ix, 1), ["r:record", "r>results", "m:results"]);
    assert!(ix.call_write(1, ix.events(1)[2].range, "results").is_some());
}

#[test]
fn bigquery_destinations_after_options() {
    let ix = index(&[
        "%%bigquery --project {PROJECT} df\nSELECT 1\n",
        "%%bigquery --use_legacy_sql rows\nSELECT 1\n",
        "%%bigquery --max_results=10 out\nSELECT 1\n",
        "print(df, rows, out)\n",
    ]);
    for name in ["df", "rows", "out"] {
        assert_eq!(status(&ix, 3, name), [ReadStatus::Bound], "{name}");
    }
}

#[test]
fn an_early_read_is_bound_by_the_first_binding_after_it() {
    let ix = index(&[
        "print(a)\nprint(b)\n",
        "b += 1\nprint(a)\n",
        "a = 1\nb = 2\n",
        "print(c)\na = 3\n",
    ]);
    for cell in [0, 1] {
        assert!(matches!(
            status(&ix, cell, "a")[..],
            [ReadStatus::BoundLater { cell: 2, .. }]
        ));
    }
    // An augmented assignment binds nothing from scratch: cell 1's `b += 1` is passed over.
    assert!(matches!(
        status(&ix, 0, "b")[..],
        [ReadStatus::BoundLater { cell: 2, .. }]
    ));
    assert_eq!(status(&ix, 3, "c"), [ReadStatus::Undefined]);
}
