//! The secret detectors: one table of provider token formats, each with its real shape
//! (prefix, length, alphabet), an optional validator (a checksum where the format has one, a
//! decode check where the token embeds structure) and an example of its shape, fake, for tests
//! and documentation.

use std::sync::{LazyLock, OnceLock};

use regex::Regex;

/// One kind of secret.
#[derive(Debug)]
pub struct Detector {
    /// Stable identifier, for messages and allowlists: `aws-access-key-id`.
    pub id: &'static str,
    /// What it is, as a reader calls it: "AWS access key ID".
    pub name: &'static str,
    /// Substrings one of which every match contains: a fast test before the regex runs.
    pub keywords: &'static [&'static str],
    /// The regex. When it has a capture group, group 1 is the secret; otherwise the match is.
    pub pattern: &'static str,
    /// A check on the secret beyond its shape.
    pub validate: Option<fn(&str) -> bool>,
    /// Text with a fake secret of this shape, as it would appear in a notebook.
    pub example: &'static str,
}

/// Every detector, in the order their findings are reported when two overlap.
pub const DETECTORS: &[Detector] = &[
    Detector {
        id: "private-key",
        name: "private key",
        keywords: &["PRIVATE KEY"],
        // Every line of key material, however the lines are joined: real newlines, `\n` escapes
        // (service-account JSON), or string pieces concatenated across lines of code.
        pattern: r#"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\\+[nr]|[\s"'+])*([A-Za-z0-9+/=]{40,}(?:(?:\\+[nrt]|[\s"',+]|\\)+[A-Za-z0-9+/=]{4,})*)"#,
        validate: None,
        example: "-----BEGIN PRIVATE KEY-----\\nMIIekkSFWGVRMygNi2Ut6Gg/oN/s7FyjBS+QQDQjMVJAB8QtAWC3Qs4bs8n31gAV\\n-----END PRIVATE KEY-----",
    },
    Detector {
        id: "aws-access-key-id",
        name: "AWS access key ID",
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA"],
        pattern: r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        validate: Some(not_documentation_example),
        example: "AKIA7KLFYYLBEG3RHDSV",
    },
    Detector {
        id: "aws-secret-access-key",
        name: "AWS secret access key",
        keywords: &["ecret", "ECRET"],
        // Quoted in code and JSON, bare in `~/.aws/credentials`, `.env` files and `env` dumps.
        pattern: r#"(?i)aws_?secret(?:_?access)?(?:_?key)?\\?["']?\s*[:=,]\s*(?:r|b)?\\?["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        validate: Some(high_entropy),
        example: "aws_secret_access_key = \"7PfhIg8Ez9oP0ZV1YgHNMqhQY+CIb27Mxy85v0eq\"",
    },
    Detector {
        id: "github-token",
        name: "GitHub token",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"\b(gh[pousr]_[A-Za-z0-9]{36})\b",
        validate: Some(base62_crc32_checksum),
        example: "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",
    },
    Detector {
        id: "github-fine-grained-token",
        name: "GitHub fine-grained token",
        keywords: &["github_pat_"],
        pattern: r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        validate: None,
        example: "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",
    },
    Detector {
        id: "gitlab-token",
        name: "GitLab token",
        keywords: &["glpat-", "gldt-", "glrt-", "glptt-"],
        pattern: r"\b((?:glpat|gldt|glrt|glptt)-[A-Za-z0-9_-]{20,})",
        validate: Some(high_entropy_body),
        example: "glpat-lIB3opX3AKcL1rxIu4sH",
    },
    Detector {
        id: "slack-token",
        name: "Slack token",
        keywords: &["xox"],
        pattern: r"\b(xox[abposr]-[0-9]{10,13}-[0-9A-Za-z-]{10,})",
        validate: None,
        example: "xoxb-593745435699-6430436912312-jXRS4ASfzgUOVm0HnCO3V3xk",
    },
    Detector {
        id: "slack-webhook",
        name: "Slack webhook URL",
        keywords: &["hooks.slack.com"],
        pattern: r"https://hooks\.slack\.com/(?:services|workflows)/([A-Z0-9]{8,}/[A-Z0-9]{8,}/[A-Za-z0-9]{20,})",
        validate: None,
        example: "https://hooks.slack.com/services/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",
    },
    Detector {
        id: "stripe-live-key",
        name: "Stripe live key",
        keywords: &["_live_"],
        pattern: r"\b((?:sk|rk)_live_[0-9A-Za-z]{24,99})\b",
        validate: None,
        example: "sk_live_SJxkKIv6IK652wFQsVFOs3Cf",
    },
    Detector {
        id: "openai-api-key",
        name: "OpenAI API key",
        keywords: &["sk-"],
        pattern: r"\b(sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{48})\b",
        validate: None,
        example: "sk-proj-YlcdgDs25sPddTeyLygdT3BlbkFJerbTZBW4nZrK6sYQsuNE",
    },
    Detector {
        id: "anthropic-api-key",
        name: "Anthropic API key",
        keywords: &["sk-ant-"],
        pattern: r"\b(sk-ant-(?:api|admin)[0-9][0-9]-[A-Za-z0-9_-]{80,}AA)\b",
        validate: None,
        example: "sk-ant-api03-NqOmXFjpzUukMrMTvcfeM_W7nafAf63dXFq9fYVPHyUmvmTVcvFKXMhbzlEd4VvOzuYFl7iKCyZQeG_JDWxCOQ2fgrlaQAA",
    },
    Detector {
        id: "google-api-key",
        name: "Google API key",
        keywords: &["AIza"],
        pattern: r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        validate: Some(high_entropy_body),
        example: "AIzaJx3dfqSwAExxC0nLfYmF9jA7ej3QrZP1IWb",
    },
    Detector {
        id: "google-service-account",
        name: "Google service-account key",
        keywords: &["private_key_id"],
        pattern: r#"private_key_id\\?["']?\s*:\s*\\?["']([0-9a-f]{40})\\?["']"#,
        validate: None,
        example: "\"private_key_id\": \"6d00ee8ed0f6bc7e0183f3a506061914380c282d\"",
    },
    Detector {
        id: "azure-storage-key",
        name: "Azure storage account key",
        keywords: &["AccountKey="],
        pattern: r"AccountName=[^;\s]+;\s*AccountKey=([A-Za-z0-9+/]{86}==)",
        validate: None,
        example: "DefaultEndpointsProtocol=https;AccountName=sales;AccountKey=z9kjNlm0R0KG7kJ5KqhTo4ZCvaFK2THmNUQKie9mUfJthl2FfsSgwfP38B4xpIsVvDQEdtovCngbgxKhBtvGX8==;EndpointSuffix=core.windows.net",
    },
    Detector {
        id: "azure-sas-token",
        name: "Azure SAS token",
        keywords: &["sig="],
        pattern: r"\bsv=[0-9]{4}-[0-9]{2}-[0-9]{2}&[^\s'\x22<>]*?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=)*)",
        validate: None,
        example: "https://sales.blob.core.windows.net/data?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=o8Vet1jlGSZRGyfTzIHy6rZQ4DQdnmrMkSlNNtZx3cK%3D",
    },
    Detector {
        id: "huggingface-token",
        name: "Hugging Face token",
        keywords: &["hf_"],
        pattern: r"\b(hf_[A-Za-z]{34})\b",
        validate: Some(high_entropy_body),
        example: "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",
    },
    Detector {
        id: "twilio-api-key",
        name: "Twilio API key",
        keywords: &["SK"],
        pattern: r"\b(SK[0-9a-f]{32})\b",
        validate: Some(high_entropy_body),
        example: "SK70315ecf86323af9f487c28e83a5cd90",
    },
    Detector {
        id: "sendgrid-api-key",
        name: "SendGrid API key",
        keywords: &["SG."],
        pattern: r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b",
        validate: None,
        example: "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",
    },
    Detector {
        id: "mailgun-api-key",
        name: "Mailgun API key",
        keywords: &["key-"],
        pattern: r"\b(key-[0-9a-f]{32})\b",
        validate: Some(high_entropy_body),
        example: "key-c74efd7e3ad68d81a7175bcedc132202",
    },
    Detector {
        id: "npm-token",
        name: "npm access token",
        keywords: &["npm_"],
        pattern: r"\b(npm_[A-Za-z0-9]{36})\b",
        validate: Some(base62_crc32_checksum),
        example: "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",
    },
    Detector {
        id: "pypi-token",
        name: "PyPI upload token",
        keywords: &["pypi-AgEIcHlwaS5vcmc"],
        pattern: r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
        validate: None,
        example: "pypi-AgEIcHlwaS5vcmcU9krJqIMqRkbZ5ciEPRGrUhReW8bw_nvgGSkuQxnkhV2yEDZ0-VpfL-rb8kJLOW-raADtH",
    },
    Detector {
        id: "databricks-token",
        name: "Databricks token",
        keywords: &["dapi"],
        pattern: r"\b(dapi[0-9a-f]{32}(?:-[0-9])?)\b",
        validate: Some(high_entropy_body),
        example: "dapi42fe6813762cc6e2b60f16df5fcda21e",
    },
    Detector {
        id: "discord-bot-token",
        name: "Discord bot token",
        // Its only fixed character is `.`, in every text: it always runs.
        keywords: &[],
        pattern: r"\b([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})\b",
        validate: Some(discord_user_id),
        example: "MjU5NTM1MzI1NTg3NDIyMTkx.bp2uqG.q1W4LHMTFuUKmKWVNLGxPExNI6b",
    },
    Detector {
        id: "telegram-bot-token",
        name: "Telegram bot token",
        keywords: &[":AA"],
        pattern: r"\b([0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        validate: None,
        example: "7803050291:AAAgSOJWZbmWE7zj8FlSC8zeN1PaFD956Cy",
    },
    Detector {
        id: "jwt",
        name: "JSON Web Token",
        keywords: &["eyJ"],
        pattern: r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
        validate: Some(jwt_header),
        example: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiR1B5a0Z4NnlqeiIsICJuYW1lIjogIkFkYSIsICJpYXQiOiAxNzAwMDAwMDAwfQ.U3nJY9S4iZIsEwphqx76RJUNs2QJnvv3cfUXPnQJ6nl",
    },
    Detector {
        id: "connection-string-password",
        name: "password in a connection string",
        keywords: &["assword", "ASSWORD", "pwd", "PWD", "Pwd"],
        pattern: r#"(?i);\s*(?:password|pwd)\s*=\s*([^;'"\s{}]{3,})"#,
        validate: Some(url_password),
        example: "conn = pyodbc.connect('Driver={ODBC Driver 18 for SQL Server};Server=db;UID=analyst;PWD=53eYfugPp1R8lzy1;')",
    },
    Detector {
        id: "http-authorization",
        name: "HTTP authorization header",
        keywords: &["uthorization", "UTHORIZATION"],
        pattern: r#"(?i)\bauthorization\\?["']?\s*[:=,]\s*\\?["']?\s*(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{12,})"#,
        validate: Some(random_value),
        example: "headers = {\"Authorization\": \"Bearer 8hQ2vLk4Zp9Xw3Rt7Ym1Nc5Bd6Fg0Js\"}",
    },
    Detector {
        id: "netrc-password",
        name: "password in a .netrc entry",
        keywords: &["password"],
        pattern: r#"\bmachine\s+\S+\s+login\s+\S+\s+password\s+([^\s<>"'`{}]{3,})"#,
        validate: Some(url_password),
        example: "machine api.example.org login analyst password 53eYfugPp1R8lzy1",
    },
    Detector {
        id: "url-password",
        name: "password in a URL",
        keywords: &["://"],
        pattern: r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\x22<>]+:([^\s:/@'\x22<>]{3,})@[A-Za-z0-9.-]+",
        validate: Some(url_password),
        example: "postgresql://analyst:53eYfugPp1R8lzy1@db.internal:5432/sales",
    },
];

/// The pseudo-detector of a credential bound to a name in text that is not Python code:
/// `DB_PASSWORD=...` in an `env` dump, `password: ...` in YAML, `'api_key': '...'` in a
/// printed dict. It is not in [`DETECTORS`]: its findings are NB402's in sources.
pub static ASSIGNMENT: Detector = Detector {
    id: "credential-assignment",
    name: "credential",
    keywords: &[],
    pattern: "",
    validate: None,
    example: "DB_PASSWORD=Tr0ub4dor&3x!",
};

/// `NAME = value`, `NAME: value`, `"NAME": "value"`, `NAME <- "value"`, `export NAME=value`,
/// `%env NAME=value` where NAME has a credential word: group 1 is the name, group 2 a quoted
/// value, group 3 a bare one.
static ASSIGNMENT_REGEX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[^A-Za-z0-9_.+/-])([A-Za-z0-9_.-]*(?:pass|pwd|pw|token|secret|auth|key|cred)[A-Za-z0-9_.-]*)\\?["']?[ \t]*(?:=|:|=>|<-)[ \t]*(?:[rb]?\\?["']([^"'\\\n]+)\\?["']|([^\s"'`=,;{}()\[\]<>\\][^\s"'`,;{}()\[\]<>\\]*))"#,
    )
    .expect("the assignment pattern is a valid regex")
});

/// A secret found in a text.
#[derive(Debug, Clone)]
pub struct Found {
    pub detector: &'static Detector,
    /// Byte range of the secret in the text scanned.
    pub start: usize,
    pub end: usize,
    /// For [`ASSIGNMENT`], the name the value is bound to.
    pub name: Option<String>,
}

impl Found {
    /// Whether it is a credential bound to a name (NB402's) rather than a known format.
    pub fn is_assignment(&self) -> bool {
        std::ptr::eq(self.detector, &ASSIGNMENT)
    }
}

/// The detectors' compiled regexes, in table order, each compiled the first time a text holds
/// one of its keywords: a run over a few notebooks compiles only what it needs.
static REGEXES: [OnceLock<Regex>; DETECTORS.len()] = [const { OnceLock::new() }; DETECTORS.len()];

fn regex(index: usize) -> &'static Regex {
    REGEXES[index].get_or_init(|| {
        // ASCII word boundaries: Unicode ones keep the regex engine off its fast DFA paths,
        // and every token format here is ASCII.
        let pattern = DETECTORS[index].pattern.replace(r"\b", r"(?-u:\b)");
        Regex::new(&pattern).expect("detector patterns are valid regexes")
    })
}

/// Words of credential names, for [`find_assignments`].
const NAME_WORDS: [&str; 8] = [
    "pass", "pwd", "pw", "token", "secret", "auth", "key", "cred",
];

/// Every detector's keywords and every credential-name word in one automaton, matched without
/// regard to ASCII case: one pass over a text tells which detectors can match in it and which
/// lines may bind a credential to a name. Detectors without keywords always run.
struct Keywords {
    lanes: crate::lanes::Lanes,
    /// For each pattern, the detector it is a keyword of; `None` for the name words.
    owner: Vec<Option<usize>>,
    /// For each pattern, the exact text to find when its detector's regex minds case (`SK`
    /// of a Twilio key is not the `sk` of `sklearn`): the automaton matches without regard to
    /// case, for the name words, and a keyword of such a detector counts only as written.
    exact: Vec<Option<&'static str>>,
    always: u64,
    /// Detectors with a cheap necessary test ([`GATES`]), run when the keywords allow them.
    gated: Vec<(u64, Gate)>,
}

/// A cheap test a text must pass for a detector's regex to be able to match in it.
type Gate = fn(&str) -> bool;

/// Detectors with a cheap test a text must pass for their regex to be able to match: one
/// without a keyword would run its regex over every text, and one whose keyword is common
/// (`://`) over most.
const GATES: &[(&str, Gate)] = &[
    ("discord-bot-token", discord_candidate),
    ("url-password", url_password_candidate),
];

/// The lengths a detector's regex leaves open, checked on each of its matches: given the text,
/// the whole match and the secret, the secret to keep, or `None` to drop the match. A counted
/// repetition of a negated class (`[^\s:/@]{3,128}`) compiles to hundreds of automaton states
/// per count, and three such detectors made up two thirds of the compile time of the table
/// (paid by every run whose text holds one of their keywords, a single notebook's included):
/// their regexes repeat without bound, and these checks give the same findings.
type Bounds =
    fn(&str, std::ops::Range<usize>, std::ops::Range<usize>) -> Option<std::ops::Range<usize>>;

const BOUNDS: &[(&str, Bounds)] = &[
    ("connection-string-password", first_128_chars),
    ("netrc-password", first_128_chars),
    ("url-password", url_lengths),
];

/// A value that runs on past 128 characters is reported by its first 128 (what
/// `([^;'"\s{}]{3,128})`, with nothing after it, matched). Nothing can start a match inside
/// such a run (the regexes start with `;` or `machine` after a blank), so none is skipped.
fn first_128_chars(
    text: &str,
    _whole: std::ops::Range<usize>,
    secret: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let end = text[secret.clone()]
        .char_indices()
        .nth(128)
        .map_or(secret.end, |(i, _)| secret.start + i);
    Some(secret.start..end)
}

/// A URL's user is at most 64 characters and its password at most 128, as
/// `://[^...]{1,64}:([^...]{3,128})@` required: the user is what lies between the match's
/// first `://` (the scheme has no colon) and the colon before the password (the user has
/// none).
fn url_lengths(
    text: &str,
    whole: std::ops::Range<usize>,
    secret: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let before = text.get(whole.start..secret.start.checked_sub(1)?)?;
    let user = &before[before.find("://")? + 3..];
    (user.chars().count() <= 64 && text[secret.clone()].chars().count() <= 128).then_some(secret)
}

/// Whether `text` has what a password in a URL needs: an `@` at most 193 bytes after a `://`
/// (user, `:`, password), with no blank between them. URLs are common, credentials in them
/// are not.
fn url_password_candidate(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"://").any(|at| {
        bytes[at + 3..]
            .iter()
            .take(64 + 1 + 128)
            .take_while(|b| !b.is_ascii_whitespace())
            .any(|&b| b == b'@')
    })
}

