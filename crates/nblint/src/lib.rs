//! The `nblint` binary: the command line, file discovery, the parallel lint over files, and
//! the reporters. It wires the rule families into the engine's registry; it holds no rule
//! logic of its own.
//!
//! Machine formats go to standard output (or `--output-file`) and nothing else does; progress,
//! skipped files and the summary go to standard error.

pub mod cache;
pub mod cli;
pub mod discover;
pub mod graph;
pub mod report;

use std::ffi::OsString;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::Parser;
use nblint_engine::{FileReport, Overrides, Registry, Selector};
use rayon::prelude::*;

use cache::{Cache, Lookup};
use cli::{
    CheckArgs, CleanArgs, Cli, Command, GraphArgs, GraphFormat, OutputFormat, RuleArgs, RulesArgs,
};
use discover::{discover, SettingsResolver, Target};

/// Exit status: no findings.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: a usage, configuration, I/O or internal error.
pub const EXIT_ERROR: u8 = 2;

/// The stack of each lint thread.
pub const LINT_STACK_SIZE: usize = 64 * 1024 * 1024;

/// Every rule family nblint ships, in code order.
pub fn families() -> Vec<nblint_engine::Family> {
    vec![
        nblint_engine::system::FAMILY,
        nblint_hidden_state::FAMILY,
        nblint_credentials::FAMILY,
        nblint_magic_numbers::FAMILY,
        nblint_hardcoded_paths::FAMILY,
        nblint_import_scatter::FAMILY,
        nblint_mega_cells::FAMILY,
        nblint_reproducibility::FAMILY,
    ]
}

/// The registry of every rule, built once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::new(&families()))
}

/// What the binary knows of the terminal it runs in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub stdout_is_terminal: bool,
    /// Standard error is a terminal: a progress bar may show there.
    pub stderr_is_terminal: bool,
    pub color: bool,
}

/// Runs nblint with `args` (the program name first) and returns the exit status.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write, terminal: Terminal) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // The Python parser's rare panics are caught per cell and reported as syntax errors:
    // they print nothing.
    nblint_notebook::python::quiet_parser_panics();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let text = if terminal.color {
                err.render().ansi().to_string()
            } else {
                err.render().to_string()
            };
            return if err.use_stderr() {
                let _ = write!(stderr, "{text}");
                EXIT_ERROR
            } else {
                let _ = write!(stdout, "{text}");
                EXIT_CLEAN
            };
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(args, stdout, stderr, terminal),
        Command::Rule(args) => explain(&args, stdout),
        Command::Rules(args) => list_rules(&args, stdout),
        Command::Clean(args) => clean(&args, stderr),
        Command::Graph(args) => draw(&args, stdout, stderr),
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            EXIT_ERROR
        }
    }
}

fn selectors(registry: &Registry, texts: &[String]) -> Result<Vec<Selector>, String> {
    texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| registry.selector(t).map_err(|e| e.to_string()))
        .collect()
}

