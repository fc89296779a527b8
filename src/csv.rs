//! CSV downloads (RFC 4180), for both front ends: the API's `GET /v1/commitments?format=csv`
//! and the dashboard's tables (SPEC.md "Web dashboard": CSV download of every table). Every
//! cell goes through [`quote`], so every download is escaped and defused against formula
//! injection the same way.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use compact_projections::query::CommitmentRow;

/// A CSV document being written: a header line, then rows (RFC 4180).
#[derive(Debug, Default)]
pub struct Csv {
    text: String,
}

impl Csv {
    /// A document with these column names.
    pub fn new(columns: &[&str]) -> Self {
        let mut csv = Self::default();
        csv.row(columns.iter().copied());
        csv
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let line: Vec<String> = fields
            .into_iter()
            .map(|field| quote(field.as_ref()))
            .collect();
        self.text.push_str(&line.join(","));
        self.text.push_str("\r\n");
    }

    /// The download: `text/csv`, saved as `filename`.
    pub fn into_response(self, filename: &str) -> Response {
        let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            self.text,
        )
            .into_response()
    }
}

/// A list of commitments, one row each, with every column of `GET /v1/commitments?format=csv`.
pub fn commitments(rows: Vec<CommitmentRow>) -> Csv {
    let mut csv = Csv::new(&[
        "id",
        "mechanism_id",
        "title",
        "made_on",
        "due_date",
        "gcm_objectives",
        "sdg_targets",
        "recommendation_ids",
        "status",
        "percent_complete",
        "last_report_on",
        "freshness",
    ]);
    for row in rows {
        let objectives: Vec<String> = row.gcm_objectives.iter().map(ToString::to_string).collect();
        csv.row([
            row.id,
            row.mechanism_id,
            row.title,
            row.made_on.to_string(),
            row.due_date.map(|d| d.to_string()).unwrap_or_default(),
            objectives.join(" "),
            row.sdg_targets.join(" "),
            row.recommendation_ids.join(" "),
            row.status,
            row.percent.map(|p| p.to_string()).unwrap_or_default(),
            row.last_report_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            row.freshness.as_str().to_owned(),
        ]);
    }
    csv
}

/// Quotes a field holding a comma, quote or line break, and defuses a leading character that a
/// spreadsheet would run as a formula.
fn quote(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_quoted_only_when_it_must_be() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a, b"), "\"a, b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(quote("-1"), "'-1");
    }

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(["x, y", "=SUM(A1)"]);
        csv.row(["say \"hi\"", "plain"]);
        assert_eq!(
            csv.text,
            "a,b\r\n\"x, y\",'=SUM(A1)\r\n\"say \"\"hi\"\"\",plain\r\n"
        );
    }
}
