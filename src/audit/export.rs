//! Export: the records a query matches, oldest first, as JSON Lines (one record per line,
//! the same JSON as the admin API) or CSV (RFC 4180, one header row; JSON columns hold
//! compact JSON).

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::AuditError;
use super::record::Record;

/// An export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// JSON Lines: one record per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

impl ExportFormat {
    /// The file name extension (`jsonl`, `csv`).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "application/jsonl",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(AuditError::BadFormat(s.to_string())),
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: &[&str] = &[
    "id",
    "time",
    "time_ms",
    "kind",
    "grant",
    "session",
    "client_name",
    "client_version",
    "upstream",
    "tool",
    "category",
    "args",
    "decision",
    "rule",
    "reason",
    "approval_id",
    "approval_via",
    "approval_at_ms",
    "outcome",
    "latency_us",
    "summary",
    "detail",
    "hash",
    "prev_hash",
];

/// Writes records in one format.
pub(crate) struct Exporter<'a> {
    format: ExportFormat,
    out: &'a mut dyn Write,
    line: String,
}

impl<'a> Exporter<'a> {
    /// Starts an export (CSV: writes the header).
    pub fn start(format: ExportFormat, out: &'a mut dyn Write) -> Result<Self, AuditError> {
        let mut exporter = Self {
            format,
            out,
            line: String::new(),
        };
        if format == ExportFormat::Csv {
            let header: Vec<Option<String>> =
                CSV_HEADER.iter().map(|h| Some(h.to_string())).collect();
            exporter.csv_row(&header)?;
        }
        Ok(exporter)
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> Result<(), AuditError> {
        match self.format {
            ExportFormat::Jsonl => {
                serde_json::to_writer(&mut *self.out, record)
                    .map_err(|e| AuditError::Export(e.into()))?;
                self.out.write_all(b"\n").map_err(AuditError::Export)
            }
            ExportFormat::Csv => self.csv_row(&csv_fields(record)),
        }
    }

    /// Flushes the destination.
    pub fn finish(self) -> Result<(), AuditError> {
        self.out.flush().map_err(AuditError::Export)
    }

    /// One CSV row; `None` is an empty field.
    fn csv_row(&mut self, fields: &[Option<String>]) -> Result<(), AuditError> {
        self.line.clear();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            if let Some(field) = field {
                push_csv_field(&mut self.line, field);
            }
        }
        self.line.push_str("\r\n");
        self.out
            .write_all(self.line.as_bytes())
            .map_err(AuditError::Export)
    }
}

/// A record's CSV fields, in [`CSV_HEADER`] order.
fn csv_fields(r: &Record) -> Vec<Option<String>> {
    let time = chrono::DateTime::from_timestamp_millis(r.time_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let approval = r.approval.as_ref();
    vec![
        Some(r.id.to_string()),
        time,
        Some(r.time_ms.to_string()),
        Some(r.kind.clone()),
        r.grant.clone(),
        r.session.clone(),
        r.client.as_ref().map(|c| c.name.clone()),
        r.client.as_ref().and_then(|c| c.version.clone()),
        r.upstream.clone(),
        r.tool.clone(),
        r.category.clone(),
        r.args.as_ref().map(|a| a.to_string()),
        r.decision.map(|d| d.as_str().to_string()),
        r.rule.clone(),
        r.reason.clone(),
        approval.map(|a| a.id.clone()),
        approval.map(|a| a.via.clone()),
        approval.map(|a| a.at_ms.to_string()),
        r.outcome.map(|o| o.as_str().to_string()),
        r.latency_us.map(|l| l.to_string()),
        r.summary.clone(),
        r.detail.as_ref().map(|d| d.to_string()),
        Some(r.hash.clone()),
        Some(r.prev_hash.clone()),
    ]
}

/// Appends a field, quoted when it holds a comma, quote, line break, or leading/trailing
/// space (quotes doubled).
fn push_csv_field(line: &mut String, field: &str) {
    let needs_quotes = field.is_empty()
        || field.contains([',', '"', '\n', '\r'])
        || field.starts_with(' ')
        || field.ends_with(' ');
    if needs_quotes {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_case_insensitively() {
        assert_eq!(
            "JSONL".parse::<ExportFormat>().ok(),
            Some(ExportFormat::Jsonl)
        );
        assert_eq!(" csv".parse::<ExportFormat>().ok(), Some(ExportFormat::Csv));
        let e = "xml".parse::<ExportFormat>().expect_err("unknown");
        assert!(e.to_string().contains("jsonl or csv"), "{e}");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut line = String::new();
        for field in ["plain", "a,b", "say \"hi\"", "two\nlines", "", " pad"] {
            push_csv_field(&mut line, field);
            line.push('|');
        }
        assert_eq!(
            line,
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\"\"|\" pad\"|"
        );
    }
}
