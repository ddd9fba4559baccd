//! Every rule's documentation runs: the code of its `## Example` section raises the rule, and
//! the code of its `## Use instead` section does not. One test per rule, named by its code
//! (`cargo test -p nblint_tests NB105`), and a test that fails when a registered rule has none.
//!
//! A section's fenced code blocks become one notebook, linted with only that rule selected
//! (`--select NB107` also enables a rule that is off by default):
//!
//! - ` ```python ` blocks are percent-format text ([`nblint_tests::percent`]): `# %%` markers
//!   make several cells, and a block without one is one cell. Markers carry execution counts
//!   (`# %% cell 2, execution count [7]`, for NB101, NB102, NB107) and `#>` lines saved outputs
//!   (`#> sk-proj-...`, for NB403). Several blocks are cells one after the other.
//! - A ` ```json ` block that is a whole notebook, or not valid JSON at all, is the file itself
//!   (NB001 shows a broken file that way); it must then be the section's only block.
//! - Any other ` ```json ` block is a fragment deep-merged into the notebook the other blocks
//!   make, or into an empty one: `{"metadata": {...}}` is notebook metadata (NB404).
//!
//! - A ` ```toml ` block is the `nblint.toml` written beside the notebook: a section can show a
//!   rule with its limits lowered (`[mega-cells]` / `max-lines = 3`) instead of pages of code.
//!
//! Prose outside the code blocks is not run, so a section can say more than its code shows.

use nblint_tests::{nblint, percent};
use serde_json::Value;

/// One fenced code block of a documentation section.
struct Block {
    language: String,
    text: String,
}

fn code_blocks(section: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in section.lines() {
        match (open.as_mut(), line.trim_start().strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    language: info.trim().to_string(),
                    text: String::new(),
                });
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                blocks.extend(open.take());
            }
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a code block is not closed:\n{section}");
    blocks
}

/// The `.ipynb` text a section's code blocks make (see the module documentation).
fn notebook_of(code: &str, heading: &str, blocks: &[Block]) -> String {
    let whole = |block: &Block| {
        block.language == "json"
            && serde_json::from_str::<Value>(&block.text)
                .map_or(true, |value| value.get("nbformat").is_some())
    };
    if let Some(file) = blocks.iter().find(|b| whole(b)) {
        assert_eq!(
            blocks.len(),
            1,
            "{code} `## {heading}`: a block that is a whole notebook file must be the only one"
        );
        return file.text.clone();
    }
    let mut language = None;
    let mut text = String::new();
    let mut fragments = Vec::new();
    for block in blocks {
        let kernel = match block.language.as_str() {
            "toml" => continue,
            "json" => {
                fragments.push(serde_json::from_str::<Value>(&block.text).unwrap());
                continue;
            }
            "python" | "py" | "ipython" => "python",
            "julia" | "r" | "R" => block.language.as_str(),
            other => panic!(
                "{code} `## {heading}`: cannot run a ```{other} block; write ```python (percent \
                 format) or ```json, or teach tests/tests/examples.rs the language"
            ),
        };
        assert!(
            language.is_none_or(|l| l == kernel),
            "{code} `## {heading}`: blocks of two languages"
        );
        language = Some(kernel);
        // A later block starts a cell of its own, marker or not.
        if !text.is_empty() && !block.text.trim_start().starts_with("# %%") {
            text.push_str("# %%\n");
        }
        text.push_str(&block.text);
    }
    let mut notebook = percent::Percent::new(&text).language(language.unwrap_or("python"));
    for fragment in fragments {
        notebook = notebook.merge(fragment);
    }
    match notebook.try_json() {
        Ok(json) => percent::to_ipynb(&json),
        Err(err) => panic!("{code} `## {heading}`: {err}\n{text}"),
    }
}

