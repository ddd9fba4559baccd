//! Fix, write, reload: the fixed notebook loads, and a second fix changes nothing. (That no
//! cell that parsed stops parsing is checked by the engine itself, which refuses such fixes.)
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let (settings, rules) = common::setup();
    let registry = nblint::registry();
    let path = Path::new("notebook.ipynb");
    let first = nblint_engine::fix_bytes(path, data, registry, settings, rules, true);
    let Some(text) = first.text else { return };
    nblint_notebook::Notebook::from_str(&text).expect("a fixed notebook loads");
    let second = nblint_engine::fix_bytes(path, text.as_bytes(), registry, settings, rules, true);
    if first.problems.is_empty() {
        assert!(second.text.is_none(), "a second fix changed the notebook again");
    }
});