/// Whether `text` has what a Discord bot token needs: a `.` after 24 to 26 token characters
/// that start with `M`, `N` or `O`, then 6 token characters and another `.`. Dots are common,
/// long runs before one are not.
fn discord_candidate(text: &str) -> bool {
    let bytes = text.as_bytes();
    // A second dot 7 bytes after a first is rare, and only then is the run before the first
    // dot read.
    let candidate = |dot: usize| discord_run(bytes, dot);
    #[cfg(target_arch = "x86_64")]
    if let Some(finder) = &*DOT_PAIRS {
        // Where the processor has AVX2, a vector search finds the pairs of dots; the last
        // bytes, too few for it, go through memchr.
        let mut at = 0;
        while bytes.len() - at >= finder.min_haystack_len() {
            let Some(found) = finder.find_prefilter(&bytes[at..]) else {
                return false;
            };
            let dot = at + found;
            if bytes.get(dot + 7) == Some(&b'.') && candidate(dot) {
                return true;
            }
            at = dot + 1;
        }
        return dot_pairs(bytes, at).any(candidate);
    }
    dot_pairs(bytes, 0).any(candidate)
}

/// The dots of `bytes` from `from` on with another dot 7 bytes after them, found with memchr.
fn dot_pairs(bytes: &[u8], from: usize) -> impl Iterator<Item = usize> + '_ {
    let positions = bytes.len().saturating_sub(7);
    memchr::memchr_iter(b'.', bytes.get(from..positions).unwrap_or_default())
        .map(move |i| from + i)
        .filter(|&dot| bytes[dot + 7] == b'.')
}

