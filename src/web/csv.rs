//! CSV downloads of the dashboard's tables (SPEC.md "Web dashboard": CSV download of every
//! table). Commitment lists are the API's own `GET /v1/commitments?format=csv` (see
//! [`super::groups::commitments_csv`]); the tables the API has no CSV for (progress tallies,
//! timelines, a commitment's updates and events, the feed, what moved) are written here, from
//! the same data as the page.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

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

/// Quotes a field holding a comma, quote or line break, and defuses a leading character that a
/// spreadsheet would run as a formula. The API's commitments CSV uses it too.
pub(crate) fn quote(field: &str) -> String {
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
