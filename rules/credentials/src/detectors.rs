//! The secret detectors: one table of provider token formats, each with its real shape
//! (prefix, length, alphabet), an optional validator (a checksum where the format has one, a
//! decode check where the token embeds structure) and an example of its shape, fake, for tests
//! and documentation.

use std::sync::LazyLock;

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
        pattern: r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\\+[nr]|\s)*([A-Za-z0-9+/=]{40,})",
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
        pattern: r#"(?i)aws_?secret(?:_?access)?(?:_?key)?\\?["']?\s*[:=,]\s*(?:r|b)?\\?["']([A-Za-z0-9/+]{40})\\?["']"#,
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
        pattern: r"\b(sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}AA)\b",
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
        pattern: r"\bsv=\d{4}-\d{2}-\d{2}&[^\s'\x22<>]*?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=)*)",
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
        pattern: r"\b(dapi[0-9a-f]{32}(?:-\d)?)\b",
        validate: Some(high_entropy_body),
        example: "dapi42fe6813762cc6e2b60f16df5fcda21e",
    },
    Detector {
        id: "discord-bot-token",
        name: "Discord bot token",
        keywords: &["."],
        pattern: r"\b([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})\b",
        validate: Some(discord_user_id),
        example: "MjU5NTM1MzI1NTg3NDIyMTkx.bp2uqG.q1W4LHMTFuUKmKWVNLGxPExNI6b",
    },
    Detector {
        id: "telegram-bot-token",
        name: "Telegram bot token",
        keywords: &[":AA"],
        pattern: r"\b(\d{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
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
        id: "url-password",
        name: "password in a URL",
        keywords: &["://"],
        pattern: r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\x22<>]{1,64}:([^\s:/@'\x22<>]{3,128})@[A-Za-z0-9.-]+",
        validate: Some(url_password),
        example: "postgresql://analyst:53eYfugPp1R8lzy1@db.internal:5432/sales",
    },
];

/// The detectors' compiled regexes, in table order.
static REGEXES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    DETECTORS
        .iter()
        // ASCII word boundaries: Unicode ones keep the regex engine off its fast DFA paths,
        // and every token format here is ASCII.
        .map(|d| d.pattern.replace(r"\b", r"(?-u:\b)"))
        .map(|p| Regex::new(&p).expect("detector patterns are valid regexes"))
        .collect()
});

/// A secret found in a text.
#[derive(Debug, Clone)]
pub struct Found {
    pub detector: &'static Detector,
    /// Byte range of the secret in the text scanned.
    pub start: usize,
    pub end: usize,
}

/// Every secret in `text`, by position, overlapping matches resolved in table order.
pub fn find_all(text: &str) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for (detector, regex) in DETECTORS.iter().zip(REGEXES.iter()) {
        if !detector.keywords.iter().any(|k| text.contains(k)) {
            continue;
        }
        for captures in regex.captures_iter(text) {
            let Some(secret) = captures.get(1).or_else(|| captures.get(0)) else {
                continue;
            };
            if detector.validate.is_some_and(|v| !v(secret.as_str())) {
                continue;
            }
            let overlaps = found
                .iter()
                .any(|f| f.start < secret.end() && secret.start() < f.end);
            if !overlaps {
                found.push(Found {
                    detector,
                    start: secret.start(),
                    end: secret.end(),
                });
            }
        }
    }
    found.sort_by_key(|f| f.start);
    found
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
    let body = secret
        .split_once(['_', '-', '.'])
        .map_or(secret, |(_, body)| body);
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

fn url_password(password: &str) -> bool {
    !is_placeholder(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_found_by_its_own_detector() {
        for detector in DETECTORS {
            let found = find_all(detector.example);
            assert_eq!(found.len(), 1, "{}: {found:?}", detector.id);
            assert_eq!(found[0].detector.id, detector.id, "{}", detector.id);
        }
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
    fn previews_show_four_characters() {
        assert_eq!(preview("AKIA7KLFYYLBEG3RHDSV"), "AKIA…");
        assert_eq!(preview("abc"), "abc…");
    }
}
