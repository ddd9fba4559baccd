//! Typed family options, declared once.
//!
//! Each family declares one options struct with [`declare_options!`](crate::declare_options):
//! its fields, their kind, their default (as TOML text) and their documentation. The same
//! declaration gives the struct rules read (`checker.options::<HiddenStateOptions>()`), the
//! validation a configuration file goes through when it loads (a wrong type, an unknown key, a
//! negative count or an invalid regex is an error with file, line and column), and the
//! `## Options` section of every rule page, so a default is written in exactly one place.

use std::any::Any;
use std::fmt;

/// What kind of value an option holds, and so how a configuration file must spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A non-negative integer (`usize`).
    Count,
    Bool,
    /// A string.
    Text,
    /// A list of strings.
    Texts,
    /// A list of regular expressions, compiled when the configuration loads.
    Regexes,
    /// A list of numbers, integers or floats (`f64`).
    Numbers,
}

impl OptionKind {
    /// How a message names the expected value: "`max-gap` must be a non-negative integer".
    pub fn describe(self) -> &'static str {
        match self {
            OptionKind::Count => "a non-negative integer",
            OptionKind::Bool => "a boolean",
            OptionKind::Text => "a string",
            OptionKind::Texts => "a list of strings",
            OptionKind::Regexes => "a list of regular expressions",
            OptionKind::Numbers => "a list of numbers",
        }
    }
}

/// One option of a family, as its declaration gives it.
#[derive(Debug, Clone, Copy)]
pub struct OptionMeta {
    /// Kebab-case key in the family's table: `max-mutating-cells`.
    pub name: &'static str,
    pub kind: OptionKind,
    /// The default, as it would be written in TOML: `3`, `[]`, `true`.
    pub default: &'static str,
    /// The codes of the rules that read it; their pages document it.
    pub rules: &'static [&'static str],
    /// One or two sentences.
    pub doc: &'static str,
}

