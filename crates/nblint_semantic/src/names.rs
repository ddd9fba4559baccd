//! The names a notebook may read without binding them, and the methods that change their
//! receiver. Each list is documented in `docs/ARCHITECTURE.md` and the hidden-state rule docs.

/// Python 3 builtins (3.8 through 3.14), as in `dir(builtins)`, plus the module attributes
/// every `__main__` has.
const BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "False",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "None",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "PythonFinalizationError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "True",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "_IncompleteInputError",
    "__build_class__",
    "__builtins__",
    "__debug__",
    "__doc__",
    "__import__",
    "__loader__",
    "__name__",
    "__package__",
    "__spec__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// Builtins that only Python 2 had; known when the kernel is Python 2.
const PYTHON2_BUILTINS: &[&str] = &[
    "apply",
    "basestring",
    "buffer",
    "cmp",
    "coerce",
    "execfile",
    "file",
    "intern",
    "long",
    "raw_input",
    "reduce",
    "reload",
    "unichr",
    "unicode",
    "xrange",
    "StandardError",
];

/// What IPython puts in the user namespace and in builtins.
const IPYTHON_GLOBALS: &[&str] = &[
    "In",
    "Out",
    "_",
    "__",
    "___",
    "_i",
    "_ii",
    "_iii",
    "_ih",
    "_oh",
    "_dh",
    "get_ipython",
    "display",
    "exit",
    "quit",
    "__IPYTHON__",
];

/// Whether a name is always there in an IPython kernel: a builtin, an IPython global, or an
/// output/input history variable (`_12`, `_i12`).
pub fn is_known_global(name: &str, python2: bool) -> bool {
    // Asked for every read of every notebook: one hash lookup instead of a binary search and
    // a scan of the IPython globals.
    static KNOWN: std::sync::LazyLock<crate::Set<&'static str>> =
        std::sync::LazyLock::new(|| BUILTINS.iter().chain(IPYTHON_GLOBALS).copied().collect());
    KNOWN.contains(name)
        || is_history_variable(name)
        || (python2 && PYTHON2_BUILTINS.contains(&name))
}

fn is_history_variable(name: &str) -> bool {
    let digits = name
        .strip_prefix("_i")
        .or_else(|| name.strip_prefix('_'))
        .unwrap_or("");
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Methods that change their receiver in place, whatever their arguments: those of `list`,
/// `dict`, `set`, `collections.deque` and `bytearray`, and pandas' `DataFrame.insert`.
/// `true` marks those whose second call does something the first did not (`append` appends
/// again); `false` those that settle after one call (`sort`, `update`).
pub const MUTATING_METHODS: &[(&str, bool)] = &[
    ("add", false),
    ("append", true),
    ("appendleft", true),
    ("clear", false),
    ("difference_update", false),
    ("discard", false),
    ("extend", true),
    ("extendleft", true),
    ("insert", true),
    ("intersection_update", false),
    ("pop", true),
    ("popitem", true),
    ("popleft", true),
    ("remove", true),
    ("reverse", true),
    ("rotate", true),
    ("setdefault", false),
    ("sort", false),
    ("symmetric_difference_update", true),
    ("update", false),
];

/// pandas methods that change their receiver when called with `inplace=True` and fail or differ
/// when called twice (`drop` of a dropped column raises). Any other method called with
/// `inplace=True` (`fillna`, `rename`, `sort_values`, ...) mutates, but settles after one call.
pub const INPLACE_REPEATING: &[&str] = &["drop", "reset_index", "set_index"];

/// What a method call does to its receiver: `None` when it is not known to mutate, otherwise
/// whether a second call changes the result again.
pub fn method_mutation(method: &str, inplace: bool) -> Option<bool> {
    if inplace {
        return Some(INPLACE_REPEATING.contains(&method));
    }
    MUTATING_METHODS
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, repeats)| *repeats)
}

