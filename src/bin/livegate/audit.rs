//! `livegate audit tail|query|export|verify|prune`: the audit log from the command line.
//! Reading commands open the log read-only, so they work while `livegate serve` writes to
//! it; `prune` writes, beside a running gateway too (SQLite takes turns).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use livegate::audit::{AuditLog, Decision, ExportFormat, Query, Record, Retention, MAX_LIMIT};
use livegate::settings::{Paths, Settings};

/// How often `tail` looks for new records.
const TAIL_POLL: Duration = Duration::from_millis(200);

/// Exports at least this large show a progress bar (when stderr is a terminal).
const PROGRESS_BAR_MIN: u64 = 10_000;

/// Audit subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show the newest records, then follow new ones as they are written (Ctrl-C stops).
    Tail {
        #[command(flatten)]
        filters: Filters,
        /// How many of the newest records to show first.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: usize,
        /// One JSON record per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List records, newest first, one page at a time.
    Query {
        #[command(flatten)]
        filters: Filters,
        /// Records per page (at most 1000).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue after a previous page (the cursor it printed).
        #[arg(long)]
        cursor: Option<String>,
        /// Every matching record, not one page.
        #[arg(long, conflicts_with = "cursor")]
        all: bool,
        /// One JSON record per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write the matching records, oldest first, as JSON Lines or CSV (to stdout by default).
    Export {
        #[command(flatten)]
        filters: Filters,
        /// The file format.
        #[arg(long, default_value = "jsonl", value_parser = parse_format)]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Check the hash chain: exits 1 if any record was changed, removed or added outside
    /// livegate.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete the records retention no longer keeps.
    Prune {
        /// Keep the records of the last this many days.
        #[arg(long)]
        days: Option<u32>,
        /// Keep the log below this many megabytes.
        #[arg(long)]
        max_mb: Option<u64>,
    },
}

/// Which records: every filter given must match.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Filters {
    /// From this time: RFC 3339, a date, epoch ms, `now`, or a span ago (`15m`, `2h`, `7d`).
    #[arg(long, value_parser = parse_time)]
    from: Option<i64>,
    /// Before this time (same forms as --from).
    #[arg(long, value_parser = parse_time)]
    to: Option<i64>,
    /// Only this tool.
    #[arg(long)]
    tool: Option<String>,
    /// Only this grant (agent credential).
    #[arg(long)]
    grant: Option<String>,
    /// Only this decision: allow, deny or rate_limited.
    #[arg(long, value_parser = parse_decision)]
    decision: Option<Decision>,
    /// Only this upstream.
    #[arg(long)]
    upstream: Option<String>,
    /// Only this kind: `call`, or an event such as policy_reload, pause, grant_added.
    #[arg(long)]
    kind: Option<String>,
    /// Free text: records containing every word (as a word or the start of one).
    #[arg(short = 'q', long = "text")]
    text: Option<String>,
}

impl Filters {
    fn query(&self) -> Query {
        Query {
            from_ms: self.from,
            to_ms: self.to,
            tool: self.tool.clone(),
            grant: self.grant.clone(),
            decision: self.decision,
            upstream: self.upstream.clone(),
            kind: self.kind.clone(),
            text: self.text.clone(),
            ..Query::default()
        }
    }
}

fn parse_time(text: &str) -> Result<i64, String> {
    Query::parse_time(text).map_err(|e| e.to_string())
}

fn parse_decision(text: &str) -> Result<Decision, String> {
    text.parse()
}

fn parse_format(text: &str) -> Result<ExportFormat, String> {
    text.parse()
        .map_err(|e: livegate::audit::AuditError| e.to_string())
}

/// Runs an audit subcommand.
pub fn run(command: &Command) -> anyhow::Result<ExitCode> {
    let path = Paths::discover()?.audit_db();
    match command {
        Command::Tail {
            filters,
            lines,
            json,
        } => tail(&path, &filters.query(), *lines, *json),
        Command::Query {
            filters,
            limit,
            cursor,
            all,
            json,
        } => {
            let mut query = filters.query();
            query.limit = (*limit).clamp(1, MAX_LIMIT);
            query.cursor = cursor.clone();
            query_pages(&path, query, *all, *json)
        }
        Command::Export {
            filters,
            format,
            output,
        } => export(&path, &filters.query(), *format, output.as_ref()),
        Command::Verify { json } => verify(&path, *json),
        Command::Prune { days, max_mb } => prune(&path, *days, *max_mb),
    }
}

fn open(path: &std::path::Path) -> anyhow::Result<AuditLog> {
    Ok(AuditLog::open_read_only(path)?)
}

fn query_pages(
    path: &std::path::Path,
    mut query: Query,
    all: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let log = open(path)?;
    let mut out = Output::new(json);
    loop {
        let page = log.query(&query)?;
        for record in &page.records {
            if out.record(record).is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
        match page.next_cursor {
            Some(cursor) if all => query.cursor = Some(cursor),
            Some(cursor) => {
                // On stderr, so JSON on stdout stays one record per line.
                eprintln!("more: --cursor {cursor}");
                break;
            }
            None => break,
        }
    }
    if out.count == 0 && !json {
        eprintln!("no records match");
    }
    Ok(ExitCode::SUCCESS)
}

fn tail(
    path: &std::path::Path,
    query: &Query,
    lines: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let log = open(path)?;
    let mut out = Output::new(json);
    let mut last_id = log.last_id()?;
    if lines > 0 {
        // The newest matching records, shown oldest first; any committed meanwhile come
        // with the ones followed below.
        let newest = log.query(&Query {
            limit: lines.min(MAX_LIMIT),
            ..query.clone()
        })?;
        for record in newest.records.iter().rev().filter(|r| r.id <= last_id) {
            if out.record(record).is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    loop {
        let records = log.after(last_id, query, MAX_LIMIT)?;
        if records.is_empty() {
            // Past records that did not match: move on to the log's end.
            last_id = last_id.max(log.last_id()?);
            std::thread::sleep(TAIL_POLL);
            continue;
        }
        for record in &records {
            if out.record(record).is_err() {
                return Ok(ExitCode::SUCCESS);
            }
            last_id = record.id;
        }
    }
}

fn export(
    path: &std::path::Path,
    query: &Query,
    format: ExportFormat,
    output: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    let log = open(path)?;
    let bar = if std::io::stderr().is_terminal() {
        let total = log.count(query)?;
        (total >= PROGRESS_BAR_MIN).then(|| progress_bar(total))
    } else {
        None
    };
    let progress = |n: u64| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    };
    let written = match output {
        Some(file) => {
            let out = std::fs::File::create(file)
                .with_context(|| format!("creating {}", file.display()))?;
            log.export(query, format, out, progress)?
        }
        None => log.export(query, format, std::io::stdout().lock(), progress)?,
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    eprintln!("exported {written} records as {format}");
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} records ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

fn verify(path: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let report = open(path)?.verify()?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else if let Some(id) = report.first_broken {
        println!(
            "BROKEN at record {id}: {}",
            report
                .detail
                .as_deref()
                .unwrap_or("the chain does not verify")
        );
        println!("{} records before it verified", report.checked);
    } else {
        println!(
            "ok: {} records verified, the chain is intact",
            report.checked
        );
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn prune(
    path: &std::path::Path,
    days: Option<u32>,
    max_mb: Option<u64>,
) -> anyhow::Result<ExitCode> {
    if !path.exists() {
        anyhow::bail!(
            "there is no audit log at {} yet: nothing to prune",
            path.display()
        );
    }
    let mut config = Settings::load(&Paths::discover()?.settings_file())?.audit_config();
    if days.is_some() || max_mb.is_some() {
        config.retention = Retention { days, max_mb };
    }
    let retention = config.retention;
    let log = AuditLog::open(path, config)?;
    let pruned = log.prune_now_blocking()?;
    log.close_blocking()?;
    let keep = match (retention.days, retention.max_mb) {
        (Some(d), Some(mb)) => format!("the last {d} days, at most {mb} MB"),
        (Some(d), None) => format!("the last {d} days"),
        (None, Some(mb)) => format!("at most {mb} MB"),
        (None, None) => "everything".to_string(),
    };
    println!("pruned {pruned} records (keeping {keep})");
    Ok(ExitCode::SUCCESS)
}

/// Where records are printed: a table or JSON lines on stdout.
struct Output {
    json: bool,
    count: u64,
    header: bool,
}

impl Output {
    fn new(json: bool) -> Self {
        Self {
            json,
            count: 0,
            header: false,
        }
    }

    /// Prints one record; an error means stdout is gone (e.g. piped into `head`).
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            let line = serde_json::to_string(record).map_err(std::io::Error::other)?;
            writeln!(stdout, "{line}")?;
        } else {
            if !self.header {
                writeln!(stdout, "{}", row(&HEADER.map(String::from)))?;
                self.header = true;
            }
            writeln!(stdout, "{}", row(&columns(record)))?;
        }
        self.count += 1;
        stdout.flush()
    }
}

const HEADER: [&str; 8] = [
    "ID",
    "TIME",
    "GRANT",
    "TOOL/EVENT",
    "DECISION",
    "OUTCOME",
    "MS",
    "SUMMARY",
];

/// Column widths (the last column takes the rest of the line).
const WIDTHS: [usize; 7] = [7, 23, 14, 24, 20, 14, 7];

/// One table line: each column padded or cut to its width.
fn row(fields: &[String; 8]) -> String {
    let mut line = String::new();
    for (field, width) in fields.iter().zip(WIDTHS) {
        line.push_str(&fit(field, width));
        line.push(' ');
    }
    line.push_str(&fields[7]);
    line
}

/// `text` padded to `width` characters, or cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        format!("{text}{}", " ".repeat(width - count))
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn columns(r: &Record) -> [String; 8] {
    let time = chrono::DateTime::from_timestamp_millis(r.time_ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_else(|| r.time_ms.to_string());
    let what = match &r.tool {
        Some(tool) if r.kind == livegate::audit::KIND_CALL => tool.clone(),
        _ => format!("[{}]", r.kind),
    };
    let decision = match (&r.decision, &r.approval) {
        (Some(d), Some(a)) => format!("{d} ({})", a.via),
        (Some(d), None) => d.to_string(),
        (None, _) => String::new(),
    };
    let summary = match (&r.reason, &r.summary) {
        (Some(reason), None) => reason.clone(),
        (Some(reason), Some(summary)) => format!("{reason}: {summary}"),
        (None, Some(summary)) => summary.clone(),
        (None, None) => String::new(),
    };
    [
        r.id.to_string(),
        time,
        r.grant.clone().unwrap_or_default(),
        what,
        decision,
        r.outcome.map(|o| o.to_string()).unwrap_or_default(),
        r.latency_us
            .map(|us| format!("{:.1}", us as f64 / 1000.0))
            .unwrap_or_default(),
        summary.replace(['\n', '\r', '\t'], " "),
    ]
}