/// Whether the dot at `dot`, with another 7 bytes after it, ends what a Discord bot token's
/// first two parts need: 6 token characters after it, and 24 to 26 before it, the first an
/// `M`, `N` or `O`.
fn discord_run(bytes: &[u8], dot: usize) -> bool {
    let token = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if !bytes[dot + 1..dot + 7].iter().all(|&b| token(b)) {
        return false;
    }
    let mut run = 0;
    while run < 26 && run < dot && token(bytes[dot - 1 - run]) {
        run += 1;
    }
    run >= 24 && (24..=run).any(|n| matches!(bytes[dot - n], b'M' | b'N' | b'O'))
}

/// memchr's packed-pair prefilter for two dots 7 bytes apart (it tests two bytes of a needle
/// at once), where the processor has AVX2.
#[cfg(target_arch = "x86_64")]
static DOT_PAIRS: LazyLock<Option<memchr::arch::x86_64::avx2::packedpair::Finder>> =
    LazyLock::new(|| {
        use memchr::arch::all::packedpair::Pair;
        let needle = b"........";
        let pair = Pair::with_indices(needle, 0, 7)?;
        memchr::arch::x86_64::avx2::packedpair::Finder::with_pair(needle, pair)
    });

static KEYWORDS: LazyLock<Keywords> = LazyLock::new(|| {
    let mut patterns: Vec<&str> = Vec::new();
    let mut owner = Vec::new();
    let mut exact = Vec::new();
    let mut always = 0u64;
    for (index, detector) in DETECTORS.iter().enumerate() {
        if detector.keywords.is_empty() {
            always |= 1 << index;
        }
        let minds_case = !detector.pattern.contains("(?i");
        for keyword in detector.keywords {
            patterns.push(keyword);
            owner.push(Some(index));
            exact.push(minds_case.then_some(*keyword));
        }
    }
    for word in NAME_WORDS {
        patterns.push(word);
        owner.push(None);
        exact.push(None);
    }
    let lanes = crate::lanes::Lanes::new(&patterns).expect("the keywords fit the scan table");
    let gated = GATES
        .iter()
        .map(|&(id, gate)| {
            let index = DETECTORS
                .iter()
                .position(|d| d.id == id)
                .expect("gates name detectors");
            (1u64 << index, gate)
        })
        .collect();
    Keywords {
        lanes,
        owner,
        exact,
        always,
        gated,
    }
});

/// What one pass of [`KEYWORDS`] over a text found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hits {
    /// Bit `i`: detector `i` may match.
    detectors: u64,
    /// The lines (byte ranges) holding a credential-name word, when asked for.
    name_lines: Vec<std::ops::Range<usize>>,
}

