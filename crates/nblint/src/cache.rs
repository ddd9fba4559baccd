//! The result cache: what linting a notebook found, kept in `.nblint_cache/` so that a second
//! run over unchanged notebooks reads results instead of linting.
//!
//! One entry per linted file, named by a hash of the file's absolute path and of everything
//! that decides its findings: the resolved settings (rules, options, per-file ignores, the
//! configuration they came from), whether findings carry raw-file positions and edits, and nblint's version.
//! An entry holds the file's size, modification time and content hash, and the report.
//!
//! - Size and modification time equal: the entry is used without reading the file. A time
//!   within two seconds of when the entry was written is not trusted (a change in the same
//!   clock tick would go unseen): such an entry is checked by content.
//! - Otherwise the file is read and hashed; an equal hash uses the entry (and refreshes it).
//! - Anything else, including an entry that does not parse, was written by another version or
//!   names another file, is a miss: the file is linted and the entry rewritten.
//!
//! Entries are written to a temporary file and renamed into place, so concurrent runs never
//! see half an entry; the last writer wins. Notebooks that `%run` another file are not cached:
//! their findings depend on that file too.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nblint_engine::{FileReport, Settings};

/// The cache directory's name.
pub const DIR_NAME: &str = ".nblint_cache";

/// Changes when the layout of an entry changes.
const FORMAT: u32 = 1;
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How close to the entry's writing a modification time must be to be checked by content.
const RACY: Duration = Duration::from_secs(2);

/// An entry as written, with a [`FileReport`]; read back, its report may also be a
/// [`ReportWithoutSources`].
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry<R = FileReport> {
    format: u32,
    version: String,
    path: PathBuf,
    size: u64,
    /// Nanoseconds since the epoch, or `None` when the time cannot be trusted.
    modified: Option<u128>,
    hash: u64,
    report: R,
}

/// A report read without keeping its cell sources, which only the `full` format shows: they
/// are checked to be what an entry holds (a map from cell numbers to strings, escapes valid),
/// so that an entry a full read would reject is rejected here too, but not copied.
#[derive(serde::Deserialize)]
struct ReportWithoutSources {
    path: PathBuf,
    findings: Vec<nblint_engine::Finding>,
    #[allow(dead_code)] // read to be checked, then dropped
    cell_sources: CheckedSources,
    skipped: Option<String>,
    notes: Vec<String>,
}

/// A report's `cell_sources`, checked as `BTreeMap<usize, String>` would be, and dropped.
struct CheckedSources;

impl<'de> serde::Deserialize<'de> for CheckedSources {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct Sources;
        impl<'de> Visitor<'de> for Sources {
            type Value = CheckedSources;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map from cell numbers to sources")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckedSources, A::Error> {
                let mut previous: Option<usize> = None;
                while let Some(cell) = map.next_key::<usize>()? {
                    // A map nblint wrote has each cell once, in order.
                    if previous.is_some_and(|p| p >= cell) {
                        return Err(A::Error::custom("cell numbers out of order"));
                    }
                    previous = Some(cell);
                    map.next_value::<Text>()?;
                }
                Ok(CheckedSources)
            }
        }
        deserializer.deserialize_map(Sources)
    }
}

/// A string, checked and not kept.
struct Text;

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Any;
        impl serde::de::Visitor<'_> for Any {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        deserializer.deserialize_str(Any)
    }
}

impl Entry<ReportWithoutSources> {
    fn with_file_report(self) -> Entry {
        Entry {
            format: self.format,
            version: self.version,
            path: self.path,
            size: self.size,
            modified: self.modified,
            hash: self.hash,
            report: self.report.into(),
        }
    }
}

impl From<ReportWithoutSources> for FileReport {
    fn from(report: ReportWithoutSources) -> FileReport {
        FileReport {
            path: report.path,
            findings: report.findings,
            cell_sources: Default::default(),
            skipped: report.skipped,
            notes: report.notes,
        }
    }
}

/// What the cache knows about one file before it is linted.
pub enum Lookup {
    /// The cached report, to use as is.
    Hit(FileReport),
    /// No usable entry. `bytes` is the content when it had to be read to find out.
    Miss { bytes: Option<Vec<u8>> },
}

pub struct Cache {
    /// `.nblint_cache/<version>/`.
    dir: PathBuf,
    file_edits: bool,
    /// Whether reports read back need their cell sources (the `full` format's snippets).
    sources: bool,
    /// Settings fingerprints, by the address of the shared settings.
    fingerprints: Mutex<HashMap<usize, u64>>,
    /// Whether the directory was created in this run.
    created: std::sync::OnceLock<bool>,
    written: AtomicUsize,
}

impl Cache {
    /// The cache under `root` (`.nblint_cache` in the working directory, or `--cache-dir`).
    /// Entries always hold the cell sources; `sources` says whether reading one back decodes
    /// them.
    pub fn new(root: &Path, file_edits: bool, sources: bool) -> Cache {
        Cache {
            dir: root.join(VERSION),
            file_edits,
            sources,
            fingerprints: Mutex::new(HashMap::new()),
            created: std::sync::OnceLock::new(),
            written: AtomicUsize::new(0),
        }
    }

    fn fingerprint(&self, settings: &Arc<Settings>) -> u64 {
        let address = Arc::as_ptr(settings) as usize;
        let mut known = self.fingerprints.lock().unwrap_or_else(|e| e.into_inner());
        *known.entry(address).or_insert_with(|| {
            let mut hasher = DefaultHasher::new();
            format!("{settings:?}").hash(&mut hasher);
            VERSION.hash(&mut hasher);
            FORMAT.hash(&mut hasher);
            self.file_edits.hash(&mut hasher);
            nblint_engine::lint::wants_file_positions().hash(&mut hasher);
            hasher.finish()
        })
    }

