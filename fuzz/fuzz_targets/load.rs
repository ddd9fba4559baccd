//! Notebook loading and the raw-file source map: any bytes either load or give an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = nblint_notebook::decode_text(data) else {
        return;
    };
    let Ok(notebook) = nblint_notebook::Notebook::from_str(text) else {
        return;
    };
    let cells: Vec<_> = notebook.cells.iter().map(nblint_notebook::parse_cell).collect();
    assert_eq!(cells.len(), notebook.cells.len());
    if let Some(raw) = nblint_notebook::RawMap::scan(text, notebook.upgraded_from == Some(3)) {
        for (index, cell) in notebook.cells.iter().enumerate() {
            // Every source offset maps inside the raw text.
            for offset in [0, cell.source.len() / 2, cell.source.len()] {
                if let Some(at) = raw.source_offset(index, offset) {
                    assert!(at <= text.len());
                }
            }
        }
    }
});