pub(crate) fn keyword_scan(text: &str, names: bool) -> Hits {
    let keywords = &*KEYWORDS;
    let mut hits = Hits {
        detectors: keywords.always,
        name_lines: Vec::new(),
    };
    // Every occurrence of every pattern, by end: those on one line come together.
    for hit in keywords.lanes.scan(text.as_bytes()) {
        let pattern = hit.pattern;
        if let Some(exact) = keywords.exact[pattern] {
            if &text.as_bytes()[hit.start..hit.end] != exact.as_bytes() {
                continue;
            }
        }
        match keywords.owner[pattern] {
            Some(detector) => hits.detectors |= 1 << detector,
            None if names => {
                if hits.name_lines.last().is_some_and(|l| hit.start < l.end)
                    || !assignment_follows(text.as_bytes(), hit.end)
                {
                    continue;
                }
                let start = text[..hit.start].rfind('\n').map_or(0, |i| i + 1);
                let end = text[hit.end..]
                    .find('\n')
                    .map_or(text.len(), |i| hit.end + i);
                hits.name_lines.push(start..end);
            }
            None => {}
        }
    }
    for &(bit, gate) in &keywords.gated {
        if hits.detectors & bit != 0 && !gate(text) {
            hits.detectors &= !bit;
        }
    }
    hits
}

/// Whether what follows a credential word ending at `end` can bind it, as
/// [`ASSIGNMENT_REGEX`] requires: the rest of the name (`[A-Za-z0-9_.-]*`), an optional
/// backslash and quote, blanks, then `=`, `:` or `<-`. A line where no credential word passes
/// cannot match the regex, which is not run there.
fn assignment_follows(text: &[u8], end: usize) -> bool {
    let mut at = end;
    let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    while text.get(at).is_some_and(|&b| name(b)) {
        at += 1;
    }
    if text.get(at) == Some(&b'\\') {
        at += 1;
    }
    if matches!(text.get(at), Some(b'"' | b'\'')) {
        at += 1;
    }
    while matches!(text.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    match text.get(at) {
        Some(b'=' | b':') => true,
        Some(b'<') => text.get(at + 1) == Some(&b'-'),
        _ => false,
    }
}

/// The secrets of known formats among the detectors `hits` allows.
fn find_formats(text: &str, hits: &Hits) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for (index, detector) in DETECTORS.iter().enumerate() {
        if hits.detectors & (1 << index) == 0 {
            continue;
        }
        let bounds = BOUNDS
            .iter()
            .find(|(id, _)| *id == detector.id)
            .map(|&(_, bounds)| bounds);
        let regex = regex(index);
        let mut at = 0;
        while at <= text.len() {
            let Some(captures) = regex.captures_at(text, at) else {
                break;
            };
            let (Some(whole), Some(secret)) =
                (captures.get(0), captures.get(1).or_else(|| captures.get(0)))
            else {
                break;
            };
            // Where the next search starts: after this match, as `captures_iter` goes on.
            at = whole.end().max(whole.start() + 1);
            let secret = match bounds {
                None => secret.range(),
                Some(bounds) => match bounds(text, whole.range(), secret.range()) {
                    // A cut secret ended the match of the counted regex.
                    Some(kept) => {
                        if kept.end < secret.end() {
                            at = kept.end.max(whole.start() + 1);
                        }
                        kept
                    }
                    // The counted regex did not match here: it searched on from the next
                    // character.
                    None => {
                        at = whole.start()
                            + text[whole.start()..]
                                .chars()
                                .next()
                                .map_or(1, char::len_utf8);
                        continue;
                    }
                },
            };
            while at < text.len() && !text.is_char_boundary(at) {
                at += 1;
            }
            let value = &text[secret.clone()];
            if detector.validate.is_some_and(|v| !v(value)) || is_documentation_token(value) {
                continue;
            }
            let overlaps = found
                .iter()
                .any(|f| f.start < secret.end && secret.start < f.end);
            if !overlaps {
                found.push(Found {
                    detector,
                    start: secret.start,
                    end: secret.end,
                    name: None,
                });
            }
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// Every secret of a known format in `text`, by position, overlapping matches resolved in
/// table order.
pub fn find_all(text: &str) -> Vec<Found> {
    find_formats(text, &keyword_scan(text, false))
}

/// [`find_all`], and the credentials bound to credential names in text that is not Python
/// code ([`ASSIGNMENT`]), where they do not overlap a known format. One keyword pass serves
/// both.
pub fn find_all_with_assignments(text: &str) -> Vec<Found> {
    let hits = keyword_scan(text, true);
    let mut found = find_formats(text, &hits);
    let mut assignments = assignments_in_lines(text, &hits.name_lines);
    assignments.retain(|a| !found.iter().any(|f| f.start < a.end && a.start < f.end));
    if !assignments.is_empty() {
        found.extend(assignments);
        found.sort_by_key(|f| f.start);
    }
    found
}

/// The credentials bound to credential names in `text` that no known format covers (those are
/// NB401's). The formats are searched only when there is such a credential, which is rare.
pub fn find_assignments_only(text: &str) -> Vec<Found> {
    assignments_only_with(text, &keyword_scan(text, true))
}

/// [`find_all`] with the keyword scan of `text` already done (with names).
pub(crate) fn formats_with(text: &str, hits: &Hits) -> Vec<Found> {
    find_formats(text, hits)
}

/// [`find_assignments_only`] with the keyword scan of `text` already done.
pub(crate) fn assignments_only_with(text: &str, hits: &Hits) -> Vec<Found> {
    let mut assignments = assignments_in_lines(text, &hits.name_lines);
    if !assignments.is_empty() {
        let formats = find_formats(text, hits);
        assignments.retain(|a| !formats.iter().any(|f| f.start < a.end && a.start < f.end));
    }
    assignments
}

/// The values bound to credential names in `text` that look like real secrets.
pub fn find_assignments(text: &str) -> Vec<Found> {
    assignments_in_lines(text, &keyword_scan(text, true).name_lines)
}

/// Only the lines with a credential word go through [`ASSIGNMENT_REGEX`].
fn assignments_in_lines(text: &str, lines: &[std::ops::Range<usize>]) -> Vec<Found> {
    let mut found = Vec::new();
    for line in lines {
        find_assignments_in_line(text, line.clone(), &mut found);
    }
    found
}

fn find_assignments_in_line(text: &str, line: std::ops::Range<usize>, found: &mut Vec<Found>) {
    let offset = line.start;
    let line_text = &text[line];
    for captures in ASSIGNMENT_REGEX.captures_iter(line_text) {
        let (Some(name), Some(value)) = (captures.get(1), captures.get(2).or(captures.get(3)))
        else {
            continue;
        };
        let name_text = name.as_str().trim_matches(['.', '-']);
        // Lengths are checked here rather than in the pattern: bounded repetitions would
        // multiply the regex's states and slow every scan.
        if name_text.len() > 60
            || !(8..=128).contains(&value.as_str().len())
            || !is_credential_name(name_text)
            || !looks_secret(value.as_str())
        {
            continue;
        }
        if captures.get(3).is_some()
            && !bare_value_is_literal(line_text, value.as_str(), value.end())
        {
            continue;
        }
        found.push(Found {
            detector: &ASSIGNMENT,
            start: offset + value.start(),
            end: offset + value.end(),
            name: Some(name_text.to_string()),
        });
    }
}

/// Whether an unquoted value is a literal rather than code: not followed by `(`, `[` or `.`
/// (`Sys.getenv("PW")`), and not a name made of words (`CREDENTIALS`, `GoogleCredentials`,
/// `myToken`), which is a variable, not a secret.
fn bare_value_is_literal(text: &str, value: &str, end: usize) -> bool {
    if matches!(text.as_bytes().get(end), Some(b'(' | b'[' | b'.')) {
        return false;
    }
    let words = words(value);
    let word_like = value.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        && words.iter().all(|w| w.len() >= 2);
    !word_like
}

/// What the family's redactor masks in every snippet and message: every secret of a known
/// format and every credential bound to a name.
pub fn secret_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    find_all_with_assignments(text)
        .into_iter()
        .map(|f| f.start..f.end)
        .collect()
}

/// Shannon entropy of a string, in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// The secret's first four characters and `…`: all any reporter shows of it.
pub fn preview(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…")
}

fn high_entropy(secret: &str) -> bool {
    entropy(secret) >= 4.0
}

/// The part after the provider prefix looks random: not `xxxx`, not `0000`, not a word.
fn high_entropy_body(secret: &str) -> bool {
    // The prefix ends at its separator (`glpat-`, `hf_`, `key-`); Google's `AIza` has none, and
    // a `_` or `-` further in is part of the random body.
    let body = secret
        .find(['_', '-', '.'])
        .filter(|&i| i <= 6)
        .map_or(secret, |i| &secret[i + 1..]);
    let body = body.strip_prefix("za").unwrap_or(body);
    entropy(body) >= 3.0
}

/// AWS documents `AKIAIOSFODNN7EXAMPLE`; keys that say EXAMPLE are examples.
fn not_documentation_example(secret: &str) -> bool {
    !secret.ends_with("EXAMPLE")
}

/// GitHub and npm tokens end with a CRC32 of the 30 characters after the prefix, in base62,
/// six characters padded with zeros.
fn base62_crc32_checksum(secret: &str) -> bool {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let Some(body) = secret.get(4..) else {
        return false;
    };
    if body.len() != 36 {
        return false;
    }
    let (random, checksum) = body.split_at(30);
    let mut value: u64 = 0;
    for byte in checksum.bytes() {
        let Some(digit) = ALPHABET.iter().position(|&a| a == byte) else {
            return false;
        };
        value = value * 62 + digit as u64;
    }
    value == u64::from(crc32(random.as_bytes()))
}

/// CRC-32 (IEEE 802.3), bit by bit: it runs on a few dozen bytes per candidate token.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Decodes unpadded base64 (standard or URL alphabet); `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.trim_end_matches('=').bytes() {
        buffer = (buffer << 6) | value(byte)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A Discord bot token starts with the bot's user ID (a number) in base64.
fn discord_user_id(secret: &str) -> bool {
    let id = secret.split('.').next().unwrap_or_default();
    base64_decode(id).is_some_and(|d| d.len() >= 17 && d.iter().all(u8::is_ascii_digit))
}

/// A JWT's first segment is a JSON header with an `alg`.
fn jwt_header(secret: &str) -> bool {
    let header = secret.split('.').next().unwrap_or_default();
    base64_decode(header).is_some_and(|d| {
        let text = String::from_utf8_lossy(&d);
        text.trim_start().starts_with('{') && text.contains("\"alg\"")
    })
}

/// What people write where a password goes in documentation and templates.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "none",
        "null", "test", "user", "username", "admin", "root",
    ];
    const PARTS: &[&str] = &[
        "change",
        "replace",
        "your",
        "insert",
        "enter",
        "here",
        "example",
        "dummy",
        "sample",
        "placeholder",
        "redacted",
        "todo",
        "fixme",
        "xxx",
        "***",
        "...",
    ];
    value
        .chars()
        .all(|c| c == value.chars().next().unwrap_or('x'))
        || value.starts_with(['<', '{', '$', '%', '['])
        || value.ends_with(['>', '}', ']'])
        || WORDS.contains(&lower.as_str())
        || PARTS.iter().any(|p| lower.contains(p))
}

