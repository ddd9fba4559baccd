//! The rule documentation: every rule's doc comment has the required sections, and the pages
//! in `docs/rules/` are exactly what the doc comments generate.
//!
//! After changing a rule's doc comment, regenerate with
//! `NBLINT_UPDATE_DOCS=1 cargo test -p nblint_tests --test e2e docs::`.

use std::path::{Path, PathBuf};

use nblint_engine::FixAvailability;

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules")
}

fn page_name(meta: &nblint_engine::RuleMeta) -> String {
    format!("{}-{}.md", meta.code, meta.name)
}

fn generated_pages() -> Vec<(String, String)> {
    let registry = nblint::registry();
    let mut pages: Vec<(String, String)> = registry
        .rules()
        .iter()
        .map(|r| (page_name(r.meta()), nblint::explanation(r.meta())))
        .collect();
    let mut index = String::from(
        "# Rules\n\nGenerated from the rules' doc comments; do not edit by hand.\n\n\
         | code | name | family | default | fix |\n|---|---|---|---|---|\n",
    );
    for rule in registry.rules() {
        let m = rule.meta();
        index.push_str(&format!(
            "| [{code}]({page}) | {name} | {family} | {default} | {fix} |\n",
            code = m.code,
            page = page_name(m),
            name = m.name,
            family = m.family,
            default = if m.default_enabled { "on" } else { "off" },
            fix = m.fix.describe(),
        ));
    }
    pages.push(("README.md".to_string(), index));
    pages
}

/// The options block of `docs/configuration.md`, generated from every family's declaration.
fn options_block() -> String {
    let mut block = String::new();
    for family in nblint::registry().families() {
        if family.options.meta.is_empty() {
            continue;
        }
        block.push_str(&format!("```toml\n[{}]\n", family.name));
        for option in family.options.meta {
            block.push_str(&format!(
                "# {} ({}; {})\n{} = {}\n",
                option.doc_text(),
                option.kind.describe(),
                option.rules.join(", "),
                option.name,
                option.default
            ));
        }
        block.push_str("```\n\n");
    }
    block
}

#[test]
fn configuration_docs_list_every_option() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = text
        .find("<!-- options:begin")
        .expect("options:begin marker");
    let begin = begin + text[begin..].find("-->\n").unwrap() + 4;
    let end = text
        .find("<!-- options:end -->")
        .expect("options:end marker");
    let expected = options_block();
    if std::env::var_os("NBLINT_UPDATE_DOCS").is_some() {
        let updated = format!("{}{expected}{}", &text[..begin], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &text[begin..end],
        expected,
        "the options in docs/configuration.md are stale: run NBLINT_UPDATE_DOCS=1 cargo test -p nblint_tests --test e2e docs::"
    );
}

#[test]
fn options_sections_are_generated_not_written() {
    for rule in nblint::registry().rules() {
        let meta = rule.meta();
        assert!(
            !meta.raw_doc.contains("## Options"),
            "{}: the `## Options` section is generated from the family's options; remove it from the doc comment",
            meta.code
        );
    }
}

#[test]
fn families_own_their_code_ranges() {
    let registry = nblint::registry();
    let mut prefixes = Vec::new();
    for family in registry.families() {
        let metas: Vec<_> = family.rules.iter().map(|make| make().meta()).collect();
        let prefix = &metas[0].code[..3];
        for meta in &metas {
            assert_eq!(
                meta.family, family.name,
                "{} declares the wrong family",
                meta.code
            );
            assert_eq!(
                &meta.code[..3],
                prefix,
                "{} is outside its family's range {prefix}xx",
                meta.code
            );
        }
        assert!(
            !prefixes.contains(&prefix.to_string()),
            "two families share {prefix}xx"
        );
        prefixes.push(prefix.to_string());
        for option in family.options.meta {
            for code in option.rules {
                assert!(
                    metas.iter().any(|m| m.code == *code),
                    "option `{}` of [{}] names {code}, not a rule of the family",
                    option.name,
                    family.name
                );
            }
            assert!(
                nblint_engine::options::default_value(option).is_some(),
                "the default of `{}` does not parse",
                option.name
            );
        }
    }
}

#[test]
fn every_rule_has_the_required_sections() {
    for rule in nblint::registry().rules() {
        let meta = rule.meta();
        let mut required = vec!["What it does", "Why is this bad?", "Example", "Use instead"];
        if meta.fix != FixAvailability::Never {
            required.push("Fix safety");
        }
        for section in required {
            let text = meta.section(section).unwrap_or_default();
            assert!(
                !text.trim().is_empty(),
                "{} lacks a `## {section}` section",
                meta.code
            );
        }
        assert!(
            meta.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}: names are kebab-case",
            meta.code
        );
    }
}

#[test]
fn generated_docs_are_up_to_date() {
    let dir = docs_dir();
    let update = std::env::var_os("NBLINT_UPDATE_DOCS").is_some();
    let pages = generated_pages();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
    }
    for (name, text) in &pages {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            &on_disk,
            text,
            "docs/rules/{name} is stale: run NBLINT_UPDATE_DOCS=1 cargo test -p nblint_tests --test e2e docs::"
        );
    }
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        on_disk,
        pages.len(),
        "docs/rules holds pages no rule generates"
    );
}

/// The README's rule table lists every rule, with its name and a link to its page, and no rule
/// that does not exist; its last column is prose written for the README.
#[test]
fn readme_rule_table_matches_the_registry() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let rows: Vec<(String, String, String)> = readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| [NB")?;
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = format!("NB{}", &rest[..3]);
            let link = cells[1]
                .split("](")
                .nth(1)?
                .trim_end_matches(')')
                .to_string();
            Some((code, cells[2].to_string(), link))
        })
        .collect();
    let expected: Vec<(String, String, String)> = nblint::registry()
        .rules()
        .iter()
        .map(|r| {
            let m = r.meta();
            (
                m.code.to_string(),
                m.name.to_string(),
                format!("docs/rules/{}", page_name(m)),
            )
        })
        .collect();
    assert_eq!(rows, expected, "the README's rule table is out of date");
}