/// Lints the notebook of one section with only `code` selected: the concise report.
fn lint_section(code: &str, heading: &str) -> (String, String) {
    let meta = nblint::registry()
        .get(code)
        .unwrap_or_else(|| panic!("no rule {code} is registered"));
    let section = meta
        .section(heading)
        .unwrap_or_else(|| panic!("{code} has no `## {heading}` section"));
    let blocks = code_blocks(&section);
    assert!(
        !blocks.is_empty(),
        "{code} `## {heading}` has no code block to run:\n{section}"
    );
    let notebook = notebook_of(code, heading, &blocks);
    let dir = tempfile::tempdir().unwrap();
    for config in blocks.iter().filter(|b| b.language == "toml") {
        std::fs::write(dir.path().join("nblint.toml"), &config.text).unwrap();
    }
    let path = dir.path().join("example.ipynb");
    std::fs::write(&path, &notebook).unwrap();
    let path = path.to_str().unwrap();
    let run = nblint(&[
        "check",
        "--select",
        code,
        "--output-format",
        "concise",
        path,
    ]);
    assert!(run.status <= 1, "{code} `## {heading}`: {}", run.stderr);
    let report = run.stdout.replace(path, "example.ipynb");
    let shown = format!("`## {heading}` of {code}:\n{section}\n\nnblint:\n{report}");
    (report, shown)
}

fn raises(report: &str, code: &str) -> bool {
    report
        .lines()
        .any(|line| line.split_whitespace().any(|word| word == code))
}

/// The test of one rule's documentation.
fn check_examples(code: &str) {
    let (report, shown) = lint_section(code, "Example");
    assert!(
        raises(&report, code),
        "the Example does not raise {code}\n{shown}"
    );
    let (report, shown) = lint_section(code, "Use instead");
    assert!(
        !raises(&report, code),
        "the Use instead code raises {code}\n{shown}"
    );
}

macro_rules! examples {
    ($($code:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)] // named as the rule, so `cargo test NB105` finds it
            fn $code() {
                check_examples(stringify!($code));
            }
        )*

        /// The rules tested above.
        const TESTED: &[&str] = &[$(stringify!($code)),*];
    };
}

examples![
    NB001, NB002, NB101, NB102, NB103, NB104, NB105, NB106, NB107, NB201, NB202, NB301, NB302,
    NB303, NB304, NB401, NB402, NB403, NB404, NB501, NB502, NB503, NB601, NB602, NB603, NB701,
    NB702, NB703, NB704, NB705, NB706, NB707,
];

#[test]
fn every_rule_has_an_examples_test() {
    let registered: Vec<&str> = nblint::registry()
        .rules()
        .iter()
        .map(|rule| rule.meta().code)
        .collect();
    let missing: Vec<_> = registered.iter().filter(|c| !TESTED.contains(c)).collect();
    assert!(
        missing.is_empty(),
        "add {missing:?} to `examples!` in tests/tests/examples.rs"
    );
    let unknown: Vec<_> = TESTED.iter().filter(|c| !registered.contains(c)).collect();
    assert!(
        unknown.is_empty(),
        "`examples!` names {unknown:?}, which no rule has"
    );
}

#[test]
fn code_blocks_and_notebooks_of_sections() {
    let blocks = code_blocks("Prose.\n```python\na = 1\n```\nMore.\n```json\n{\"metadata\": {\"k\": \"v\"}}\n```\n```python\n# %%\nb\n```");
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].text, "a = 1\n");
    let notebook: Value = serde_json::from_str(&notebook_of("NB000", "Example", &blocks)).unwrap();
    assert_eq!(notebook["metadata"]["k"], "v");
    assert_eq!(notebook["metadata"]["kernelspec"]["name"], "python3");
    assert_eq!(notebook["cells"].as_array().unwrap().len(), 2);
    // A later block without a marker is a cell of its own.
    let blocks = code_blocks("```python\na\n```\n```python\nb\n```");
    let notebook: Value = serde_json::from_str(&notebook_of("NB000", "Example", &blocks)).unwrap();
    assert_eq!(notebook["cells"][1]["source"], serde_json::json!(["b"]));
    // A broken or whole notebook is the file itself.
    let blocks = code_blocks("```json\n{\"cells\": [],}\n```");
    assert_eq!(
        notebook_of("NB000", "Example", &blocks),
        "{\"cells\": [],}\n"
    );
}
