//! `full`: miette's graphical diagnostics. Each finding shows `path:cell N:line:col`, the
//! cell's code around the span with the span labelled, the cells its related spans point
//! into, and the help text.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};
use nblint_engine::{FileReport, Finding, Location, Severity};
use rayon::prelude::*;

/// Lines of the cell shown around a span.
const CONTEXT_LINES: usize = 2;
const WIDTH: usize = 100;
/// Findings rendered together before they are written.
const BLOCK: usize = 512;

struct Rendered {
    code: Option<String>,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    label: Option<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

/// The cell snippet for a location, named with its header so that miette's title line reads
/// `path:cell N:line:col` in nblint's own (character) columns.
fn snippet(
    report: &FileReport,
    path: &Path,
    location: &Location,
    label: Option<String>,
) -> (Option<NamedSource<String>>, Option<LabeledSpan>) {
    let (Some(cell), Some((start, end))) = (location.cell, location.byte_range) else {
        return (None, None);
    };
    let Some(source) = report.cell_sources.get(&(cell - 1)) else {
        return (None, None);
    };
    let name = super::header(path, location);
    let span = SourceSpan::new(start.into(), end - start);
    (
        Some(NamedSource::new(name, source.clone()).with_language("python")),
        Some(LabeledSpan::new_primary_with_span(label, span)),
    )
}

fn render(report: &FileReport, finding: &Finding) -> Rendered {
    let (source, label) = snippet(
        report,
        &report.path,
        &finding.location,
        Some(finding.name.to_string()),
    );
    let message = if source.is_none() {
        // No snippet to carry the header: say where in the message.
        format!(
            "{}: {}",
            super::header(&report.path, &finding.location),
            finding.message
        )
    } else {
        finding.message.clone()
    };
    let related = finding
        .related
        .iter()
        .map(|r| {
            let (source, label) = snippet(report, &report.path, &r.location, None);
            Rendered {
                code: None,
                message: r.message.clone(),
                severity: miette::Severity::Advice,
                help: None,
                source,
                label,
                related: Vec::new(),
            }
        })
        .collect();
    Rendered {
        code: Some(format!("{}({})", finding.code, finding.name)),
        message,
        severity: match finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        help: finding.help.clone(),
        source,
        label,
        related,
    }
}

pub fn write(
    reports: &[FileReport],
    out: &mut dyn Write,
    context: &super::Context,
) -> io::Result<()> {
    let theme = if context.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .without_primary_span_start()
        .with_context_lines(CONTEXT_LINES)
        .with_width(WIDTH)
        // Paths and code are never broken: lines wrap at spaces only.
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_links(false)
        .without_syntax_highlighting();
    // Findings are rendered on the worker threads (miette's layout is most of this format's
    // cost, and it is written after every notebook is linted), a block at a time so that a
    // report of many findings is never held whole, and written in order.
    let findings: Vec<(&FileReport, &Finding)> = reports
        .iter()
        .flat_map(|report| report.findings.iter().map(move |f| (report, f)))
        .collect();
    for block in findings.chunks(BLOCK) {
        let render = |&(report, finding): &(&FileReport, &Finding)| {
            render_text(&handler, report, finding, context.unsafe_fixes)
        };
        let texts: Vec<Option<String>> = match &context.pool {
            Some(pool) => pool.install(|| block.par_iter().map(render).collect()),
            None => block.iter().map(render).collect(),
        };
        for text in texts {
            let text = text.ok_or_else(|| io::Error::other("cannot render a diagnostic"))?;
            writeln!(out, "{text}")?;
        }
    }
    Ok(())
}

/// One finding as miette renders it, with its fix's title in the help when it can apply.
fn render_text(
    handler: &GraphicalReportHandler,
    report: &FileReport,
    finding: &Finding,
    unsafe_fixes: bool,
) -> Option<String> {
    let mut rendered = render(report, finding);
    if let Some(fix) = finding
        .fix
        .as_ref()
        .filter(|_| super::is_fixable(finding, unsafe_fixes))
    {
        let help = rendered.help.take().unwrap_or_default();
        rendered.help = Some(
            format!("{help}\n[*] fix: {}", fix.title)
                .trim_start()
                .to_string(),
        );
    }
    let mut text = String::new();
    handler.render_report(&mut text, &rendered).ok()?;
    Some(text)
}