    fn entry_path(&self, absolute: &Path, settings: &Arc<Settings>) -> PathBuf {
        let mut hasher = DefaultHasher::new();
        absolute.hash(&mut hasher);
        self.fingerprint(settings).hash(&mut hasher);
        self.dir.join(format!("{:016x}.json", hasher.finish()))
    }

    /// Looks a file up. Never fails: an unreadable or unusable entry is a miss.
    pub fn lookup(&self, absolute: &Path, display: &Path, settings: &Arc<Settings>) -> Lookup {
        let Ok(text) = std::fs::read(self.entry_path(absolute, settings)) else {
            return Lookup::Miss { bytes: None };
        };
        // One vectorised UTF-8 check of the whole entry; reading from bytes, serde_json would
        // check every string again as it goes.
        let Ok(text) = simdutf8::basic::from_utf8(&text) else {
            return Lookup::Miss { bytes: None };
        };
        let entry = if self.sources {
            serde_json::from_str::<Entry>(text)
        } else {
            serde_json::from_str::<Entry<ReportWithoutSources>>(text).map(Entry::with_file_report)
        };
        let Ok(entry) = entry else {
            return Lookup::Miss { bytes: None };
        };
        if entry.format != FORMAT || entry.version != VERSION || entry.path != absolute {
            return Lookup::Miss { bytes: None };
        }
        let Ok(metadata) = std::fs::metadata(absolute) else {
            return Lookup::Miss { bytes: None };
        };
        let mut report = entry.report;
        report.path = display.to_path_buf();
        if metadata.len() == entry.size
            && entry.modified.is_some()
            && modified_nanos(&metadata) == entry.modified
        {
            return Lookup::Hit(report);
        }
        let Ok(bytes) = std::fs::read(absolute) else {
            return Lookup::Miss { bytes: None };
        };
        if bytes.len() as u64 == entry.size && content_hash(&bytes) == entry.hash {
            // The same content under a new time: refresh the entry so that the next run takes
            // the fast path, once the time can be trusted.
            if trusted_time(&metadata).is_some() {
                // The entry is rewritten whole: with its cell sources, read again if they
                // were skipped.
                let whole = if self.sources {
                    Some(report.clone())
                } else {
                    serde_json::from_str::<Entry>(text)
                        .ok()
                        .map(|entry| FileReport {
                            path: report.path.clone(),
                            ..entry.report
                        })
                };
                if let Some(whole) = whole {
                    self.store(absolute, settings, &bytes, &whole);
                }
            }
            return Lookup::Hit(report);
        }
        Lookup::Miss { bytes: Some(bytes) }
    }

    /// Stores what linting `bytes` found. Errors are ignored: a cache that cannot be written
    /// makes runs slower, never wrong.
    pub fn store(
        &self,
        absolute: &Path,
        settings: &Arc<Settings>,
        bytes: &[u8],
        report: &FileReport,
    ) {
        if runs_other_files(bytes) || !self.ensure_dir() {
            return;
        }
        let Ok(metadata) = std::fs::metadata(absolute) else {
            return;
        };
        if metadata.len() != bytes.len() as u64 {
            // Changed while it was linted: the findings may be of neither version.
            return;
        }
        let modified = trusted_time(&metadata);
        let entry = Entry {
            format: FORMAT,
            version: VERSION.to_string(),
            path: absolute.to_path_buf(),
            size: bytes.len() as u64,
            modified,
            hash: content_hash(bytes),
            report: report.clone(),
        };
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        let target = self.entry_path(absolute, settings);
        let temporary = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("entry"),
            std::process::id(),
            self.written.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create(&temporary)
            .and_then(|mut file| file.write_all(&text))
            .and_then(|()| std::fs::rename(&temporary, &target));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }

    /// Creates the directory, with a `.gitignore` that keeps it out of version control and a
    /// `CACHEDIR.TAG` that keeps it out of backups.
    fn ensure_dir(&self) -> bool {
        *self.created.get_or_init(|| {
            let Some(root) = self.dir.parent() else {
                return false;
            };
            if std::fs::create_dir_all(&self.dir).is_err() {
                return false;
            }
            let gitignore = root.join(".gitignore");
            if !gitignore.exists() {
                let _ = std::fs::write(&gitignore, "# Created by nblint.\n*\n");
            }
            let tag = root.join("CACHEDIR.TAG");
            if !tag.exists() {
                let _ = std::fs::write(
                    &tag,
                    "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by nblint.\n",
                );
            }
            true
        })
    }
}

/// Removes the cache under `root`. Removing a cache that is not there is not an error.
pub fn clean(root: &Path) -> std::io::Result<bool> {
    match std::fs::remove_dir_all(root) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// The modification time, unless it is too recent to tell a later change in the same clock
/// tick apart (or in the future).
fn trusted_time(metadata: &std::fs::Metadata) -> Option<u128> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    modified_nanos(metadata).filter(|&m| now.saturating_sub(m) > RACY.as_nanos() && m <= now)
}

fn modified_nanos(metadata: &std::fs::Metadata) -> Option<u128> {
    metadata
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_nanos())
}

fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// Whether the notebook may `%run` another file, whose content its findings depend on.
fn runs_other_files(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"%run").is_some()
}
