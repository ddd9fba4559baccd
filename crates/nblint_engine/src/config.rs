//! Configuration files (`nblint.toml`, `.nblint.toml`, `[tool.nblint]` in `pyproject.toml`),
//! command-line overrides, and the settings they resolve to.
//!
//! Every mistake in a file (an unknown key, an unknown rule code, a value of the wrong type)
//! is an error naming the file, the line and column, and a close match when there is one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use nblint_notebook::{LineIndex, Position};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::options::{check_value, AnyOptions, FamilyOptions, OptionValue};
use crate::registry::{closest, Registry, RuleSet, Selector};

/// Configuration file names, in the order they are looked for in each directory.
pub const CONFIG_FILES: [&str; 3] = ["nblint.toml", ".nblint.toml", "pyproject.toml"];

/// Directories never walked unless `exclude` is set: caches, environments, VCS metadata and
/// Jupyter's own autosaves, which would otherwise double every finding.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nblint_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
];

const TOP_LEVEL_KEYS: &[&str] = &[
    "fixable",
    "unfixable",
    "extend-safe-fixes",
    "extend-unsafe-fixes",
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
];

/// A mistake in a configuration file or in a command-line setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or `None` for command-line settings.
    pub path: Option<PathBuf>,
    pub position: Option<Position>,
    pub message: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.position) {
            (Some(path), Some(p)) => write!(f, "{}:{}:{}: ", path.display(), p.line, p.column)?,
            (Some(path), None) => write!(f, "{}: ", path.display())?,
            (None, _) => {}
        }
        f.write_str(&self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A configuration file as read, checked against the registry.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
    pub per_file_ignores: Vec<(String, Vec<Selector>)>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    /// Which fixes may apply, and which count as safe or unsafe.
    pub fixes: FixSettings,
    /// `(family, option) → value`, only for options the file sets, checked.
    pub options: BTreeMap<(String, String), OptionValue>,
}

impl ConfigFile {
    /// The directory that relative patterns in the file are relative to.
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Reads a configuration file. A `pyproject.toml` without `[tool.nblint]` gives `Ok(None)`.
    pub fn load(path: &Path, registry: &Registry) -> Result<Option<ConfigFile>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            path: Some(path.to_path_buf()),
            position: None,
            message: format!("cannot read configuration: {err}"),
            suggestion: None,
        })?;
        ConfigFile::parse(path, &text, registry)
    }

    /// Parses configuration text; `path` names the file in errors and decides whether the
    /// settings sit at the top level or under `[tool.nblint]`.
    pub fn parse(
        path: &Path,
        text: &str,
        registry: &Registry,
    ) -> Result<Option<ConfigFile>, ConfigError> {
        let reader = Reader {
            path,
            text,
            lines: LineIndex::new(text),
            registry,
        };
        let document = DeTable::parse(text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            reader.error(span, err.message().trim().to_string(), None)
        })?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let table = if is_pyproject {
            let tool = document.get_ref().get("tool");
            match tool.and_then(|t| t.get_ref().get("nblint")) {
                Some(nblint) => match nblint.get_ref() {
                    DeValue::Table(t) => t,
                    _ => {
                        return Err(reader.error(
                            nblint.span(),
                            "`tool.nblint` must be a table",
                            None,
                        ))
                    }
                },
                None => return Ok(None),
            }
        } else {
            document.get_ref()
        };
        reader.read(table).map(Some)
    }
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    lines: LineIndex,
    registry: &'a Registry,
}

type Item<'i> = Spanned<DeValue<'i>>;

