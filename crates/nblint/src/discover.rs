//! Finding the notebooks to lint and the settings that govern each of them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use nblint_engine::config::config_in_dir;
use nblint_engine::{ConfigError, ConfigFile, Overrides, Registry, Settings};

/// Resolves the settings for a directory: the nearest configuration file above it, or the
/// one given with `--config`, with command-line overrides on top. Cached per directory.
pub struct SettingsResolver {
    registry: &'static Registry,
    overrides: Overrides,
    fixed: Option<Arc<Settings>>,
    cwd: PathBuf,
    cache: HashMap<PathBuf, Arc<Settings>>,
}

impl SettingsResolver {
    pub fn new(
        registry: &'static Registry,
        overrides: Overrides,
        config: Option<&Path>,
        cwd: PathBuf,
    ) -> Result<SettingsResolver, ConfigError> {
        let fixed = match config {
            Some(path) => {
                let path = absolute(&cwd, path);
                let file = ConfigFile::load(&path, registry)?.ok_or_else(|| ConfigError {
                    path: Some(path.clone()),
                    position: None,
                    message: "this pyproject.toml has no `[tool.nblint]` table".to_string(),
                    suggestion: None,
                })?;
                let root = file.root().to_path_buf();
                Some(Arc::new(Settings::resolve(
                    registry,
                    Some(&file),
                    &root,
                    &overrides,
                )))
            }
            None => None,
        };
        Ok(SettingsResolver {
            registry,
            overrides,
            fixed,
            cwd,
            cache: HashMap::new(),
        })
    }

    /// Settings for files in the absolute directory `dir`.
    pub fn for_dir(&mut self, dir: &Path) -> Result<Arc<Settings>, ConfigError> {
        if let Some(fixed) = &self.fixed {
            return Ok(fixed.clone());
        }
        if let Some(settings) = self.cache.get(dir) {
            return Ok(settings.clone());
        }
        let found = config_in_dir(dir, self.registry)?;
        let settings = match (found, dir.parent()) {
            (Some(file), _) => Arc::new(Settings::resolve(
                self.registry,
                Some(&file),
                dir,
                &self.overrides,
            )),
            (None, Some(parent)) => self.for_dir(parent)?,
            (None, None) => Arc::new(Settings::resolve(
                self.registry,
                None,
                &self.cwd,
                &self.overrides,
            )),
        };
        self.cache.insert(dir.to_path_buf(), settings.clone());
        Ok(settings)
    }
}

pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// A notebook to lint.
#[derive(Clone)]
pub struct Target {
    /// The path as the user will see it: as given, or joined under a given directory.
    pub display: PathBuf,
    pub absolute: PathBuf,
    pub settings: Arc<Settings>,
}

/// What discovery found: the notebooks, and paths that could not be read.
pub struct Discovered {
    pub targets: Vec<Target>,
    pub errors: Vec<String>,
}

/// Walks the given paths. Files named explicitly are linted whatever their name; directories
/// are walked for `*.ipynb`, respecting `.gitignore` and pruning what `exclude` matches.
pub fn discover(
    paths: &[PathBuf],
    resolver: SettingsResolver,
    cwd: &Path,
) -> Result<Discovered, ConfigError> {
    discover_with(paths, resolver, cwd, &mut |_| {})
}

/// [`discover`], handing each notebook to `found` as soon as the walk meets it, in the walk's
/// order, so that linting can start while the walk goes on. A notebook is handed over once,
/// even when the walk is done again or names it twice. The result is the authority: its
/// targets, in order, are what to report; on a configuration error nothing found counts.
pub fn discover_with(
    paths: &[PathBuf],
    resolver: SettingsResolver,
    cwd: &Path,
    found: &mut dyn FnMut(&Target),
) -> Result<Discovered, ConfigError> {
    let mut handed: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let mut found = |target: &Target| {
        if handed.insert(target.absolute.clone()) {
            found(target);
        }
    };
    let resolver = Arc::new(Mutex::new(resolver));
    // The walk does not sort directories (walkdir would parse both paths at every comparison):
    // the notebooks found are put in order afterwards, and of several configuration errors the
    // one of the first directory in that order is kept, as a sorted walk would meet it first.
    // Errors of the walk itself (an unreadable directory, a broken ignore file) come in the
    // order of the walk: when there are any, the paths are walked again, sorted.
    match walk(paths, &resolver, cwd, false, &mut found)? {
        Some(discovered) => Ok(discovered),
        None => {
            Ok(walk(paths, &resolver, cwd, true, &mut found)?
                .expect("a sorted walk gives its errors"))
        }
    }
}