/// A token of a known format that documentation or a template wrote, not a real one: AWS's
/// published example keys (`AKIAIOSFODNN7EXAMPLE`, `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`),
/// a body of one repeated character or mostly `X`s, `<...>` and `${...}` placeholders, runs
/// like `1234567890`, and CamelCase identifiers that happen to start with a provider prefix
/// (`hf_AutoModelForCausalLanguageModel`).
pub fn is_documentation_token(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    const PARTS: &[&str] = &[
        "example",
        "xxxx",
        "****",
        "your",
        "placeholder",
        "dummy",
        "redacted",
        "1234567890",
        "abcdefghij",
    ];
    if PARTS.iter().any(|p| lower.contains(p)) || secret.contains(['<', '>', '$', '{', '}']) {
        return true;
    }
    // The body: what follows the provider prefix (`ghp_`, `sk-proj-`, `AKIA`).
    let body = secret
        .rsplit_once(['_', '-'])
        .map_or(secret, |(_, body)| body);
    let body = if body.len() >= 8 { body } else { secret };
    let mut chars = body.chars();
    let first = chars.next().unwrap_or('x');
    if chars.all(|c| c == first) {
        return true;
    }
    let filler = body
        .chars()
        .filter(|c| matches!(c, 'x' | 'X' | '*' | '0'))
        .count();
    filler * 2 >= body.len() || is_camel_case_words(body)
}

/// `AutoModelForCausalLanguageModel`: capitalised words of two or more lower-case letters.
fn is_camel_case_words(text: &str) -> bool {
    let mut words = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_uppercase() {
            return false;
        }
        let mut lower = 0;
        while chars.peek().is_some_and(char::is_ascii_lowercase) {
            chars.next();
            lower += 1;
        }
        if lower < 2 {
            return false;
        }
        words += 1;
    }
    words >= 3
}

fn url_password(password: &str) -> bool {
    !is_placeholder(password)
}

