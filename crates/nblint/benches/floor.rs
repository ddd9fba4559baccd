//! `cargo bench -p nblint --bench floor`: nblint's time on a folder of notebooks against the
//! parse floor, measured in one run on the same machine.
//!
//! The floor reads every notebook, parses its JSON into a `serde_json::Value` and parses every
//! code cell with `ruff_python_parser`, and nothing else: no linter can be faster than the
//! work of reading what it lints. Each phase is timed on its own (reading; reading and JSON;
//! the whole floor), then nblint end to end (discovery, lint, report to a sink) with only the
//! system rules (`--select NB0`: nblint's own load and parse), with the default rules, with
//! every rule, and with a warm result cache, and what each rule family adds to the load and
//! parse. The phases run in turn, round after round, so that a machine that gets busier or
//! quieter moves them alike. Every figure is the median of `RUNS` rounds (5) with `THREADS`
//! threads (2), on `NBLINT_BENCH_CORPUS` (default `../shared/corpus/dev`), in wall time and
//! in CPU time (user and system, all threads), which a shared machine disturbs less. Last,
//! nblint's own phases in process: its loader, its parse, the semantic index, the raw-file
//! map, and writing the reports.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

/// The allocator of the `nblint` executable, for the floor too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;
use common::{env_number, interleaved, median, Timing};

/// The environment variable that makes this executable the floor as a process of its own
/// (see [`floor_process`]): the folder to read.
const FLOOR_PROCESS: &str = "NBLINT_FLOOR_PROCESS";

