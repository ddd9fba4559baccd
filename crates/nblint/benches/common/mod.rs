//! What the benchmarks share: timing by median, and numbers from the environment.

// Each benchmark compiles this module on its own and uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The median time of `runs` runs of `f` (at least one), after one warm-up run.
pub fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A positive number from the environment variable `name`, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// The CPU time (user and system) this process and the children it waited for have used,
/// all their threads, those ended included; `None` where `/proc/self/stat` cannot be read.
/// Linux counts it in ticks of 10 ms.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name, field 2, is in parentheses and may hold spaces: fields count from
    // after its closing one. utime, stime, cutime and cstime are fields 14 to 17.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let mut ticks = 0u64;
    for field in 11..15 {
        ticks += fields.get(field)?.parse::<u64>().ok()?;
    }
    Some(Duration::from_millis(ticks * 10))
}

/// Wall and CPU time of one case, medians over the runs.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub wall: Duration,
    pub cpu: Option<Duration>,
}

/// Runs every case once for warm-up, then `runs` rounds of every case in turn, so that a
/// machine that gets busier or quieter during the benchmark moves every case alike; the
/// median wall and CPU time of each.
pub fn interleaved(runs: usize, cases: &mut [&mut dyn FnMut()]) -> Vec<Timing> {
    for case in cases.iter_mut() {
        case();
    }
    let mut walls = vec![Vec::new(); cases.len()];
    let mut cpus = vec![Vec::new(); cases.len()];
    for _ in 0..runs.max(1) {
        for (i, case) in cases.iter_mut().enumerate() {
            let cpu = cpu_time();
            let start = Instant::now();
            case();
            walls[i].push(start.elapsed());
            if let (Some(before), Some(after)) = (cpu, cpu_time()) {
                cpus[i].push(after.saturating_sub(before));
            }
        }
    }
    let middle = |mut times: Vec<Duration>| {
        times.sort();
        times.get(times.len() / 2).copied()
    };
    walls
        .into_iter()
        .zip(cpus)
        .map(|(wall, cpu)| Timing {
            wall: middle(wall).unwrap_or_default(),
            cpu: middle(cpu),
        })
        .collect()
}