/// A value that looks generated: long enough, varied enough, and mixing letter cases or
/// letters and digits. Used where a word of prose could stand in the same place.
fn random_value(value: &str) -> bool {
    let classes = [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    value.len() >= 12 && classes >= 2 && entropy(value) >= 3.5 && !is_placeholder(value)
}

/// The words of an identifier or key: `dbPassword` and `db_password` give `db`, `password`.
pub use nblint_engine::semantic::names::words;

/// Whether a name says it holds a credential: one of its words (split at `_`, `-`, `.` and
/// case changes) is `password` (or ends with it: `pgpassword`), `passwd`, `pwd`, `pw`,
/// `pass`, `passphrase`, `passcode`, `token`, `secret`, `auth`, `credential(s)`, or it has
/// `api` `key`, `access` `key`, `secret` `key`, `private` `key`. A last word that makes it a
/// reference to a credential or a setting about one (`secret_name`, `token_path`,
/// `auth_method`, `token_type_ids`) does not count.
pub fn is_credential_name(name: &str) -> bool {
    let words = words(name);
    const REFERENCE: &[&str] = &[
        "name",
        "names",
        "id",
        "ids",
        "path",
        "file",
        "filename",
        "url",
        "uri",
        "env",
        "var",
        "field",
        "type",
        "types",
        "len",
        "length",
        "dir",
        "prefix",
        "suffix",
        "header",
        "headers",
        "param",
        "params",
        "arn",
        "ref",
        "scope",
        "scopes",
        "endpoint",
        "location",
        "count",
        "size",
        "method",
        "mode",
        "kind",
        "provider",
        "backend",
        "class",
        "plugin",
        "strategy",
        "algorithm",
        "hasher",
        "hashers",
        "policy",
        "validator",
        "validators",
        "required",
        "enabled",
        "timeout",
        "expiry",
        "expires",
        "ttl",
        "limit",
        "str",
        "text",
        "string",
        "index",
        "idx",
        "num",
        "embedding",
        "embeddings",
        "label",
        "version",
        "format",
        "version",
        "host",
        "port",
        "user",
        "username",
        "login",
        "email",
        "hint",
        "prompt",
        "rate",
        "ratio",
        "through",
        "source",
        "store",
        "vault",
        "manager",
        "service",
        "handler",
        "callback",
        "flow",
        "grant",
        "response",
        "request",
        "ok",
        "valid",
        "check",
    ];
    if words
        .last()
        .is_some_and(|w| REFERENCE.contains(&w.as_str()))
    {
        return false;
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    words
        .iter()
        .any(|w| w.ends_with("password") || w.ends_with("passwd"))
        || [
            "pwd",
            "pw",
            "pass",
            "passphrase",
            "passcode",
            "token",
            "secret",
            "auth",
            "credential",
            "credentials",
            "apikey",
            "accesskey",
            "secretkey",
            "privatekey",
        ]
        .iter()
        .any(|w| has(w))
        || pair("api", "key")
        || pair("access", "key")
        || pair("private", "key")
        || pair("secret", "key")
}

/// Whether a literal looks like a real secret rather than a placeholder, prose, or a value
/// that is configuration: an identifier or enum-like word (`oauth2_client_credentials`,
/// `pbkdf2_sha256`, `AzureActiveDirectory`), a dotted name (`os.environ`), a path, a URL, a
/// regex, a number.
pub fn looks_secret(value: &str) -> bool {
    value.chars().count() >= 8
        && !value.chars().any(char::is_whitespace)
        && entropy(value) >= 3.0
        && !is_placeholder(value)
        && !is_identifier_like(value)
        && !is_path_like(value)
        && !is_regex_like(value)
        && !value
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && !value.contains("://")
}

/// Words joined by `_`, `-` or `.` in one case, or CamelCase words: names, not secrets.
fn is_identifier_like(value: &str) -> bool {
    let parts: Vec<&str> = value.split(['_', '-', '.', ':']).collect();
    let word = |p: &&str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric())
            && p.chars().filter(char::is_ascii_digit).count() * 2 <= p.len()
    };
    let one_case = value.chars().all(|c| !c.is_ascii_uppercase())
        || value.chars().all(|c| !c.is_ascii_lowercase());
    let dotted = value.split('.').count() >= 2
        && value.split('.').all(|p| {
            p.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    (parts.len() >= 2 && one_case && parts.iter().all(word))
        || dotted
        || is_camel_case_words(value)
        || (value.chars().all(|c| c.is_ascii_lowercase()) && entropy(value) < 3.3)
}

fn is_path_like(value: &str) -> bool {
    value.starts_with(['/', '~', '.'])
        || value.as_bytes().get(1..3) == Some(b":\\")
        || value.contains('\\')
        || (value.contains('/')
            && value.rsplit_once('.').is_some_and(|(_, ext)| {
                (1..=5).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric())
            }))
}

fn is_regex_like(value: &str) -> bool {
    [
        "\\d", "\\w", "\\s", "[^", "(?", ".*", ".+", "[a-z", "[A-Z", "[0-9",
    ]
    .iter()
    .any(|p| value.contains(p))
        || (value.starts_with('^') && value.ends_with('$'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyword of a detector whose regex minds case counts only as written: `sklearn`,
    /// `task` and `Sg.` do not start the Twilio or SendGrid regexes; the name words and the
    /// keywords of detectors that ignore case still match in any case.
    /// The Discord gate passes every text the regex can match in, and few others.
    #[test]
    fn the_discord_gate_is_necessary_and_narrow() {
        let token = DETECTORS
            .iter()
            .find(|d| d.id == "discord-bot-token")
            .unwrap()
            .example;
        for text in [
            token.to_string(),
            format!("bot.run('{token}')"),
            format!("x={token}\n"),
        ] {
            assert!(discord_candidate(&text), "{text}");
            assert!(!find_all(&text).is_empty(), "{text}");
        }
        for text in [
            "import numpy as np\nx = np.array([1.5, 2.5])",
            "MjU5NTM1MzI1NTg3NDIyMTkx.bp2uqG",
            "",
            ".",
        ] {
            assert!(!discord_candidate(text), "{text}");
        }
    }

    /// The vector search for pairs of dots gives what memchr over every dot gives, for texts
    /// around its shortest haystack and with dots, token runs and line breaks mixed.
    #[test]
    fn the_discord_gate_agrees_with_a_scan_of_every_dot() {
        let scalar =
            |text: &str| dot_pairs(text.as_bytes(), 0).any(|dot| discord_run(text.as_bytes(), dot));
        // Pieces of tokens and pairs of dots that are not tokens, so that a token often comes
        // after pairs the gate must read past.
        let pieces = [
            "M",
            "N",
            "a",
            "Z",
            "9",
            "_",
            "-",
            ".",
            " ",
            "\n",
            "é",
            "abcdef",
            "MTA4",
            ".xxxxxx.",
            "1.234567.8",
            "MTA4NjM2NjQ3MzQ5MjE2NjU1Nw",
            ".GLmS3b.",
            "NjU1Nw",
        ];
        let mut next = crate::test_numbers(0x6a09_e667_f3bc_c908);
        let mut tokens = 0;
        for _ in 0..20_000 {
            let length = next(60);
            let text: String = (0..length).map(|_| pieces[next(pieces.len())]).collect();
            let expected = scalar(&text);
            tokens += usize::from(expected);
            assert_eq!(discord_candidate(&text), expected, "{text:?}");
        }
        assert!(tokens > 1_000, "the generated texts hold tokens: {tokens}");
        // A token after pairs of dots that are not one, at every offset around the vector
        // search's blocks.
        let token = "MTA4NjM2NjQ3MzQ5MjE2NjU1Nw.GLmS3b.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab";
        for decoys in 0..4 {
            for padding in 0..80 {
                let text = format!(
                    "{}{}{token}{}",
                    "a.bcdefg.h ".repeat(decoys),
                    "x".repeat(padding),
                    ".".repeat(padding % 9)
                );
                assert!(discord_candidate(&text), "{text}");
                assert!(scalar(&text), "{text}");
                let broken = text.replace(".GLmS3b.", ".GLmS3b,");
                assert!(!discord_candidate(&broken), "{broken}");
            }
        }
    }

    #[test]
    fn url_password_gate() {
        for text in [
            "postgresql://analyst:53eYfugPp1R8lzy1@db.internal:5432/sales",
            "see https://example.org and mongodb://u:p4ssw0rd@host",
        ] {
            assert!(url_password_candidate(text), "{text}");
            assert_eq!(find_all(text).len(), 1, "{text}");
        }
        for text in [
            "https://github.com/org/repo",
            "https://example.org/page mail me: someone@example.org",
            "://",
            "x://a:b c@d",
        ] {
            assert!(!url_password_candidate(text), "{text}");
        }
    }

    #[test]
    fn the_assignment_gate_never_drops_a_line_the_regex_matches() {
        // Lines made of pieces around credential words, from a fixed pseudo-random sequence:
        // wherever the regex matches, the keyword scan must have kept the line.
        const PIECES: &[&str] = &[
            "pass",
            "PWD",
            "token",
            "Secret",
            "auth",
            "KEY",
            "cred",
            "pw",
            "_",
            ".",
            "-",
            "x",
            "9",
            " ",
            "\t",
            "=",
            ":",
            "=>",
            "<-",
            "<",
            "\"",
            "'",
            "\\",
            "abcdefgh12",
            "(",
            ",",
            "#",
            "$",
            "/",
            "@",
            "ünï",
        ];
        let mut next = crate::test_numbers(0x2545_f491_4f6c_dd1d);
        let mut matched = 0;
        for _ in 0..20_000 {
            let length = 1 + next(12);
            let line: String = (0..length).map(|_| PIECES[next(PIECES.len())]).collect();
            if ASSIGNMENT_REGEX.is_match(&line) {
                matched += 1;
                assert_eq!(keyword_scan(&line, true).name_lines.len(), 1, "{line:?}");
            }
        }
        assert!(matched > 1_000, "{matched}");
    }

    #[test]
    fn lines_the_assignment_regex_can_match_are_kept() {
        for line in [
            "password = 'hunter2hunter2'",
            "DB_PASSWORD=s3cr3tvalue1",
            "\"api_key\": \"abcdefgh12345678\"",
            "token <- \"abcdefgh12345678\"",
            "my.secret-key\\\" : x",
            "auth\t=\tvalue",
            "PW:abcdefgh",
            "x = 1; pwd = 'abcdefghij'",
            "key=>value12345",
            "credentials.json: abcdefgh",
        ] {
            assert!(ASSIGNMENT_REGEX.is_match(line), "{line}");
            assert_eq!(keyword_scan(line, true).name_lines.len(), 1, "{line}");
        }
        for line in [
            "for key in d.keys():",
            "print(token)",
            "tokens.append(x)",
            "password",
            "key -> value",
        ] {
            assert!(keyword_scan(line, true).name_lines.is_empty(), "{line}");
        }
    }

    #[test]
    fn keywords_of_case_minding_detectors_match_as_written() {
        let bit = |keyword: &str| {
            let index = DETECTORS
                .iter()
                .position(|d| d.keywords.contains(&keyword))
                .unwrap();
            1u64 << index
        };
        let scan = |text: &str| keyword_scan(text, true);
        assert_eq!(
            scan("from sklearn import svm; task = mask").detectors & bit("SK"),
            0
        );
        assert_ne!(scan("sid = 'SK0123'").detectors & bit("SK"), 0);
        assert_eq!(scan("Sg.x").detectors & bit("SG."), 0);
        assert_ne!(scan("AWS_SECRET = 1").detectors & bit("ecret"), 0);
        assert_eq!(scan("my_PASS = 1").name_lines.len(), 1);
    }

    #[test]
    fn every_example_is_found_by_its_own_detector() {
        for detector in DETECTORS {
            let found = find_all(detector.example);
            assert_eq!(found.len(), 1, "{}: {found:?}", detector.id);
            assert_eq!(found[0].detector.id, detector.id, "{}", detector.id);
        }
    }

    #[test]
    fn open_repetitions_with_bounds_find_what_the_counted_regexes_found() {
        // The regexes these detectors had, with counted repetitions: the bounds must give the
        // same findings on texts full of near and far misses.
        let counted = [
            (
                "connection-string-password",
                r#"(?i);\s*(?:password|pwd)\s*=\s*([^;'"\s{}]{3,128})"#,
            ),
            (
                "netrc-password",
                r#"\bmachine\s+\S+\s+login\s+\S+\s+password\s+([^\s<>"'`{}]{3,128})"#,
            ),
            (
                "url-password",
                r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\x22<>]{1,64}:([^\s:/@'\x22<>]{3,128})@[A-Za-z0-9.-]+",
            ),
        ];
        let pieces = [
            "postgresql://",
            "https://",
            "analyst",
            ":",
            "@",
            "db.internal",
            ";PWD=",
            "; password = ",
            "machine host login me password ",
            "/",
            " ",
            "\n",
            "é",
            "Zq8",
            "53eYfugPp1R8lzy1",
            "-",
            ".",
        ];
        let counted: Vec<(&str, Regex)> = counted
            .iter()
            .map(|(id, pattern)| {
                (
                    *id,
                    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).unwrap(),
                )
            })
            .collect();
        let mut next = crate::test_numbers(0x2545_f491_4f6c_dd1d);
        for round in 0..3000 {
            let mut text = String::new();
            while text.len() < 40 + next(260) {
                if next(6) == 0 {
                    // A long run of value characters: around the 64 and 128 limits.
                    let n = 55 + next(90);
                    let c = ["a", "Z", "7", "é", "%"][next(5)];
                    text.push_str(&c.repeat(n));
                } else {
                    text.push_str(pieces[next(pieces.len())]);
                }
            }
            for (id, regex) in &counted {
                let index = DETECTORS.iter().position(|d| d.id == *id).unwrap();
                let detector = &DETECTORS[index];
                let hits = Hits {
                    detectors: 1 << index,
                    name_lines: Vec::new(),
                };
                let now: Vec<(usize, usize)> = find_formats(&text, &hits)
                    .iter()
                    .map(|f| (f.start, f.end))
                    .collect();
                let before: Vec<(usize, usize)> = regex
                    .captures_iter(&text)
                    .filter_map(|c| c.get(1))
                    .filter(|m| {
                        detector.validate.is_none_or(|v| v(m.as_str()))
                            && !is_documentation_token(m.as_str())
                    })
                    .map(|m| (m.start(), m.end()))
                    .collect();
                assert_eq!(now, before, "{round} {id}: {text:?}");
            }
        }
        // The limits themselves.
        let user = |n: usize| format!("url = 'postgresql://{}:53eYfugPp1R8lzy1@db'", "u".repeat(n));
        assert_eq!(find_all(&user(64)).len(), 1);
        assert!(find_all(&user(65)).is_empty());
        let password =
            |n: usize| format!("url = 'postgresql://analyst:{}@db'", "Zq8".repeat(n / 3));
        assert_eq!(find_all(&password(126)).len(), 1);
        assert!(find_all(&password(129)).is_empty());
        let long = format!("Server=db;PWD={};", "Zq8é".repeat(50));
        let found = find_all(&long);
        assert_eq!(found.len(), 1);
        assert_eq!(long[found[0].start..found[0].end].chars().count(), 128);
    }

    #[test]
    fn token_digits_are_ascii() {
        // A Telegram bot token's id is ASCII digits: other scripts' digits are no token.
        let token = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
        assert_eq!(find_all(&format!("bot = '123456789:{token}'")).len(), 1);
        assert!(find_all(&format!("bot = '١٢٣٤٥٦٧٨٩:{token}'")).is_empty());
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = DETECTORS.iter().map(|d| d.id).collect();
        assert!(ids
            .iter()
            .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), DETECTORS.len());
    }

    #[test]
    fn checksums() {
        assert!(base62_crc32_checksum(
            "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"
        ));
        // One character changed: the checksum no longer matches.
        assert!(!base62_crc32_checksum(
            "ghp_0qRhSBHpvkTSOsq63Hvzl8IBtPnRNb2i07Pd"
        ));
        assert!(!base62_crc32_checksum(
            "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ));
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn near_misses_are_not_secrets() {
        for text in [
            "sha = 'e83c5163316f89bfbde7d9ab23ca2e25604af290'",
            "uuid = '123e4567-e89b-12d3-a456-426614174000'",
            "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            "model = 'bert-base-uncased'; ckpt = 'checkpoint-12000'",
            "AKIAIOSFODNN7EXAMPLE",
            "postgresql://user:password@localhost/db",
            "postgresql://user:<password>@localhost/db",
            "https://user:${PASSWORD}@host/x",
            "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----",
            "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "12:34:56 AM and 10:AA",
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        ] {
            assert!(find_all(text).is_empty(), "{text}: {:?}", find_all(text));
        }
    }

    #[test]
    fn documentation_and_identifier_tokens_are_not_secrets() {
        for text in [
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "sk_live_1234567890abcdefghijklmnop",
            "model = hf_AutoModelForCausalLanguageModelBert",
            "headers = {'Authorization': f'Bearer {token}'}",
            "headers = {'Authorization': 'Bearer ' + token}",
            "Server=db;UID=analyst;PWD={password};",
            "Server=db;UID=analyst;PWD=%s;",
            "machine host login user password ${PASSWORD}",
            "machine host login user password <password>",
        ] {
            assert!(find_all(text).is_empty(), "{text}: {:?}", find_all(text));
        }
    }

    #[test]
    fn google_keys_with_separators_in_the_body_are_found() {
        let found = find_all("APIKEY=\"AIzaSyAZVBIe2yMB7TckGFRBvnoumMX_zMtM6LX\"");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].detector.id, "google-api-key");
    }

    #[test]
    fn private_keys_cover_every_line_of_material() {
        let lines = [
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB",
            "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeu",
            "NMoSfm76oqFv",
        ];
        for text in [
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
                lines.join("\n")
            ),
            format!(
                "\"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"",
                lines.join("\\n")
            ),
            format!(
                "(\"-----BEGIN RSA PRIVATE KEY-----\\n\"\n {}\n \"-----END RSA PRIVATE KEY-----\")",
                lines.map(|l| format!("\"{l}\\n\"")).join("\n ")
            ),
        ] {
            let found = find_all(&text);
            assert_eq!(found.len(), 1, "{text}");
            let secret = &text[found[0].start..found[0].end];
            assert!(
                secret.starts_with("MIIE") && secret.ends_with("NMoSfm76oqFv"),
                "{secret}"
            );
        }
    }

    #[test]
    fn credentials_bound_to_names_in_text() {
        let value = |text: &str| -> Vec<(String, String)> {
            find_assignments(text)
                .into_iter()
                .map(|f| (f.name.unwrap(), text[f.start..f.end].to_string()))
                .collect()
        };
        for (text, name, secret) in [
            ("DB_PASSWORD=Tr0ub4dor&3x!", "DB_PASSWORD", "Tr0ub4dor&3x!"),
            (
                "export SMTP_PASS=Kd7Vx2Nq9Lp4Zr8m",
                "SMTP_PASS",
                "Kd7Vx2Nq9Lp4Zr8m",
            ),
            (
                "%env PGPASSWORD=Rt5Yq8Wm2Zx7Lk3v",
                "PGPASSWORD",
                "Rt5Yq8Wm2Zx7Lk3v",
            ),
            ("password: Zq3Vn8Lr2Kx7Wt5m", "password", "Zq3Vn8Lr2Kx7Wt5m"),
            (
                "'api_token': 'b7Kq2Xr9Vm4Lz8Tp'",
                "api_token",
                "b7Kq2Xr9Vm4Lz8Tp",
            ),
            (
                "{\"client_secret\": \"Gq2Zn7Xr4Lk9Vm3t\"}",
                "client_secret",
                "Gq2Zn7Xr4Lk9Vm3t",
            ),
            ("db_pw <- \"Lm5Tq2Zx8Rk4Vw9n\"", "db_pw", "Lm5Tq2Zx8Rk4Vw9n"),
            (
                "passphrase = Nv4Lq8Zr2Xk7Tm1w",
                "passphrase",
                "Nv4Lq8Zr2Xk7Tm1w",
            ),
        ] {
            assert_eq!(
                value(text),
                [(name.to_string(), secret.to_string())],
                "{text}"
            );
        }
        for text in [
            "AUTH_METHOD=oauth2_client_credentials",
            "password_hasher: pbkdf2_sha256",
            "auth = azure_active_directory",
            "AUTH_BACKEND=AzureActiveDirectoryBackend",
            "TOKEN_PATH=/run/secrets/token",
            "token_file: ~/.config/token.json",
            "password_regex = ^(?=.*\\d)[A-Za-z\\d]{8,}$",
            "credentials=CREDENTIALS)",
            "pw <- Sys.getenv(\"PW\")",
            "api_key = os.environ['API_KEY']",
            "password: ${DB_PASSWORD}",
            "token: <paste your token here>",
            "API_KEY=<your key>",
            "'token_type_ids': [0, 0, 0]",
            "{'token': 3007, 'token_str': 'capital'}",
            "auth_token_timeout = 36000000",
            "Successfully installed google-auth-1.35.0 google-auth-oauthlib-0.4.6",
            "google-auth==1.35.0",
            "you can instead pass `try_gcs=True` to `tfds.load`",
            "Pass the password on the command line: --password hunter2",
            "passenger_count (InputLayer)    [(None,)]",
            "data:image/png;base64,iVBORw0KGgo+MhGuR0PwZePLfYOOoSZQ9F9KIv3aHNx5rosn8hajKpMBE1XIp:HFb9AAAA",
            "token_url: https://login.example.org/oauth2/token",
        ] {
            assert!(value(text).is_empty(), "{text}: {:?}", value(text));
        }
    }

    #[test]
    fn credential_names() {
        for name in [
            "password",
            "db_password",
            "dbPassword",
            "PGPASSWORD",
            "pgpassword",
            "API_KEY",
            "apiKey",
            "apikey",
            "access_key",
            "auth_token",
            "client_secret",
            "PWD",
            "db_pw",
            "SMTP_PASS",
            "passphrase",
            "privateKey",
            "secret_key",
            "credentials",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "author",
            "tokenizer",
            "max_tokens",
            "key",
            "passenger",
            "secretary",
            "path",
            "keyword",
            "secret_name",
            "token_path",
            "auth_method",
            "token_type_ids",
            "password_hasher",
            "bypass",
            "compass",
            "token_str",
            "auth_mode",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn configuration_values_are_not_secrets() {
        for value in [
            "oauth2_client_credentials",
            "pbkdf2_sha256",
            "azure_active_directory",
            "AzureActiveDirectory",
            "CLIENT_CREDENTIALS",
            "os.environ",
            "/home/analyst/.token",
            "C:\\Users\\ana\\token.txt",
            "data/credentials.json",
            "^[A-Za-z0-9]{8,}$",
            "https://login.example.org/token",
            "12345678901",
            "changeme",
            "<your-key>",
        ] {
            assert!(!looks_secret(value), "{value}");
        }
        for value in ["Tr0ub4dor&3x!", "Kd7Vx2Nq9Lp4Zr8m", "s3cr3t-P4ssw0rd"] {
            assert!(looks_secret(value), "{value}");
        }
    }

    #[test]
    fn previews_show_four_characters() {
        assert_eq!(preview("AKIA7KLFYYLBEG3RHDSV"), "AKIA…");
        assert_eq!(preview("abc"), "abc…");
    }
}