fn main() {
    if let Some(dir) = std::env::var_os(FLOOR_PROCESS) {
        floor_process(Path::new(&dir));
        return;
    }
    let corpus = std::env::var_os("NBLINT_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev")
        });
    if !corpus.is_dir() {
        println!(
            "skipped: no corpus at {} (set NBLINT_BENCH_CORPUS)",
            corpus.display()
        );
        return;
    }
    let runs: usize = env_number("RUNS", 5);
    let threads: usize = env_number("THREADS", 2);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(64 * 1024 * 1024)
        .build()
        .expect("a thread pool");
    let files: Vec<PathBuf> = ignore::WalkBuilder::new(&corpus)
        .build()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "ipynb"))
        .map(|e| e.into_path())
        .collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "corpus: {} ({} notebooks, {:.0} MB), {threads} threads, median of {runs} runs",
        corpus.display(),
        files.len(),
        bytes as f64 / 1e6
    );

    // Every case gives its threads one notebook at a time, as the command does: rayon's default
    // split leaves a few long runs of files, and the last one keeps one thread busy while the
    // others wait.
    let mut read = || {
        pool.install(|| {
            files
                .par_iter()
                .with_max_len(1)
                .map(|f| std::fs::read(f).map_or(0, |b| b.len()))
                .sum::<usize>()
        });
    };
    let mut json = || {
        pool.install(|| {
            files.par_iter().with_max_len(1).for_each(|f| {
                if let Ok(b) = std::fs::read(f) {
                    std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&b).ok());
                }
            })
        });
    };
    let mut floor = || {
        pool.install(|| {
            files
                .par_iter()
                .with_max_len(1)
                .for_each(|f| parse_floor(f))
        });
    };

    // The floor as a process of its own, as nblint runs: it pays what any command pays and the
    // cases above do not (starting, starting its threads, finding the notebooks, and a fresh
    // heap whose every page the kernel must hand over), so that the two are compared alike.
    let floor_exe = std::env::current_exe().expect("the benchmark knows its executable");
    let mut floor_alone = || {
        let status = std::process::Command::new(&floor_exe)
            .env(FLOOR_PROCESS, &corpus)
            .env("THREADS", threads.to_string())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("the floor runs as a process");
        assert!(status.success(), "the floor process failed: {status}");
    };

    // nblint's default rules in this process, on the pool above: the counterpart of the floor
    // in process (the notebooks are found beforehand, as the floor's are).
    let registry = nblint::registry();
    let cwd = corpus.parent().unwrap_or(&corpus).to_path_buf();
    let targets = nblint::discover::discover(
        &[corpus.to_path_buf()],
        nblint::discover::SettingsResolver::new(
            registry,
            nblint_engine::Overrides::default(),
            None,
            cwd.clone(),
        )
        .expect("the default settings"),
        &cwd,
    )
    .expect("the corpus is walked")
    .targets;
    let mut in_process = || {
        pool.install(|| {
            targets.par_iter().with_max_len(1).for_each(|target| {
                let Ok(bytes) = std::fs::read(&target.absolute) else {
                    return;
                };
                let rules = target.settings.rules_for(registry, &target.absolute);
                std::hint::black_box(nblint_engine::lint_bytes(
                    &target.display,
                    &bytes,
                    registry,
                    &target.settings,
                    &rules,
                ));
            })
        });
    };

    let cache = tempfile_dir();
    let threads_arg = threads.to_string();
    let corpus_arg = corpus.to_string_lossy().into_owned();
    // nblint runs as its executable, as users run it: with its own allocator, and paying
    // for its start.
    let nblint = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--exit-zero",
            "--output-format",
            "concise",
            "--threads",
            &threads_arg,
        ];
        args.extend_from_slice(extra);
        args.push(&corpus_arg);
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        move || {
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_nblint"))
                .args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("the nblint executable runs");
            assert!(status.success(), "nblint {args:?} failed: {status}");
        }
    };
    // The floor and nblint run in turn, round after round: a machine that gets busier moves
    // them alike, and the ratios stay meaningful where the times do not.
    let mut system = nblint(&["--no-cache", "--select", "NB0"]);
    let mut default = nblint(&["--no-cache"]);
    let mut all = nblint(&["--no-cache", "--select", "ALL"]);
    let timings = interleaved(
        runs,
        &mut [
            &mut read,
            &mut json,
            &mut floor,
            &mut system,
            &mut default,
            &mut all,
            &mut floor_alone,
            &mut in_process,
        ],
    );
    let [read, json, floor, system, default, all, floor_alone, in_process] = timings[..] else {
        unreachable!("one timing per case")
    };
    let cache_arg = cache.to_string_lossy().into_owned();
    nblint(&["--cache-dir", &cache_arg])();
    let warm = median(runs, nblint(&["--cache-dir", &cache_arg]));
    let _ = std::fs::remove_dir_all(&cache);
    let warm = Timing {
        wall: warm,
        cpu: None,
    };

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |d: Duration, of: Duration| d.as_secs_f64() / of.as_secs_f64();
    let cpu_columns = |t: Timing, of: Timing| match (t.cpu, of.cpu) {
        (Some(cpu), Some(floor)) => format!("{:>9.0} {:>9.2}", ms(cpu), ratio(cpu, floor)),
        _ => format!("{:>9} {:>9}", "-", "-"),
    };
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9}",
        "phase", "wall ms", "x floor", "CPU ms", "x floor"
    );
    for (name, time) in [
        ("read", read),
        ("read + JSON", json),
        ("floor: read + JSON + Python parse", floor),
        ("nblint --select NB0 (load + parse)", system),
        ("nblint, default rules", default),
        ("nblint --select ALL", all),
        ("nblint, default rules, warm cache", warm),
        ("floor as a process (start, walk, threads)", floor_alone),
        ("nblint, default rules, in this process", in_process),
    ] {
        println!(
            "{name:<44} {:>9.1} {:>9.2} {}",
            ms(time.wall),
            ratio(time.wall, floor.wall),
            cpu_columns(time, floor)
        );
    }
    println!(
        "default rules: {:.2}x the floor ({} CPU), {:.2}x nblint's own load and parse; warm cache: {:.1}% of a cold run",
        ratio(default.wall, floor.wall),
        match (default.cpu, floor.cpu) {
            (Some(d), Some(f)) => format!("{:.2}x", ratio(d, f)),
            _ => "-".to_string(),
        },
        ratio(default.wall, system.wall),
        100.0 * ratio(warm.wall, default.wall)
    );
    let cpu_ratio = |t: Timing, of: Timing| match (t.cpu, of.cpu) {
        (Some(t), Some(of)) => format!("{:.2}x", ratio(t, of)),
        _ => "-".to_string(),
    };
    println!(
        "alike with alike: the command {:.2}x the floor as a process ({} CPU); in process {:.2}x the floor in process ({} CPU)",
        ratio(default.wall, floor_alone.wall),
        cpu_ratio(default, floor_alone),
        ratio(in_process.wall, floor.wall),
        cpu_ratio(in_process, floor),
    );

    // What each family adds to nblint's own load and parse, with every one of its rules (the
    // semantic index, the imports table and the leakage pass are paid by the first family that
    // asks for them, so the figures overlap and do not add up to `--select ALL`). Each family
    // runs in turn with `--select NB0`, which it is compared with.
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9}",
        "family (every rule) over NB0", "+wall ms", "x floor", "+CPU ms", "x floor"
    );
    for (family, prefix) in [
        ("hidden state", "NB1"),
        ("magic numbers", "NB2"),
        ("hardcoded paths", "NB3"),
        ("credentials", "NB4"),
        ("import scatter", "NB5"),
        ("mega-cells", "NB6"),
        ("reproducibility and leakage", "NB7"),
    ] {
        // A prefix selects only the rules that are on by default: name every code.
        let codes: Vec<&str> = nblint::registry()
            .families()
            .iter()
            .flat_map(|f| f.rules.iter().map(|rule| rule().meta().code))
            .filter(|code| code.starts_with(prefix))
            .collect();
        let select = format!("NB0,{}", codes.join(","));
        let mut with = nblint(&["--no-cache", "--select", &select]);
        let mut without = nblint(&["--no-cache", "--select", "NB0"]);
        let timings = interleaved(runs, &mut [&mut with, &mut without]);
        let added = timings[0].wall.saturating_sub(timings[1].wall);
        let cpu = match (timings[0].cpu, timings[1].cpu, floor.cpu) {
            (Some(with), Some(without), Some(floor)) => {
                let added = with.saturating_sub(without);
                format!("{:>9.0} {:>9.2}", ms(added), ratio(added, floor))
            }
            _ => format!("{:>9} {:>9}", "-", "-"),
        };
        println!(
            "{:<44} {:>9.1} {:>9.2} {cpu}",
            format!("{prefix} {family}"),
            ms(added),
            ratio(added, floor.wall)
        );
    }

    phases(&pool, &files, &corpus, runs);
}

