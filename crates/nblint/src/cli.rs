//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "nblint",
    version,
    about = "A linter for Jupyter notebooks",
    long_about = "A linter for Jupyter notebooks: finds what keeps a notebook from becoming \
                  production code, points at the cell and line, and explains why it matters. \
                  It never runs notebook code and never uses the network."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint notebooks (directories are walked for `.ipynb` files, `.gitignore` respected)
    Check(CheckArgs),
    /// Explain a rule: what it does, why it matters, what to write instead
    Rule(RuleArgs),
    /// List every rule: code, name, family, whether it is on by default, fix
    Rules(RulesArgs),
    /// Remove the result cache (`.nblint_cache` in the current directory, or --cache-dir)
    Clean(CleanArgs),
    /// Draw a notebook's dataflow: which cells read what others bind, and what is wrong
    Graph(GraphArgs),
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The notebooks to draw
    #[arg(required = true)]
    pub notebooks: Vec<PathBuf>,

    /// Mermaid (GitHub renders it in Markdown), Graphviz DOT, or JSON for other tools
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,

    /// Write the graph to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Draw imports as cells, with an edge to every cell that uses a module (by default the
    /// cells of imports only are one node, and reads of imported names draw no edge)
    #[arg(long)]
    pub imports: bool,

    /// Draw only the cells with findings (of the rules `nblint check` runs on the notebook, with
    /// its configuration), labelled with their codes, and what connects them
    #[arg(long)]
    pub findings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// The cache directory to remove [default: .nblint_cache]
    #[arg(long, value_name = "DIR", env = "NBLINT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Notebooks or directories to lint [default: .]
    pub paths: Vec<PathBuf>,

    /// Rules to enable instead of the configured set: codes (NB101), prefixes (NB1), names, ALL
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,

    /// Rules to enable in addition to the configured set
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,

    /// Rules to disable
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Use this configuration file for every notebook instead of discovering one per directory
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How to print findings [default: full on a terminal, concise otherwise]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output_format: Option<OutputFormat>,

    /// Write findings to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Also write a report in FORMAT to FILE (repeatable): `--output sarif=nblint.sarif`
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_output)]
    pub output: Vec<(OutputFormat, PathBuf)>,

    /// Print how many findings each rule has (and how many are fixable) instead of the findings
    #[arg(long)]
    pub statistics: bool,

    /// Never show a progress bar (it shows only on a terminal, for runs over about a second)
    #[arg(long)]
    pub no_progress: bool,

    /// Exit with 0 even when there are findings (errors still exit with 2)
    #[arg(long)]
    pub exit_zero: bool,

    /// Number of threads to lint with [default: the number of cores]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Print nothing on standard error but errors
    #[arg(long, short)]
    pub quiet: bool,

    /// Apply the safe fixes, rewriting only what they change; notebooks with nothing to fix
    /// are never written
    #[arg(long)]
    pub fix: bool,

    /// Also apply the unsafe fixes (with --fix or --diff), and mark them as available
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Apply the fixes like --fix and report nothing that remains (exit 0 unless an error)
    #[arg(long, conflicts_with = "diff")]
    pub fix_only: bool,

    /// Print what --fix would change, as a unified diff of each changed cell's source (and a
    /// line for cleared outputs), write nothing, and exit 1 when there is a change
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// Do not read or write the result cache
    #[arg(long)]
    pub no_cache: bool,

    /// Where to keep the result cache [default: .nblint_cache in the current directory]
    #[arg(long, value_name = "DIR", env = "NBLINT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Graphical diagnostics with the cell's code as the snippet
    Full,
    /// One line per finding: `path:cell N:line:col: CODE message`
    Concise,
    /// A JSON array with every field of every finding
    Json,
    /// One JSON object per line per finding
    JsonLines,
    /// SARIF 2.1.0, for editors and code scanning
    Sarif,
    /// GitHub Actions annotations (and the job summary when $GITHUB_STEP_SUMMARY is set)
    Github,
    /// A GitLab Code Quality report
    Gitlab,
    /// JUnit XML, one test case per finding
    Junit,
    /// reviewdog's Diagnostic Format, with fixes as suggestions
    Rdjson,
}

impl OutputFormat {
    /// Formats meant for programs: no progress bar and no colour.
    pub fn is_machine(self) -> bool {
        !matches!(self, OutputFormat::Full | OutputFormat::Concise)
    }
}

/// `FORMAT=FILE` for `--output`.
fn parse_output(text: &str) -> Result<(OutputFormat, PathBuf), String> {
    let (format, file) = text.split_once('=').ok_or_else(|| {
        format!("expected FORMAT=FILE, such as `sarif=nblint.sarif`, not `{text}`")
    })?;
    let format = <OutputFormat as ValueEnum>::from_str(format, true).map_err(|_| {
        let names: Vec<String> = OutputFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("unknown format `{format}` (one of: {})", names.join(", "))
    })?;
    if file.is_empty() {
        return Err(format!("`{text}` names no file"));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// A rule code or name
    #[arg(required_unless_present = "all")]
    pub rule: Option<String>,

    /// Explain every rule
    #[arg(long, conflicts_with = "rule")]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Print the table as JSON
    #[arg(long)]
    pub json: bool,
}
