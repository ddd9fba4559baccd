//! `--fix` never leaves a notebook half-written: the `nblint` process is killed (SIGKILL) at
//! random points while it fixes a copy of corpus notebooks, and every notebook is afterwards
//! either the original or the complete fixed version.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nblint_tests::{binary, notebooks_under, shared};

fn copy_notebooks(from: &Path, to: &Path, limit: usize) -> Vec<String> {
    let mut names = Vec::new();
    for (i, file) in notebooks_under(from).into_iter().take(limit).enumerate() {
        let name = format!("{i:03}.ipynb");
        // The corpus is read-only; the copies must not be.
        std::fs::write(to.join(&name), std::fs::read(&file).unwrap()).unwrap();
        names.push(name);
    }
    names
}

fn fix(binary: &Path, dir: &Path) -> std::process::Child {
    Command::new(binary)
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--select",
            "ALL",
            "--threads",
            "2",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn contents(dir: &Path, names: &[String]) -> BTreeMap<String, Vec<u8>> {
    names
        .iter()
        .map(|n| (n.clone(), std::fs::read(dir.join(n)).unwrap()))
        .collect()
}

#[test]
#[cfg(unix)]
fn a_killed_fix_leaves_every_notebook_original_or_complete() {
    let Some(corpus) = shared("corpus/dev") else {
        return;
    };
    let binary = binary();
    // The original notebooks, and their complete fixed versions from an uninterrupted run.
    let pristine = tempfile::tempdir().unwrap();
    let names = copy_notebooks(&corpus, pristine.path(), 120);
    let originals = contents(pristine.path(), &names);
    let fixed_dir = tempfile::tempdir().unwrap();
    for name in &names {
        std::fs::write(fixed_dir.path().join(name), &originals[name]).unwrap();
    }
    let started = Instant::now();
    let status = fix(&binary, fixed_dir.path()).wait().unwrap();
    let full_run = started.elapsed();
    assert!(status.code().is_some_and(|c| c <= 2), "{status}");
    let fixed = contents(fixed_dir.path(), &names);
    let changed = names.iter().filter(|n| originals[*n] != fixed[*n]).count();
    assert!(
        changed > 10,
        "too few notebooks change to test anything: {changed}"
    );

    // Kill runs over one working copy at points spread over a full run's duration.
    let work = tempfile::tempdir().unwrap();
    for name in &names {
        std::fs::write(work.path().join(name), &originals[name]).unwrap();
    }
    let kills = 16;
    let mut half_written = Vec::new();
    let mut seed: u64 = 0x5eed;
    for round in 0..kills {
        // xorshift: a different point each round, the same points each run of the test.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = full_run.mul_f64((seed % 1000) as f64 / 1000.0);
        let mut child = fix(&binary, work.path());
        std::thread::sleep(at.min(Duration::from_secs(20)));
        let _ = child.kill();
        let _ = child.wait();
        for name in &names {
            let now = std::fs::read(work.path().join(name)).unwrap();
            if now != originals[name] && now != fixed[name] {
                half_written.push(format!("round {round}: {name}"));
            }
        }
        // Every few rounds start again from the originals, so that kills land early too.
        if round % 4 == 3 {
            for name in &names {
                std::fs::write(work.path().join(name), &originals[name]).unwrap();
            }
        }
    }
    println!(
        "{kills} kills over a {:.0?} run; {} notebooks, {changed} of them changed by a full fix; half-written: {}",
        full_run,
        names.len(),
        half_written.len()
    );
    assert!(
        half_written.is_empty(),
        "half-written notebooks: {half_written:?}"
    );
    // A run to the end from whatever state the kills left gives the complete fixed versions.
    let status = fix(&binary, work.path()).wait().unwrap();
    assert!(status.code().is_some_and(|c| c <= 2), "{status}");
    assert_eq!(contents(work.path(), &names), fixed);
}