/// The outcome of one file.
enum Outcome {
    /// The report, the codes of the findings fixed, and (for `--diff`) the diff.
    Linted(FileReport, Vec<&'static str>, String),
    Failed(String),
}

/// What to do with fixes.
#[derive(Debug, Clone, Copy, Default)]
struct FixMode {
    apply: bool,
    unsafe_fixes: bool,
    /// Compute the fixes but write nothing: report their diff.
    diff: bool,
}

/// Walks `paths` on this thread while the pool lints each notebook as soon as the walk finds
/// it: the walk (a few milliseconds of system calls on a large tree) no longer leaves the
/// pool idle. The outcomes come in the order of the walk's result; on a configuration error,
/// what was linted is dropped and the error returned, as when the walk comes first.
fn lint_while_walking(
    paths: &[PathBuf],
    resolver: SettingsResolver,
    cwd: &std::path::Path,
    pool: &rayon::ThreadPool,
    lint: &(dyn Fn(&Target) -> Outcome + Sync),
) -> Result<(discover::Discovered, Vec<Outcome>), String> {
    let (sender, receiver) = std::sync::mpsc::channel::<Target>();
    let (discovered, mut linted) = std::thread::scope(|scope| {
        let linting = scope.spawn(move || {
            pool.install(|| {
                receiver
                    .into_iter()
                    .par_bridge()
                    .map(|target| {
                        let outcome = lint(&target);
                        (target.absolute, outcome)
                    })
                    .collect::<std::collections::HashMap<PathBuf, Outcome>>()
            })
        });
        let discovered = discover::discover_with(paths, resolver, cwd, &mut |target| {
            // The receiver lives until every target is sent.
            let _ = sender.send(target.clone());
        });
        drop(sender);
        let linted = linting
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (discovered, linted)
    });
    let discovered = discovered.map_err(|e| e.to_string())?;
    let outcomes = discovered
        .targets
        .iter()
        .map(|target| {
            linted
                .remove(&target.absolute)
                .unwrap_or_else(|| lint(target))
        })
        .collect();
    Ok((discovered, outcomes))
}

/// Lints one target. `snippets`: whether some report of the run shows cell sources (`full`);
/// without them, and without a cache to store them in, reports keep no sources.
fn lint_target(
    target: &Target,
    registry: &'static Registry,
    mode: FixMode,
    cache: Option<&Cache>,
    snippets: bool,
) -> Outcome {
    let rules = target.settings.rules_for(registry, &target.absolute);
    if let Ok(metadata) = std::fs::metadata(&target.absolute) {
        if metadata.len() > nblint_engine::lint::MAX_FILE_SIZE {
            let report =
                nblint_engine::lint::too_large(&target.display, metadata.len(), registry, &rules);
            return Outcome::Linted(report, Vec::new(), String::new());
        }
    }
    let cached =
        cache.map(|cache| cache.lookup(&target.absolute, &target.display, &target.settings));
    let bytes = match cached {
        Some(Lookup::Hit(report)) => return Outcome::Linted(report, Vec::new(), String::new()),
        Some(Lookup::Miss { bytes: Some(bytes) }) => bytes,
        _ => match std::fs::read(&target.absolute) {
            Ok(bytes) => bytes,
            Err(err) => return Outcome::Failed(format!("{}: {err}", target.display.display())),
        },
    };
    let linted = catch_unwind(AssertUnwindSafe(|| {
        if !mode.apply && !mode.diff {
            let sources = if snippets || cache.is_some() {
                nblint_engine::lint::Sources::Kept
            } else {
                nblint_engine::lint::Sources::Dropped
            };
            let report = nblint_engine::lint_bytes_with(
                &target.display,
                &bytes,
                registry,
                &target.settings,
                &rules,
                sources,
            );
            if let Some(cache) = cache {
                cache.store(&target.absolute, &target.settings, &bytes, &report);
            }
            return Ok((report, Vec::new(), String::new()));
        }
        let outcome = nblint_engine::fix_bytes(
            &target.display,
            &bytes,
            registry,
            &target.settings,
            &rules,
            mode.unsafe_fixes,
        );
        let mut diff = String::new();
        if let Some(text) = &outcome.text {
            if mode.diff {
                // The sources findings point into come redacted: what every rule found secret
                // (literals an AST rule found included) stays masked in the diff too.
                let before = nblint_engine::lint_bytes(
                    &target.display,
                    &bytes,
                    registry,
                    &target.settings,
                    &rules,
                );
                diff = fix_diff(
                    &target.display,
                    &bytes,
                    text,
                    [&before.cell_sources, &outcome.report.cell_sources],
                );
            } else {
                nblint_notebook::writer::write_atomic(&target.absolute, text).map_err(|e| {
                    format!("{}: cannot write the fixes: {e}", target.display.display())
                })?;
            }
        }
        match outcome.problems.first() {
            Some(problem) => Err(format!("{}: {problem}", target.display.display())),
            None => Ok((outcome.report, outcome.fixed, diff)),
        }
    }));
    match linted {
        Ok(Ok((report, fixed, diff))) => Outcome::Linted(report, fixed, diff),
        Ok(Err(message)) => Outcome::Failed(message),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Outcome::Failed(format!(
                "{}: internal error while linting ({what}); this is a bug in nblint, please report it",
                target.display.display()
            ))
        }
    }
}