impl OptionMeta {
    /// The documentation as one line of prose.
    pub fn doc_text(&self) -> String {
        self.doc.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A checked option value, ready to be stored in a field.
#[derive(Debug, Clone)]
pub enum OptionValue {
    Count(usize),
    Bool(bool),
    Text(String),
    Texts(Vec<String>),
    Regexes(Vec<regex::Regex>),
    Numbers(Vec<f64>),
}

/// Field types an [`OptionValue`] converts into.
pub trait FromOptionValue: Sized {
    fn from_option_value(value: OptionValue) -> Option<Self>;
}

impl FromOptionValue for usize {
    fn from_option_value(value: OptionValue) -> Option<Self> {
        match value {
            OptionValue::Count(v) => Some(v),
            _ => None,
        }
    }
}

impl FromOptionValue for bool {
    fn from_option_value(value: OptionValue) -> Option<Self> {
        match value {
            OptionValue::Bool(v) => Some(v),
            _ => None,
        }
    }
}

impl FromOptionValue for String {
    fn from_option_value(value: OptionValue) -> Option<Self> {
        match value {
            OptionValue::Text(v) => Some(v),
            _ => None,
        }
    }
}

impl FromOptionValue for Vec<String> {
    fn from_option_value(value: OptionValue) -> Option<Self> {
        match value {
            OptionValue::Texts(v) => Some(v),
            _ => None,
        }
    }
}

impl FromOptionValue for Vec<f64> {
    fn from_option_value(value: OptionValue) -> Option<Self> {
        match value {
            OptionValue::Numbers(v) => Some(v),
            _ => None,
        }
    }
}

impl FromOptionValue for Vec<regex::Regex> {
    fn from_option_value(value: OptionValue) -> Option<Self> {
        match value {
            OptionValue::Regexes(v) => Some(v),
            _ => None,
        }
    }
}

/// A family's options struct. Implemented by [`declare_options!`](crate::declare_options).
pub trait FamilyOptions: Any + Send + Sync + fmt::Debug + Clone + Default {
    const META: &'static [OptionMeta];

    /// Stores a checked value in the field of the option `name`; false for an unknown name or
    /// a value of another kind (which the configuration reader never passes).
    fn set(&mut self, name: &str, value: OptionValue) -> bool;
}

/// The object-safe face of [`FamilyOptions`], as settings hold them.
pub trait AnyOptions: Any + Send + Sync + fmt::Debug {
    fn set(&mut self, name: &str, value: OptionValue) -> bool;
    fn clone_box(&self) -> Box<dyn AnyOptions>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: FamilyOptions> AnyOptions for T {
    fn set(&mut self, name: &str, value: OptionValue) -> bool {
        FamilyOptions::set(self, name, value)
    }

    fn clone_box(&self) -> Box<dyn AnyOptions> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A family's options as its [`Family`](crate::Family) declares them.
#[derive(Clone, Copy)]
pub struct OptionsDecl {
    pub meta: &'static [OptionMeta],
    /// The options with every default.
    pub default: fn() -> Box<dyn AnyOptions>,
}

impl OptionsDecl {
    pub const fn of<T: FamilyOptions>() -> OptionsDecl {
        OptionsDecl {
            meta: T::META,
            default: default_box::<T>,
        }
    }

    /// For a family without options.
    pub const NONE: OptionsDecl = OptionsDecl::of::<NoOptions>();

    pub fn get(&self, name: &str) -> Option<&'static OptionMeta> {
        self.meta.iter().find(|m| m.name == name)
    }
}

fn default_box<T: FamilyOptions>() -> Box<dyn AnyOptions> {
    Box::new(T::default())
}

/// The options of a family that has none.
#[derive(Debug, Clone, Default)]
pub struct NoOptions;

impl FamilyOptions for NoOptions {
    const META: &'static [OptionMeta] = &[];

    fn set(&mut self, _name: &str, _value: OptionValue) -> bool {
        false
    }
}

/// Checks a TOML value against an option's kind: `Err` holds the message and, for a list, the
/// index of the item at fault.
pub fn check_value(
    meta: &OptionMeta,
    value: &toml::de::DeValue<'_>,
) -> Result<OptionValue, (String, Option<usize>)> {
    use toml::de::DeValue;
    let wrong = || {
        (
            format!("`{}` must be {}", meta.name, meta.kind.describe()),
            None,
        )
    };
    let strings =
        |items: &[toml::Spanned<DeValue<'_>>]| -> Result<Vec<String>, (String, Option<usize>)> {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match item.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    _ => Err((
                        format!("`{}` must be {}", meta.name, meta.kind.describe()),
                        Some(i),
                    )),
                })
                .collect()
        };
    match (meta.kind, value) {
        (OptionKind::Count, DeValue::Integer(i)) => {
            let digits = i.as_str().replace('_', "");
            let parsed = i64::from_str_radix(digits.trim_start_matches('+'), i.radix())
                .map_err(|_| wrong())?;
            usize::try_from(parsed)
                .map(OptionValue::Count)
                .map_err(|_| {
                    (
                        format!(
                            "`{}` must be {}, not {parsed}",
                            meta.name,
                            meta.kind.describe()
                        ),
                        None,
                    )
                })
        }
        (OptionKind::Bool, DeValue::Boolean(b)) => Ok(OptionValue::Bool(*b)),
        (OptionKind::Text, DeValue::String(s)) => Ok(OptionValue::Text(s.to_string())),
        (OptionKind::Texts, DeValue::Array(items)) => strings(items).map(OptionValue::Texts),
        (OptionKind::Numbers, DeValue::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let number = match item.get_ref() {
                    DeValue::Integer(n) => i64::from_str_radix(
                        n.as_str().replace('_', "").trim_start_matches('+'),
                        n.radix(),
                    )
                    .ok()
                    .map(|n| n as f64),
                    DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
                    _ => None,
                };
                number.ok_or_else(|| {
                    (
                        format!("`{}` must be {}", meta.name, meta.kind.describe()),
                        Some(i),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(OptionValue::Numbers),
        (OptionKind::Regexes, DeValue::Array(items)) => {
            let texts = strings(items)?;
            texts
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    regex::Regex::new(text).map_err(|err| {
                        let reason = err.to_string();
                        let reason = reason.lines().last().unwrap_or_default().trim();
                        let reason = reason.strip_prefix("error: ").unwrap_or(reason);
                        (
                            format!("invalid regex `{text}` in `{}`: {reason}", meta.name),
                            Some(i),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(OptionValue::Regexes)
        }
        _ => Err(wrong()),
    }
}

/// The default of an option, from the TOML text its declaration gives.
pub fn default_value(meta: &OptionMeta) -> Option<OptionValue> {
    let text = format!("value = {}", meta.default);
    let table = toml::de::DeTable::parse(&text).ok()?;
    let value = table.get_ref().get("value")?;
    check_value(meta, value.get_ref()).ok()
}

/// Declares a family's options struct: one field per option, with its kind, its TOML key, its
/// default as TOML text, the rules that read it, and its documentation.
///
/// ```ignore
/// declare_options! {
///     /// `[hidden-state]`
///     pub struct HiddenStateOptions {
///         /// How many later cells may change a variable before it is reported.
///         max_mutating_cells: Count = "3", key = "max-mutating-cells", rules = ["NB105"];
///     }
/// }
/// ```
///
/// Kinds and field types: `Count` (`usize`), `Bool` (`bool`), `Text` (`String`), `Texts`
/// (`Vec<String>`), `Regexes` (`Vec<regex::Regex>`, compiled once per configuration).
#[macro_export]
macro_rules! declare_options {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $ty:ident {
            $(
                $(#[doc = $field_doc:literal])*
                $field:ident : $kind:ident = $default:literal, key = $key:literal, rules = [$($code:literal),* $(,)?];
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone)]
        $vis struct $ty {
            $(
                $(#[doc = $field_doc])*
                pub $field: $crate::__option_type!($kind),
            )*
        }

        impl ::std::default::Default for $ty {
            fn default() -> Self {
                let mut options = $ty {
                    $($field: ::std::default::Default::default(),)*
                };
                for meta in <$ty as $crate::options::FamilyOptions>::META {
                    if let Some(value) = $crate::options::default_value(meta) {
                        $crate::options::FamilyOptions::set(&mut options, meta.name, value);
                    }
                }
                options
            }
        }

        impl $crate::options::FamilyOptions for $ty {
            const META: &'static [$crate::options::OptionMeta] = &[$(
                $crate::options::OptionMeta {
                    name: $key,
                    kind: $crate::options::OptionKind::$kind,
                    default: $default,
                    rules: &[$($code),*],
                    doc: concat!($($field_doc, " "),*),
                }
            ),*];

            fn set(&mut self, name: &str, value: $crate::options::OptionValue) -> bool {
                match name {
                    $($key => match $crate::options::FromOptionValue::from_option_value(value) {
                        Some(value) => {
                            self.$field = value;
                            true
                        }
                        None => false,
                    },)*
                    _ => false,
                }
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __option_type {
    (Count) => {
        usize
    };
    (Bool) => {
        bool
    };
    (Text) => {
        ::std::string::String
    };
    (Texts) => {
        ::std::vec::Vec<::std::string::String>
    };
    (Regexes) => {
        ::std::vec::Vec<$crate::regex::Regex>
    };
    (Numbers) => {
        ::std::vec::Vec<f64>
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::declare_options! {
        /// Test options.
        pub struct Sample {
            /// A count.
            limit: Count = "3", key = "limit", rules = ["NB999"];
            /// Patterns.
            allow: Regexes = "['^a', 'b$']", key = "allow", rules = ["NB999"];
            /// A switch.
            on: Bool = "true", key = "on", rules = [];
        }
    }

    #[test]
    fn defaults_come_from_the_declaration() {
        let sample = Sample::default();
        assert_eq!(sample.limit, 3);
        assert!(sample.on);
        assert_eq!(sample.allow.len(), 2);
        assert!(sample.allow[0].is_match("abc"));
        assert_eq!(Sample::META[0].doc.trim(), "A count.");
    }

    #[test]
    fn values_are_checked_against_the_kind() {
        let check = |name: &str, toml_value: &str| {
            let meta = Sample::META.iter().find(|m| m.name == name).unwrap();
            let text = format!("v = {toml_value}");
            let table = toml::de::DeTable::parse(&text).unwrap();
            let value = table.get_ref().get("v").unwrap().get_ref().clone();
            check_value(meta, &value).map_err(|(message, _)| message)
        };
        assert!(matches!(check("limit", "7"), Ok(OptionValue::Count(7))));
        assert_eq!(
            check("limit", "-1").unwrap_err(),
            "`limit` must be a non-negative integer, not -1"
        );
        assert_eq!(
            check("limit", "\"three\"").unwrap_err(),
            "`limit` must be a non-negative integer"
        );
        let err = check("allow", "['(unclosed']").unwrap_err();
        assert!(
            err.starts_with("invalid regex `(unclosed` in `allow`: "),
            "{err}"
        );
        assert!(check("on", "1").is_err());
    }
}