impl Reader<'_> {
    fn error(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        suggestion: Option<String>,
    ) -> ConfigError {
        ConfigError {
            path: Some(self.path.to_path_buf()),
            position: Some(self.lines.position(self.text, span.start)),
            message: message.into(),
            suggestion,
        }
    }

    fn read(&self, table: &DeTable<'_>) -> Result<ConfigFile, ConfigError> {
        let mut config = ConfigFile {
            path: self.path.to_path_buf(),
            ..ConfigFile::default()
        };
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            match name {
                "select" => config.select = Some(self.selectors(value)?),
                "extend-select" => config.extend_select = self.selectors(value)?,
                "ignore" => config.ignore = self.selectors(value)?,
                "exclude" => config.exclude = Some(self.globs(value)?),
                "extend-exclude" => config.extend_exclude = self.globs(value)?,
                "fixable" => config.fixes.fixable = Some(self.selectors(value)?),
                "unfixable" => config.fixes.unfixable = self.selectors(value)?,
                "extend-safe-fixes" => config.fixes.extend_safe = self.selectors(value)?,
                "extend-unsafe-fixes" => config.fixes.extend_unsafe = self.selectors(value)?,
                "per-file-ignores" => {
                    let DeValue::Table(entries) = value.get_ref() else {
                        return Err(self.error(
                            value.span(),
                            "`per-file-ignores` must be a table of glob = [codes]",
                            None,
                        ));
                    };
                    for (pattern, codes) in entries {
                        let pattern_text = pattern.get_ref().to_string();
                        if let Err(err) = Glob::new(&pattern_text) {
                            return Err(self.error(
                                pattern.span(),
                                format!("invalid glob `{pattern_text}`: {}", err.kind()),
                                None,
                            ));
                        }
                        config
                            .per_file_ignores
                            .push((pattern_text, self.selectors(codes)?));
                    }
                }
                _ => match self.registry.family(name) {
                    Some(family) => {
                        let DeValue::Table(options) = value.get_ref() else {
                            return Err(self.error(
                                value.span(),
                                format!("`{name}` must be a table of options"),
                                None,
                            ));
                        };
                        for (option, value) in options {
                            let option_name = option.get_ref().as_ref();
                            let Some(meta) = family.options.get(option_name) else {
                                return Err(self.error(
                                    option.span(),
                                    format!("unknown option `{option_name}` in `[{name}]`"),
                                    closest(
                                        option_name,
                                        family.options.meta.iter().map(|o| o.name),
                                    ),
                                ));
                            };
                            let setting =
                                check_value(meta, value.get_ref()).map_err(|(message, item)| {
                                    let span = match (item, value.get_ref()) {
                                        (Some(i), DeValue::Array(items)) => {
                                            items.get(i).map_or(value.span(), |item| item.span())
                                        }
                                        _ => value.span(),
                                    };
                                    self.error(span, message, None)
                                })?;
                            config
                                .options
                                .insert((name.to_string(), option_name.to_string()), setting);
                        }
                    }
                    None => {
                        let known = TOP_LEVEL_KEYS
                            .iter()
                            .copied()
                            .chain(self.registry.families().iter().map(|f| f.name));
                        return Err(self.error(
                            key.span(),
                            format!("unknown configuration key `{name}`"),
                            closest(name, known),
                        ));
                    }
                },
            }
        }
        Ok(config)
    }

    fn strings(
        &self,
        value: &Item<'_>,
        what: &str,
    ) -> Result<Vec<(String, std::ops::Range<usize>)>, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.error(value.span(), format!("expected a list of {what}"), None));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok((s.to_string(), item.span())),
                _ => Err(self.error(item.span(), format!("expected a list of {what}"), None)),
            })
            .collect()
    }

    fn selectors(&self, value: &Item<'_>) -> Result<Vec<Selector>, ConfigError> {
        self.strings(value, "rule codes")?
            .into_iter()
            .map(|(text, span)| {
                self.registry.selector(&text).map_err(|unknown| {
                    self.error(
                        span,
                        format!("unknown rule selector `{}`", unknown.text),
                        unknown.suggestion,
                    )
                })
            })
            .collect()
    }

    fn globs(&self, value: &Item<'_>) -> Result<Vec<String>, ConfigError> {
        self.strings(value, "glob patterns")?
            .into_iter()
            .map(|(text, span)| match Glob::new(&text) {
                Ok(_) => Ok(text),
                Err(err) => {
                    Err(self.error(span, format!("invalid glob `{text}`: {}", err.kind()), None))
                }
            })
            .collect()
    }
}

/// Selection given on the command line; it wins over every file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
}

/// Settings resolved for the files one configuration file governs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Directory that relative globs are matched against.
    pub root: PathBuf,
    /// The configuration file these settings came from, if any.
    pub source: Option<PathBuf>,
    pub rules: RuleSet,
    per_file_ignores: Vec<(GlobMatcher, Vec<Selector>)>,
    exclude: GlobSet,
    /// Each family's options, every default filled in.
    options: Vec<std::sync::Arc<dyn AnyOptions>>,
    pub fixes: FixSettings,
}

/// `fixable`, `unfixable`, `extend-safe-fixes`, `extend-unsafe-fixes`, as in ruff.
#[derive(Debug, Clone, Default)]
pub struct FixSettings {
    /// Rules whose fixes may apply; every rule when `None`.
    pub fixable: Option<Vec<Selector>>,
    /// Rules whose fixes never apply.
    pub unfixable: Vec<Selector>,
    /// Rules whose unsafe fixes count as safe.
    pub extend_safe: Vec<Selector>,
    /// Rules whose safe fixes count as unsafe.
    pub extend_unsafe: Vec<Selector>,
}

