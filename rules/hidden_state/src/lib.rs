//! The hidden-state family (NB1xx): what makes a notebook's results depend on state that the
//! file does not show. Execution-count rules read the saved counts; the others are queries
//! over the engine's cross-cell semantic index.

mod cross_cell_mutation;
mod execution_count_gap;
mod non_idempotent_cell;
mod out_of_order_execution;
mod undefined_name;
mod unexecuted_cell;
mod use_before_definition;

use nblint_engine::nblint_notebook::Notebook;
use nblint_engine::{declare_options, rules, Family, OptionsDecl};

pub use cross_cell_mutation::CrossCellMutation;
pub use execution_count_gap::ExecutionCountGap;
pub use non_idempotent_cell::NonIdempotentCell;
pub use out_of_order_execution::OutOfOrderExecution;
pub use undefined_name::UndefinedName;
pub use unexecuted_cell::UnexecutedCell;
pub use use_before_definition::UseBeforeDefinition;

/// The family's configuration table: `[hidden-state]`.
pub const NAME: &str = "hidden-state";

pub const FAMILY: Family = Family {
    name: NAME,
    description: "results that depend on cells run out of order, removed, or changed since",
    rules: rules![
        OutOfOrderExecution,
        UnexecutedCell,
        UseBeforeDefinition,
        UndefinedName,
        CrossCellMutation,
        NonIdempotentCell,
        ExecutionCountGap,
    ],
    options: OptionsDecl::of::<HiddenStateOptions>(),
    redact: None,
};

declare_options! {
    /// The options of the hidden-state family: `[hidden-state]`.
    pub struct HiddenStateOptions {
        /// How many later cells may change a variable before it is reported.
        max_mutating_cells: Count = "3", key = "max-mutating-cells", rules = ["NB105"];
        /// The largest jump between the execution counts of consecutive executed cells.
        max_gap: Count = "1", key = "max-gap", rules = ["NB107"];
        /// Names the runtime provides besides Python's builtins and IPython's globals: what a
        /// hosted platform or an IPython startup file injects. The default lists what Spark
        /// notebook runtimes (Databricks, Dataproc, EMR, Synapse, the PySpark kernel) inject;
        /// setting the option replaces it.
        builtins: Texts = "['spark', 'sc', 'sqlContext', 'dbutils']", key = "builtins", rules = ["NB103", "NB104"];
    }
}

/// The code cells that were run, in document order: `(cell index, execution count)`. Cells
/// with an empty source are left out: nbformat 3 files keep stale prompt numbers on them.
fn executed_cells(notebook: &Notebook) -> Vec<(usize, i64)> {
    notebook
        .cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.is_code() && !cell.source.trim().is_empty())
        .filter_map(|(i, cell)| cell.execution_count.map(|count| (i, count)))
        .collect()
}