/// [`discover`] with the walk sorted by file name or not; `None` when an unsorted walk met an
/// error, whose place among the others only a sorted walk gives.
fn walk(
    paths: &[PathBuf],
    resolver: &Arc<Mutex<SettingsResolver>>,
    cwd: &Path,
    sorted: bool,
    found: &mut dyn FnMut(&Target),
) -> Result<Option<Discovered>, ConfigError> {
    // The walk's filter has to be `'static`, so a configuration error found inside it is
    // parked here and returned after the walk.
    let failure: Arc<Mutex<Option<(PathBuf, ConfigError)>>> = Arc::default();
    let settings_for = |dir: &Path| {
        resolver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .for_dir(dir)
    };
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let abs = absolute(cwd, path);
        match std::fs::metadata(&abs) {
            Ok(metadata) if metadata.is_file() => {
                let settings = settings_for(abs.parent().unwrap_or(cwd))?;
                let target = Target {
                    display: path.clone(),
                    absolute: abs,
                    settings,
                };
                found(&target);
                targets.push(target);
                continue;
            }
            Ok(metadata) if metadata.is_dir() => {}
            Ok(metadata) => {
                // Reading a FIFO would wait for a writer forever; a device or socket is no
                // notebook either.
                errors.push(format!(
                    "{}: not a regular file ({}); nblint reads notebook files",
                    path.display(),
                    special_kind(&metadata)
                ));
                continue;
            }
            Err(err) => {
                errors.push(format!("{}: {}", path.display(), unreadable(&abs, &err)));
                continue;
            }
        }
        let mut walker = ignore::WalkBuilder::new(&abs);
        walker
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .ignore(false)
            .parents(true);
        if sorted {
            walker.sort_by_file_name(|a, b| a.cmp(b));
        }
        {
            let resolver = resolver.clone();
            let failure = failure.clone();
            let root = abs.clone();
            walker.filter_entry(move |entry| {
                let path = entry.path();
                if path == root {
                    return true;
                }
                let parent = path.parent().unwrap_or(&root);
                let settings = resolver
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .for_dir(parent);
                match settings {
                    Ok(settings) => !settings.is_excluded(path),
                    Err(err) => {
                        let mut failure = failure.lock().unwrap_or_else(PoisonError::into_inner);
                        if failure
                            .as_ref()
                            .is_none_or(|(dir, _)| parent < dir.as_path())
                        {
                            *failure = Some((parent.to_path_buf(), err));
                        }
                        false
                    }
                }
            });
        }
        for entry in walker.build() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(_) if !sorted => return Ok(None),
                Err(err) => {
                    errors.push(err.to_string());
                    continue;
                }
            };
            let entry_path = entry.path();
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if !is_file || entry_path.extension().is_none_or(|e| e != "ipynb") {
                continue;
            }
            let relative = entry_path.strip_prefix(&abs).unwrap_or(entry_path);
            let settings = settings_for(entry_path.parent().unwrap_or(&abs))?;
            let display = if path == Path::new(".") {
                relative.to_path_buf()
            } else {
                path.join(relative)
            };
            let target = Target {
                display,
                absolute: entry_path.to_path_buf(),
                settings,
            };
            found(&target);
            targets.push(target);
        }
        if let Some((_, err)) = failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            return Err(err);
        }
    }
    // The same notebook named twice (a file and its directory) is linted once. One path walked
    // yields each file once.
    if paths.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        targets.retain(|t| seen.insert(t.absolute.clone()));
    }
    sort_by_display(&mut targets);
    Ok(Some(Discovered { targets, errors }))
}