/// nblint's own phases, in process, on the benchmark's pool: its loader (read and JSON into
/// its model), then its Python parse of every code cell, then the semantic index and the
/// imports table the rules share, each case doing the ones before it too; the raw-file map
/// of every notebook (what `json`, `sarif` and the other machine formats need for each
/// notebook with a finding); and writing the default rules' findings in each main format,
/// which the command does on one thread after linting.
fn phases(pool: &rayon::ThreadPool, files: &[PathBuf], corpus: &Path, runs: usize) {
    use nblint_engine::semantic::{imports::Imports, SemanticIndex};

    let load = |f: &PathBuf, depth: u8| {
        let Ok(bytes) = std::fs::read(f) else {
            return;
        };
        let Ok((text, notebook)) = nblint_notebook::load(&bytes) else {
            return;
        };
        if depth == 0 {
            std::hint::black_box(&notebook);
            return;
        }
        if depth == 3 {
            std::hint::black_box(nblint_notebook::RawMap::scan(
                text,
                notebook.upgraded_from == Some(3),
            ));
            return;
        }
        let cells: Vec<_> = notebook
            .cells
            .iter()
            .map(nblint_notebook::parse_cell)
            .collect();
        if depth == 2 {
            std::hint::black_box(SemanticIndex::build(&notebook, &cells));
            std::hint::black_box(Imports::build(&notebook, &cells));
        }
        std::hint::black_box(&cells);
    };
    let case = |depth: u8| {
        move || {
            pool.install(|| {
                files
                    .par_iter()
                    .with_max_len(1)
                    .for_each(|f| load(f, depth))
            })
        }
    };
    let (mut loader, mut parse, mut semantic, mut raw) = (case(0), case(1), case(2), case(3));
    let timings = interleaved(
        runs,
        &mut [&mut loader, &mut parse, &mut semantic, &mut raw],
    );
    let [loader, parse, semantic, raw] = timings[..] else {
        unreachable!("one timing per case")
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let cpu = |t: Timing| t.cpu.map_or("-".to_string(), |c| format!("{:.0}", ms(c)));
    println!(
        "{:<44} {:>9} {:>9}",
        "nblint's phases, in process", "wall ms", "CPU ms"
    );
    for (name, time) in [
        ("load: read + JSON into nblint's model", loader),
        ("load + Python parse", parse),
        ("load + parse + semantic index + imports", semantic),
        ("load + raw-file map of every notebook", raw),
    ] {
        println!("{name:<44} {:>9.1} {:>9}", ms(time.wall), cpu(time));
    }

    // The default rules' reports, linted once in process, then written in each format.
    let registry = nblint::registry();
    let cwd = corpus.parent().unwrap_or(corpus).to_path_buf();
    let resolver = nblint::discover::SettingsResolver::new(
        registry,
        nblint_engine::Overrides::default(),
        None,
        cwd.clone(),
    )
    .expect("the default settings");
    let discovered = nblint::discover::discover(&[corpus.to_path_buf()], resolver, &cwd)
        .expect("the corpus is walked");
    nblint_engine::lint::want_file_positions();
    let reports: Vec<nblint_engine::FileReport> = pool.install(|| {
        discovered
            .targets
            .par_iter()
            .with_max_len(1)
            .filter_map(|target| {
                let bytes = std::fs::read(&target.absolute).ok()?;
                let rules = target.settings.rules_for(registry, &target.absolute);
                Some(nblint_engine::lint_bytes(
                    &target.display,
                    &bytes,
                    registry,
                    &target.settings,
                    &rules,
                ))
            })
            .collect()
    });
    let findings: usize = reports.iter().map(|r| r.findings.len()).sum();
    let context = nblint::report::Context::new(registry, cwd, false, false);
    println!(
        "{:<44} {:>9}",
        format!("writing {findings} findings, one thread"),
        "wall ms"
    );
    for (name, format) in [
        ("concise", nblint::cli::OutputFormat::Concise),
        ("full", nblint::cli::OutputFormat::Full),
        ("json", nblint::cli::OutputFormat::Json),
        ("sarif", nblint::cli::OutputFormat::Sarif),
    ] {
        let time = median(runs, || {
            let mut sink = std::io::sink();
            nblint::report::write(format, &reports, &mut sink, &context)
                .expect("a sink takes every byte");
        });
        println!("{name:<44} {:>9.1}", ms(time));
    }
}

/// The floor as a process of its own: find the notebooks under `dir` (as `nblint check`
/// does, `.gitignore` respected), start `THREADS` threads (2) with nblint's stack size, and
/// give them [`parse_floor`] one notebook at a time.
fn floor_process(dir: &Path) {
    let threads: usize = env_number("THREADS", 2);
    let files: Vec<PathBuf> = ignore::WalkBuilder::new(dir)
        .build()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "ipynb"))
        .map(|e| e.into_path())
        .collect();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(nblint::LINT_STACK_SIZE)
        .build()
        .expect("a thread pool")
        .install(|| {
            files
                .par_iter()
                .with_max_len(1)
                .for_each(|f| parse_floor(f))
        });
}

/// Read, JSON, and every code cell through the Python parser.
fn parse_floor(path: &Path) {
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return;
    };
    let Some(cells) = value.get("cells").and_then(|c| c.as_array()) else {
        return;
    };
    for cell in cells {
        if cell.get("cell_type").and_then(|t| t.as_str()) != Some("code") {
            continue;
        }
        let source = match cell.get("source") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(lines)) => {
                lines.iter().filter_map(|l| l.as_str()).collect::<String>()
            }
            _ => continue,
        };
        std::hint::black_box(ruff_python_parser::parse_module(&source).is_ok());
    }
}

fn tempfile_dir() -> PathBuf {
    std::env::temp_dir().join(format!("nblint-bench-cache-{}", std::process::id()))
}