/// The words of an identifier or key, lower case: `dbPassword` and `db_password` give `db`,
/// `password`; `XTest` gives `xtest`. Shared by the rules that read names (credential names,
/// test-data names).
pub fn words(name: &str) -> Vec<String> {
    if name.is_ascii() {
        return ascii_words(name);
    }
    unicode_words(name)
}

/// [`words`] of an ASCII name: each word is a slice of the name, lowered in one copy.
fn ascii_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    ascii_word_slices(name, |word| {
        words.push(word.to_ascii_lowercase());
        false
    });
    words
}

/// Calls `visit` with each word of an ASCII name as written (not lowered), until it returns
/// true; whether it did.
fn ascii_word_slices(name: &str, mut visit: impl FnMut(&str) -> bool) -> bool {
    let bytes = name.as_bytes();
    let mut start: Option<usize> = None;
    let mut previous_lower = false;
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            if let Some(from) = start.take() {
                if visit(&name[from..i]) {
                    return true;
                }
            }
            previous_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && previous_lower {
            if let Some(from) = start.take() {
                if visit(&name[from..i]) {
                    return true;
                }
            }
        }
        start.get_or_insert(i);
        previous_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
    }
    start.is_some_and(|from| visit(&name[from..]))
}

/// Whether `test` holds for one of the [`words`] of `name`, without building the list: a
/// lower-case word of an ASCII name is handed over as a slice of it.
pub fn any_word(name: &str, mut test: impl FnMut(&str) -> bool) -> bool {
    if !name.is_ascii() {
        return unicode_words(name).iter().any(|word| test(word));
    }
    let mut lowered = String::new();
    ascii_word_slices(name, |word| {
        if word.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered.clear();
            lowered.push_str(word);
            lowered.make_ascii_lowercase();
            test(&lowered)
        } else {
            test(word)
        }
    })
}

/// [`words`] of any name, a character at a time.
fn unicode_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed sequence of pseudo-random numbers (xorshift): each call gives one below `n`.
    fn test_numbers(mut state: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        }
    }

    #[test]
    fn ascii_names_split_as_any_name_does() {
        let pieces = [
            "a", "b", "X", "Y", "7", "_", "-", ".", " ", "db", "Password", "ID", "x2",
        ];
        let mut next = test_numbers(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..20_000 {
            let name: String = (0..next(8)).map(|_| pieces[next(pieces.len())]).collect();
            assert_eq!(ascii_words(&name), unicode_words(&name), "{name:?}");
        }
        for name in [
            "dbPassword",
            "X_test",
            "df_val2",
            "XTest_ÉtéValue",
            "",
            "__",
            "a1B",
        ] {
            for probe in [
                "db", "password", "x", "test", "val2", "xtest", "été", "value", "b",
            ] {
                assert_eq!(
                    any_word(name, |w| w == probe),
                    words(name).iter().any(|w| w == probe),
                    "{name} {probe}"
                );
            }
        }
        assert_eq!(words("dbPassword"), ["db", "password"]);
        assert_eq!(words("XTest_ÉtéValue"), ["xtest", "été", "value"]);
    }

    #[test]
    fn builtins_are_sorted_for_binary_search() {
        assert!(BUILTINS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn known_globals() {
        for name in [
            "print", "len", "display", "In", "_", "_12", "_i3", "__name__",
        ] {
            assert!(is_known_global(name, false), "{name}");
        }
        for name in ["np", "df", "_x", "_i", "xrange", "__file__"] {
            assert_eq!(is_known_global(name, false), name == "_i", "{name}");
        }
        assert!(is_known_global("xrange", true));
    }

    #[test]
    fn mutations() {
        assert_eq!(method_mutation("append", false), Some(true));
        assert_eq!(method_mutation("update", false), Some(false));
        assert_eq!(method_mutation("fillna", false), None);
        assert_eq!(method_mutation("fillna", true), Some(false));
        assert_eq!(method_mutation("drop", true), Some(true));
    }
}