/// Sorts targets by their displayed path, component by component (as `Path`'s order does),
/// each path split into components once rather than at every comparison.
fn sort_by_display(targets: &mut Vec<Target>) {
    let order: Vec<usize> = {
        let keys: Vec<Vec<std::path::Component<'_>>> = targets
            .iter()
            .map(|t| t.display.components().collect())
            .collect();
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        order
    };
    let mut slots: Vec<Option<Target>> = std::mem::take(targets).into_iter().map(Some).collect();
    targets.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// What kind of special file this is, for an error message.
fn special_kind(metadata: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    let _ = metadata;
    "a special file"
}

/// Why a path named on the command line cannot be read: missing, a symbolic link loop, a
/// link to nothing, or what the system says (permission denied).
fn unreadable(path: &Path, err: &std::io::Error) -> String {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    // ELOOP: too many levels of symbolic links (Linux 40, the BSDs and macOS 62).
    if is_link && matches!(err.raw_os_error(), Some(40 | 62)) {
        return "a symbolic link loop".to_string();
    }
    if err.kind() == std::io::ErrorKind::NotFound {
        return if is_link {
            "a symbolic link to a file that does not exist".to_string()
        } else {
            "no such file or directory".to_string()
        };
    }
    let text = err.to_string();
    // `Permission denied (os error 13)` reads better without the number.
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, name: &str, text: &str) {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        std::fs::write(path, text).expect("a file");
    }

    fn walk(root: &Path) -> Result<Discovered, ConfigError> {
        let resolver = SettingsResolver::new(
            crate::registry(),
            Overrides::default(),
            None,
            root.to_path_buf(),
        )?;
        discover(&[PathBuf::from(".")], resolver, root)
    }

    #[test]
    fn targets_come_in_path_order_whatever_the_walk_order() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let names = [
            "b.ipynb",
            "a.ipynb",
            "a-b.ipynb",
            "a/x.ipynb",
            "a/b/y.ipynb",
            "A.ipynb",
            "a.b/z.ipynb",
            "ab.ipynb",
            "a/a.ipynb",
            "a/b.ipynb",
        ];
        for name in names {
            write(dir.path(), name, "{}");
        }
        let shown: Vec<PathBuf> = walk(dir.path())
            .expect("no configuration error")
            .targets
            .into_iter()
            .map(|t| t.display)
            .collect();
        let mut expected: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        expected.sort();
        assert_eq!(shown, expected);
    }

    #[test]
    fn a_walk_error_is_reported_once_with_the_notebooks_in_order() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A broken ignore file above the walked directory: an error of the walk, which makes
        // discovery walk again, sorted.
        write(dir.path(), ".gitignore", "a{b\n");
        for sub in ["-x", "b", "a"] {
            write(dir.path(), &format!("proj/{sub}/n.ipynb"), "{}");
        }
        let root = dir.path().join("proj");
        let resolver =
            SettingsResolver::new(crate::registry(), Overrides::default(), None, root.clone())
                .expect("no configuration");
        let found = discover(&[PathBuf::from(".")], resolver, &root).expect("no configuration");
        assert_eq!(found.errors.len(), 1, "{:?}", found.errors);
        assert!(found.errors[0].contains("a{b"), "{:?}", found.errors);
        let shown: Vec<PathBuf> = found.targets.into_iter().map(|t| t.display).collect();
        assert_eq!(
            shown,
            ["-x/n.ipynb", "a/n.ipynb", "b/n.ipynb"].map(PathBuf::from)
        );
    }

    #[test]
    fn of_several_configuration_errors_the_first_directory_s_is_reported() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for sub in ["d", "c", "e/f"] {
            write(dir.path(), &format!("{sub}/nblint.toml"), "select = [");
            write(dir.path(), &format!("{sub}/n.ipynb"), "{}");
        }
        let Err(error) = walk(dir.path()) else {
            panic!("three broken configuration files")
        };
        assert_eq!(error.path, Some(dir.path().join("c/nblint.toml")));
    }
}