impl FixSettings {
    /// The applicability a rule's fix has under this configuration; `None` when it may not
    /// apply at all.
    pub fn applicability(
        &self,
        registry: &Registry,
        meta: &crate::rule::RuleMeta,
        applicability: crate::rule::Applicability,
    ) -> Option<crate::rule::Applicability> {
        use crate::rule::Applicability;
        let covers = |selectors: &[Selector]| selectors.iter().any(|s| s.covers(registry, meta));
        if self.fixable.as_deref().is_some_and(|f| !covers(f)) || covers(&self.unfixable) {
            return None;
        }
        Some(if covers(&self.extend_unsafe) {
            Applicability::Unsafe
        } else if covers(&self.extend_safe) {
            Applicability::Safe
        } else {
            applicability
        })
    }
}

impl Settings {
    /// Resolves a configuration file (or none: defaults rooted at `root`) and the command line.
    pub fn resolve(
        registry: &Registry,
        config: Option<&ConfigFile>,
        root: &Path,
        overrides: &Overrides,
    ) -> Settings {
        let mut rules = RuleSet::defaults(registry);
        let mut options = Vec::new();
        for family in registry.families() {
            let mut values = (family.options.default)();
            if let Some(config) = config {
                for ((owner, name), value) in &config.options {
                    if owner == family.name {
                        values.set(name, value.clone());
                    }
                }
            }
            options.push(std::sync::Arc::from(values));
        }
        let mut exclude_patterns: Vec<String> =
            DEFAULT_EXCLUDE.iter().map(|s| s.to_string()).collect();
        let mut per_file_ignores = Vec::new();
        if let Some(config) = config {
            rules.apply(
                registry,
                config.select.as_deref(),
                &config.extend_select,
                &config.ignore,
            );
            if let Some(exclude) = &config.exclude {
                exclude_patterns = exclude.clone();
            }
            exclude_patterns.extend(config.extend_exclude.iter().cloned());
            for (pattern, selectors) in &config.per_file_ignores {
                // Checked when the file was read.
                if let Ok(glob) = Glob::new(pattern) {
                    per_file_ignores.push((glob.compile_matcher(), selectors.clone()));
                }
            }
        }
        rules.apply(
            registry,
            overrides.select.as_deref(),
            &overrides.extend_select,
            &overrides.ignore,
        );
        let mut exclude = GlobSetBuilder::new();
        for pattern in &exclude_patterns {
            if let Ok(glob) = Glob::new(pattern) {
                exclude.add(glob);
            }
        }
        Settings {
            root: root.to_path_buf(),
            source: config.map(|c| c.path.clone()),
            fixes: config.map(|c| c.fixes.clone()).unwrap_or_default(),
            rules,
            per_file_ignores,
            exclude: exclude.build().unwrap_or_else(|_| GlobSet::empty()),
            options,
        }
    }

    /// Whether a path (file or directory) met while walking is excluded. Patterns match the
    /// path relative to the settings' root, and also the bare file name, so `build` or
    /// `*.tmp.ipynb` work at any depth.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        self.exclude.is_match(relative)
            || path
                .file_name()
                .is_some_and(|name| self.exclude.is_match(Path::new(name)))
    }

    /// The rules enabled for one file, `per-file-ignores` applied.
    pub fn rules_for(&self, registry: &Registry, path: &Path) -> RuleSet {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let mut rules = self.rules.clone();
        for (matcher, selectors) in &self.per_file_ignores {
            let hit = matcher.is_match(relative)
                || path
                    .file_name()
                    .is_some_and(|name| matcher.is_match(Path::new(name)));
            if hit {
                rules.apply(registry, None, &[], selectors);
            }
        }
        rules
    }

    /// A family's options. Every registered family's options are here; a type no family
    /// registered gets its defaults (a programming error, never a user's).
    pub fn options<T: FamilyOptions>(&self) -> &T {
        self.options
            .iter()
            .find_map(|o| o.as_any().downcast_ref::<T>())
            .unwrap_or_else(|| Box::leak(Box::new(T::default())))
    }
}

/// The configuration file that sits in `dir` itself: the first of [`CONFIG_FILES`] there (a
/// `pyproject.toml` counts only with a `[tool.nblint]` table). Callers walk up the ancestors,
/// caching per directory, when `dir` has none.
pub fn config_in_dir(dir: &Path, registry: &Registry) -> Result<Option<ConfigFile>, ConfigError> {
    for name in CONFIG_FILES {
        let candidate = dir.join(name);
        if candidate.is_file() {
            if let Some(config) = ConfigFile::load(&candidate, registry)? {
                return Ok(Some(config));
            }
        }
    }
    Ok(None)
}