fn check(
    args: CheckArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> Result<u8, String> {
    let registry = registry();
    let overrides = Overrides {
        select: args
            .select
            .as_deref()
            .map(|s| selectors(registry, s))
            .transpose()?,
        extend_select: selectors(registry, &args.extend_select)?,
        ignore: selectors(registry, &args.ignore)?,
    };
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let resolver = SettingsResolver::new(registry, overrides, args.config.as_deref(), cwd.clone())
        .map_err(|e| e.to_string())?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };

    // Parsing and walking Python is recursive: the parser refuses what is deeper than Python
    // accepts, and the stack leaves room for the deepest tree it lets through, in debug
    // builds too. Only the pages a thread touches are ever committed.
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(LINT_STACK_SIZE);
    if let Some(threads) = args.threads.filter(|&n| n > 0) {
        pool = pool.num_threads(threads);
    }
    let pool = pool
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let mode = FixMode {
        apply: args.fix || args.fix_only,
        unsafe_fixes: args.unsafe_fixes,
        diff: args.diff,
    };
    let format = args
        .output_format
        .unwrap_or(if terminal.stdout_is_terminal {
            OutputFormat::Full
        } else {
            OutputFormat::Concise
        });
    let file_edits = std::iter::once(format)
        .chain(args.output.iter().map(|(f, _)| *f))
        .any(|f| matches!(f, OutputFormat::Sarif | OutputFormat::Rdjson));
    if file_edits {
        nblint_engine::lint::want_file_edits();
    }
    // Only `full` and `concise` show no raw-file positions.
    if std::iter::once(format)
        .chain(args.output.iter().map(|(f, _)| *f))
        .any(|f| !matches!(f, OutputFormat::Full | OutputFormat::Concise))
    {
        nblint_engine::lint::want_file_positions();
    }
    // Only `full` shows snippets of cell sources.
    let snippets = std::iter::once(format)
        .chain(args.output.iter().map(|(f, _)| *f))
        .any(|f| f == OutputFormat::Full);
    // `--fix` and `--diff` read every file they may change: they neither read nor write the
    // cache.
    let cache = (!args.no_cache && !mode.apply && !mode.diff).then(|| {
        Cache::new(
            &args
                .cache_dir
                .clone()
                .unwrap_or_else(|| cwd.join(cache::DIR_NAME)),
            file_edits,
            snippets,
        )
    });
    let show_progress = terminal.stderr_is_terminal
        && !args.quiet
        && !args.no_progress
        && !format.is_machine()
        && !args.diff;
    let lint = |target: &Target| lint_target(target, registry, mode, cache.as_ref(), snippets);
    let (discovered, outcomes) = if show_progress || mode.apply {
        // The progress bar needs the count first, and `--fix` writes nothing before the walk
        // has found every configuration valid: the walk ends before linting starts.
        let discovered = discover(&paths, resolver, &cwd).map_err(|e| e.to_string())?;
        let progress = Progress::new(show_progress, discovered.targets.len());
        // One notebook per job: rayon's default split stops at a few long runs of notebooks,
        // and the last of them kept one thread busy for tens of milliseconds while the others
        // waited.
        let outcomes: Vec<Outcome> = pool.install(|| {
            discovered
                .targets
                .par_iter()
                .with_max_len(1)
                .map(|target| {
                    let outcome = lint(target);
                    progress.advance();
                    outcome
                })
                .collect()
        });
        progress.finish();
        (discovered, outcomes)
    } else {
        lint_while_walking(&paths, resolver, &cwd, &pool, &lint)?
    };

    let mut errors = discovered.errors;
    let mut reports = Vec::with_capacity(outcomes.len());
    let mut fixed = 0usize;
    let mut diffs = String::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Linted(report, codes, diff) => {
                fixed += codes.len();
                diffs.push_str(&diff);
                reports.push(report);
            }
            Outcome::Failed(message) => errors.push(message),
        }
    }

    if args.diff {
        let _ = write!(stdout, "{diffs}");
        for message in &errors {
            let _ = writeln!(stderr, "error: {message}");
        }
        if !args.quiet {
            let _ = writeln!(stderr, "Would fix {fixed} {}.", plural(fixed, "finding"));
        }
        return Ok(if !errors.is_empty() {
            EXIT_ERROR
        } else if !diffs.is_empty() {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        });
    }
    if args.fix_only {
        for message in &errors {
            let _ = writeln!(stderr, "error: {message}");
        }
        if !args.quiet {
            let _ = writeln!(stderr, "Fixed {fixed} {}.", plural(fixed, "finding"));
        }
        return Ok(if errors.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_ERROR
        });
    }
    let pool = std::sync::Arc::new(pool);
    let context = report::Context {
        pool: Some(pool.clone()),
        ..report::Context::new(
            registry,
            cwd.clone(),
            terminal.color && !format.is_machine(),
            args.unsafe_fixes,
        )
    };
    let plain = report::Context {
        color: false,
        pool: Some(pool),
        ..report::Context::new(registry, cwd.clone(), false, args.unsafe_fixes)
    };
    let to_file = |format: OutputFormat, path: &std::path::Path| {
        std::fs::File::create(path)
            .and_then(|file| {
                let mut file = std::io::BufWriter::new(file);
                report::write(format, &reports, &mut file, &plain)?;
                file.flush()
            })
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let written = if args.statistics {
        report::statistics::write(&reports, stdout, args.unsafe_fixes)
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write the report: {e}"))
    } else {
        match &args.output_file {
            Some(path) => to_file(format, path),
            None => {
                // Standard output is line-buffered: each write of a large report (SARIF is
                // pretty-printed in many small writes) would search its bytes for the last
                // line break. One buffer in front of it writes whole blocks.
                let mut out = std::io::BufWriter::with_capacity(64 * 1024, &mut *stdout);
                report::write(format, &reports, &mut out, &context)
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("cannot write the report: {e}"))
            }
        }
    };
    if let Err(message) = written {
        errors.push(message);
    }
    for (format, path) in &args.output {
        if let Err(message) = to_file(*format, path) {
            errors.push(message);
        }
    }
    // GitHub shows ten annotations per level and step: the job summary gets them all.
    let github = format == OutputFormat::Github
        || args.output.iter().any(|(f, _)| *f == OutputFormat::Github);
    if github {
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&summary)
                .and_then(|mut file| file.write_all(report::github::summary(&reports).as_bytes()));
            if let Err(e) = appended {
                errors.push(format!(
                    "cannot write the job summary to {}: {e}",
                    PathBuf::from(summary).display()
                ));
            }
        }
    }

    let findings = report::count(&reports);
    // A run over a large tree writes a note per notebook: one buffer, not a system call for
    // every piece of every line.
    let mut notes = std::io::BufWriter::with_capacity(16 * 1024, &mut *stderr);
    let skipped: Vec<&FileReport> = reports.iter().filter(|r| r.skipped.is_some()).collect();
    for message in &errors {
        let _ = writeln!(notes, "error: {message}");
    }
    if !args.quiet {
        for report in &reports {
            for note in &report.notes {
                let _ = writeln!(notes, "note: {}: {note}", report.path.display());
            }
        }
        for report in &skipped {
            let _ = writeln!(
                notes,
                "note: {}: {}",
                report.path.display(),
                report.skipped.as_deref().unwrap_or_default()
            );
        }
        let files = reports.len();
        let with_findings = reports.iter().filter(|r| !r.findings.is_empty()).count();
        let summary = if findings == 0 {
            format!(
                "All checks passed ({files} {} checked",
                plural(files, "notebook")
            )
        } else {
            format!(
                "Found {findings} {} in {with_findings} {} ({files} checked",
                plural(findings, "finding"),
                plural(with_findings, "notebook")
            )
        };
        let skipped_note = if skipped.is_empty() {
            String::new()
        } else {
            format!(
                ", {} not Python: only the rules that need no Python ran",
                skipped.len()
            )
        };
        let _ = writeln!(notes, "{summary}{skipped_note}).");
        if args.fix {
            let _ = writeln!(
                notes,
                "Fixed {fixed} {} ({findings} remaining).",
                plural(fixed, "finding")
            );
        } else {
            let fixable = report::fixable(&reports, args.unsafe_fixes);
            if fixable > 0 {
                let _ = writeln!(
                    notes,
                    "[*] {fixable} fixable with `--fix{}`.",
                    if args.unsafe_fixes {
                        " --unsafe-fixes"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    let _ = notes.flush();
    drop(notes);

    Ok(if !errors.is_empty() {
        EXIT_ERROR
    } else if findings > 0 && !args.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// What `--fix` would change in a notebook: a unified diff of each changed cell's source,
/// headed `path:cell N`, and a line for each cell whose outputs would be cleared.
fn fix_diff(
    path: &std::path::Path,
    before: &[u8],
    after: &str,
    redacted: [&std::collections::BTreeMap<usize, String>; 2],
) -> String {
    let (Ok(text), Ok(fixed)) = (
        nblint_notebook::decode_text(before),
        nblint_notebook::Notebook::from_str(after),
    ) else {
        return String::new();
    };
    let Ok(original) = nblint_notebook::Notebook::from_str(text) else {
        return String::new();
    };
    // Cells are matched by source, so a cell a fix inserts (a parameters cell) or splits off
    // shows as new instead of shifting every cell after it.
    let old: Vec<&str> = original.cells.iter().map(|c| c.source.as_str()).collect();
    let new: Vec<&str> = fixed.cells.iter().map(|c| c.source.as_str()).collect();
    let side = |i: usize, index: usize, source: &str| {
        masked(redacted[i].get(&index).map_or(source, String::as_str))
    };
    let mut out = String::new();
    let mut unified = |from: &str, to: &str, old_header: &str, new_header: &str| {
        let diff = similar::TextDiff::from_lines(from, to);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(old_header, new_header)
                .to_string(),
        );
        if !out.ends_with('\n') {
            out.push('\n');
        }
    };
    let mut cleared = Vec::new();
    let mut pair = |o: usize, n: usize, unified: &mut dyn FnMut(&str, &str, &str, &str)| {
        let (a, b) = (&original.cells[o], &fixed.cells[n]);
        let header = format!("{}:cell {}", path.display(), o + 1);
        if a.source != b.source {
            unified(
                &side(0, o, &a.source),
                &side(1, n, &b.source),
                &header,
                &header,
            );
        }
        if a.outputs.len() != b.outputs.len() || a.execution_count != b.execution_count {
            cleared.push(format!(
                "{header}: {} cleared\n",
                if a.outputs.is_empty() {
                    "execution count".to_string()
                } else {
                    format!("{} {}", a.outputs.len(), plural(a.outputs.len(), "output"))
                }
            ));
        }
    };
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        // Within a block of changed cells, each old cell goes with the most similar new cell
        // after the previous match; new cells left over were inserted, old ones removed.
        let mut matched: Vec<(usize, usize)> = Vec::new();
        let mut next = new_range.start;
        for o in old_range.clone() {
            let left = old_range.end - o - 1;
            let last = new_range.end.saturating_sub(left);
            let best = (next..last).max_by(|&x, &y| {
                let ratio = |n: usize| similar::TextDiff::from_lines(old[o], new[n]).ratio();
                ratio(x).total_cmp(&ratio(y)).then(y.cmp(&x))
            });
            if let Some(n) = best {
                matched.push((o, n));
                next = n + 1;
            }
        }
        for n in new_range.clone() {
            match matched.iter().find(|(_, m)| *m == n) {
                Some(&(o, _)) => pair(o, n, &mut unified),
                None => {
                    let header = format!("{}:new cell {}", path.display(), n + 1);
                    unified(
                        "",
                        &side(1, n, &fixed.cells[n].source),
                        "/dev/null",
                        &header,
                    );
                }
            }
        }
        for o in old_range.filter(|o| !matched.iter().any(|(m, _)| m == o)) {
            let header = format!("{}:cell {}", path.display(), o + 1);
            unified(
                &side(0, o, &original.cells[o].source),
                "",
                &header,
                "/dev/null",
            );
        }
    }
    for line in cleared {
        out.push_str(&line);
    }
    out
}

/// The text with every secret any family's redactor finds masked.
fn masked(text: &str) -> String {
    let ranges: Vec<nblint_engine::ruff_text_size::TextRange> = registry()
        .redactors()
        .flat_map(|redact| redact(text))
        .filter_map(|r| {
            Some(nblint_engine::ruff_text_size::TextRange::new(
                u32::try_from(r.start).ok()?.into(),
                u32::try_from(r.end).ok()?.into(),
            ))
        })
        .collect();
    nblint_engine::lint::redact_ranges(text, &ranges)
}

/// A progress bar on standard error for runs longer than about a second, on a terminal only:
/// hidden at first, drawn once a second has passed, cleared at the end.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: std::time::Instant,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// After this long a run shows its progress.
    const DELAY: std::time::Duration = std::time::Duration::from_millis(1000);

    fn new(enabled: bool, total: usize) -> Progress {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} linting {pos}/{len} notebooks [{elapsed}] {wide_bar}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            started: std::time::Instant::now(),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn advance(&self) {
        let Some(bar) = &self.bar else { return };
        if self.started.elapsed() >= Self::DELAY
            && !self.shown.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.inc(1);
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn draw(args: &GraphArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<u8, String> {
    let mut out = String::new();
    let mut documents = serde_json::Map::new();
    let mut failed = false;
    for path in &args.notebooks {
        // Only regular files, and none larger than `check` reads: a FIFO would block the read.
        let loaded = match std::fs::metadata(path) {
            Ok(metadata) if !metadata.is_file() => {
                Err("not a regular file; nblint reads notebook files".to_string())
            }
            Ok(metadata) if metadata.len() > nblint_engine::lint::MAX_FILE_SIZE => Err(format!(
                "larger than the {} MiB nblint reads",
                nblint_engine::lint::MAX_FILE_SIZE / (1024 * 1024)
            )),
            Ok(_) => std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    nblint_notebook::Notebook::from_bytes(&bytes).map_err(|e| e.to_string())
                }),
            Err(err) => Err(err.to_string()),
        };
        let notebook = match loaded {
            Ok(notebook) => notebook,
            Err(err) => {
                let _ = writeln!(stderr, "error: {}: {err}", path.display());
                failed = true;
                continue;
            }
        };
        let findings = if args.findings {
            match cell_findings(path) {
                Ok(findings) => Some(findings),
                Err(err) => {
                    let _ = writeln!(stderr, "error: {}: {err}", path.display());
                    failed = true;
                    continue;
                }
            }
        } else {
            None
        };
        let options = graph::Options {
            imports: args.imports,
            findings,
        };
        let drawn = graph::build(&notebook, &options);
        let shown = path.display().to_string();
        match args.format {
            GraphFormat::Json => {
                documents.insert(shown, graph::to_json(&drawn));
            }
            GraphFormat::Mermaid => {
                out.push_str(&format!("%% {}\n", shown.replace('\n', " ")));
                out.push_str(&graph::to_mermaid(&drawn));
            }
            GraphFormat::Dot => {
                out.push_str(&format!("// {}\n", shown.replace('\n', " ")));
                out.push_str(&graph::to_dot(&drawn));
            }
        }
    }
    if args.format == GraphFormat::Json {
        out = serde_json::to_string_pretty(&serde_json::Value::Object(documents))
            .map_err(|e| e.to_string())?;
        out.push('\n');
    }
    match &args.output_file {
        Some(file) => std::fs::write(file, out)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?,
        None => {
            let _ = write!(stdout, "{out}");
        }
    }
    Ok(if failed { EXIT_ERROR } else { EXIT_CLEAN })
}

/// The codes of the findings `nblint check` reports in each cell (1-based) of a notebook.
type CellFindings = std::collections::BTreeMap<usize, std::collections::BTreeSet<String>>;

/// The findings of one notebook, with the configuration that applies to it.
fn cell_findings(path: &std::path::Path) -> Result<CellFindings, String> {
    let registry = registry();
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let resolver = SettingsResolver::new(registry, Overrides::default(), None, cwd.clone())
        .map_err(|e| e.to_string())?;
    let discovered = discover(&[path.to_path_buf()], resolver, &cwd).map_err(|e| e.to_string())?;
    let mut findings = CellFindings::new();
    for target in &discovered.targets {
        let bytes = std::fs::read(&target.absolute).map_err(|e| e.to_string())?;
        let rules = target.settings.rules_for(registry, &target.absolute);
        let report =
            nblint_engine::lint_bytes(&target.display, &bytes, registry, &target.settings, &rules);
        for finding in &report.findings {
            if let Some(cell) = finding.location.cell {
                findings
                    .entry(cell)
                    .or_default()
                    .insert(finding.code.to_string());
            }
        }
    }
    Ok(findings)
}

fn clean(args: &CleanArgs, stderr: &mut dyn Write) -> Result<u8, String> {
    let dir = match &args.cache_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?
            .join(cache::DIR_NAME),
    };
    match cache::clean(&dir) {
        Ok(true) => {
            let _ = writeln!(stderr, "Removed {}.", dir.display());
        }
        Ok(false) => {
            let _ = writeln!(stderr, "No cache at {}.", dir.display());
        }
        Err(err) => return Err(format!("cannot remove {}: {err}", dir.display())),
    }
    Ok(EXIT_CLEAN)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// The text `nblint rule` prints for one rule.
pub fn explanation(meta: &nblint_engine::RuleMeta) -> String {
    format!(
        "# {code} {name}\n\nFamily: {family} · Severity: {severity} · {default} · Fix: {fix}\n\n{doc}",
        code = meta.code,
        name = meta.name,
        family = meta.family,
        severity = meta.severity.as_str(),
        default = if meta.default_enabled {
            "on by default"
        } else {
            "off by default"
        },
        fix = meta.fix.describe(),
        doc = registry().documentation(meta),
    )
}

fn explain(args: &RuleArgs, stdout: &mut dyn Write) -> Result<u8, String> {
    let registry = registry();
    let metas: Vec<_> = if args.all {
        registry.rules().iter().map(|r| r.meta()).collect()
    } else {
        let wanted = args.rule.as_deref().unwrap_or_default();
        let meta = registry
            .get(wanted)
            .or_else(|| registry.get(&wanted.to_ascii_uppercase()))
            .ok_or_else(|| {
                let mut message = format!("unknown rule `{wanted}`");
                if let Some(s) = registry.suggest(wanted) {
                    message.push_str(&format!(" (did you mean `{s}`?)"));
                }
                message
            })?;
        vec![meta]
    };
    let texts: Vec<String> = metas.into_iter().map(explanation).collect();
    writeln!(stdout, "{}", texts.join("\n")).map_err(|e| e.to_string())?;
    Ok(EXIT_CLEAN)
}

fn list_rules(args: &RulesArgs, stdout: &mut dyn Write) -> Result<u8, String> {
    let registry = registry();
    let text = if args.json {
        let rows: Vec<serde_json::Value> = registry
            .rules()
            .iter()
            .map(|r| {
                let m = r.meta();
                serde_json::json!({
                    "code": m.code,
                    "name": m.name,
                    "family": m.family,
                    "severity": m.severity.as_str(),
                    "default": m.default_enabled,
                    "fix": m.fix.describe(),
                    "summary": m.summary(),
                })
            })
            .collect();
        serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
    } else {
        let mut rows = vec![[
            "code".to_string(),
            "name".to_string(),
            "family".to_string(),
            "default".to_string(),
            "fix".to_string(),
        ]];
        for rule in registry.rules() {
            let m = rule.meta();
            rows.push([
                m.code.to_string(),
                m.name.to_string(),
                m.family.to_string(),
                if m.default_enabled { "on" } else { "off" }.to_string(),
                m.fix.describe().to_string(),
            ]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        rows.iter()
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                cells.join("  ").trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    writeln!(stdout, "{text}").map_err(|e| e.to_string())?;
    Ok(EXIT_CLEAN)
}
