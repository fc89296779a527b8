//! Writing a batch to PostgreSQL with `COPY`.
//!
//! Multi-row `INSERT`s through sqlx's `Any` driver copy every value into an `AnyValue`, encode it
//! again for the wire, and have the server parse a 3,600-parameter statement. `COPY … FROM STDIN`
//! in text format sends each row once, as a line the server parses in bulk: at a million events
//! the write stage of a rebuild went from 31.6 s to 26.3 s with that alone. Closes go the same
//! way: the keys are copied into a temporary table and joined to the rows they close in one
//! `UPDATE` per table, through the primary key (see [`commit`]).
//!
//! `COPY` needs a typed connection, so a PostgreSQL generation keeps a small `PgPool` beside its
//! `Any` pool for the runner's writes ([`ReadDb::bulk`](crate::db::ReadDb)); the whole batch,
//! checkpoints included, still commits in one transaction.

use std::fmt::Write as _;

use sqlx::postgres::{PgConnection, PgPool};

use super::{
    CLOSE_TABLES, CloseTable, StatusKey, Text, Value, Writes, in_key_order, save_checkpoints,
};
use crate::ProjectionError;

/// The statements that create the [`CloseTable`]s on a bulk connection, once per connection
/// (the generation's pool runs them as each connection opens: [`ReadDb::bulk`]); they empty at
/// every commit.
///
/// [`ReadDb::bulk`]: crate::db::ReadDb
pub(super) fn temporary_tables() -> Vec<String> {
    CLOSE_TABLES
        .into_iter()
        .map(|table| {
            format!(
                "create temp table {} ({}) on commit delete rows",
                table.name,
                table.definition()
            )
        })
        .collect()
}

/// Writes `writes` and moves every projection's checkpoint to `last_position`, in one
/// transaction.
pub(super) async fn commit(
    pool: &PgPool,
    writes: Writes,
    last_position: i64,
) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    // During a build the tables have no statistics yet (they are analyzed at its end), and
    // PostgreSQL then joined the closes by hashing the whole status table: 1.3 s a batch at a
    // million events, against a few hundred milliseconds through the primary key.
    sqlx::query("set local enable_hashjoin = off")
        .execute(&mut *tx)
        .await?;
    sqlx::query("set local enable_mergejoin = off")
        .execute(&mut *tx)
        .await?;
    writes.copy(&mut tx).await?;
    save_checkpoints::<sqlx::Postgres>(&mut tx, last_position).await?;
    tx.commit().await?;
    Ok(())
}

impl Writes {
    async fn copy(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut text = Text::default();
        let mut rows = CopyRows::default();

        for (position, mechanism) in &self.mechanisms {
            rows.text(mechanism.id.as_str())
                .int(*position)
                .text(&mechanism.name)
                .text(mechanism.kind.as_str())
                .optional_text(mechanism.region.as_deref())
                .end_row();
        }
        rows.copy_into(
            tx,
            "mechanisms (mechanism_id, known_from, name, kind, region)",
        )
        .await?;
        for (position, recommendation) in &self.recommendations {
            rows.text(recommendation.id.as_str())
                .int(*position)
                .text(&recommendation.text)
                .text(&recommendation.theme)
                .text(&recommendation.source)
                .end_row();
        }
        rows.copy_into(
            tx,
            "recommendations (recommendation_id, known_from, text, theme, source)",
        )
        .await?;
        for (position, review_point) in &self.review_points {
            rows.text(review_point.id.as_str())
                .int(*position)
                .text(&review_point.name)
                .text(&text.date(review_point.starts_on))
                .text(&text.date(review_point.ends_on))
                .end_row();
        }
        rows.copy_into(
            tx,
            "review_points (review_point_id, known_from, name, starts_on, ends_on)",
        )
        .await?;

        for (table, values) in self.closes(&mut text) {
            for row in values.chunks(table.width()) {
                for value in row {
                    match value {
                        Value::Text(value) => rows.text(value),
                        Value::Int(value) => rows.int(*value),
                    };
                }
                rows.end_row();
            }
            rows.close(tx, table).await?;
        }

        for ((id, from), row) in in_key_order(self.versions) {
            rows.text(&text.id(id))
                .int(from)
                .optional_int(row.known_to)
                .text(&row.mechanism)
                .text(&row.title)
                .text(&row.description)
                .text(&text.date(row.made_on))
                .optional_text(row.due_date.map(|d| text.date(d)).as_deref())
                .text(&row.gcm_objectives)
                .text(&row.sdg_targets)
                .text(&row.recommendation_ids)
                .optional_text(row.indicator.as_deref())
                .end_row();
        }
        rows.copy_into(
            tx,
            "commitment_versions (commitment_id, known_from, known_to, mechanism_id, title, \
             description, made_on, due_date, gcm_objectives, sdg_targets, recommendation_ids, \
             indicator)",
        )
        .await?;
        for ((id, (kind, link), from), (to, mechanism)) in in_key_order(self.links) {
            rows.text(&text.id(id))
                .text(kind)
                .text(&link)
                .int(from)
                .optional_int(to)
                .text(&mechanism)
                .end_row();
        }
        rows.copy_into(
            tx,
            "commitment_links (commitment_id, kind, link, known_from, known_to, mechanism_id)",
        )
        .await?;
        let status: Vec<(StatusKey, _)> = in_key_order(self.status);
        for ((id, basis, valid_from, from), row) in status {
            rows.text(&text.id(id))
                .int(basis.code())
                .text(&text.date(valid_from))
                .optional_text(row.valid_to.map(|d| text.date(d)).as_deref())
                .int(from)
                .optional_int(row.known_to)
                .text(row.status)
                .optional_int(row.percent)
                .text(&row.mechanism)
                .end_row();
        }
        rows.copy_into(
            tx,
            "commitment_status (commitment_id, basis, valid_from, valid_to, known_from, \
             known_to, status, percent, mechanism_id)",
        )
        .await?;
        for ((id, seq), row) in in_key_order(self.reports) {
            rows.text(&text.id(id))
                .int(i64::from(seq))
                .int(row.position)
                .text(&text.date(row.recorded_on))
                .text(&text.date(row.effective_date))
                .text(row.status)
                .optional_int(row.percent)
                .optional_int(row.retracted_position)
                .text(&row.mechanism)
                .end_row();
        }
        rows.copy_into(
            tx,
            "progress_reports (commitment_id, seq, position, recorded_on, effective_date, \
             status, percent, retracted_position, mechanism_id)",
        )
        .await?;
        Ok(())
    }
}

/// Rows in `COPY`'s text format: tab-separated columns, one row per line, `\N` for null.
#[derive(Debug, Default)]
struct CopyRows {
    data: String,
    rows: usize,
    /// Whether the current row has a column yet.
    started: bool,
}

impl CopyRows {
    fn separate(&mut self) {
        if self.started {
            self.data.push('\t');
        }
        self.started = true;
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        // Backslash starts an escape in this format; tab, newline and carriage return would end
        // a column or a row. Most text has none of them and is copied whole.
        const SPECIAL: [char; 4] = ['\\', '\t', '\n', '\r'];
        if !value.contains(SPECIAL) {
            self.data.push_str(value);
            return self;
        }
        for c in value.chars() {
            match c {
                '\\' => self.data.push_str("\\\\"),
                '\t' => self.data.push_str("\\t"),
                '\n' => self.data.push_str("\\n"),
                '\r' => self.data.push_str("\\r"),
                c => self.data.push(c),
            }
        }
        self
    }

    fn optional_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.separate();
        // Writing to a String cannot fail.
        let _ = write!(self.data, "{value}");
        self
    }

    fn optional_int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(value) => self.int(value),
            None => self.null(),
        }
    }

    fn null(&mut self) -> &mut Self {
        self.separate();
        self.data.push_str("\\N");
        self
    }

    fn end_row(&mut self) {
        self.data.push('\n');
        self.rows += 1;
        self.started = false;
    }

    /// Copies the rows gathered so far into `table_and_columns` and starts afresh.
    async fn copy_into(
        &mut self,
        tx: &mut PgConnection,
        table_and_columns: &str,
    ) -> Result<(), ProjectionError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut copy = tx
            .copy_in_raw(&format!("copy {table_and_columns} from stdin"))
            .await?;
        copy.send(std::mem::take(&mut self.data).into_bytes())
            .await?;
        copy.finish().await?;
        self.rows = 0;
        Ok(())
    }

    /// Copies the rows gathered so far into the temporary `table`, then runs its update.
    async fn close(
        &mut self,
        tx: &mut PgConnection,
        table: &CloseTable,
    ) -> Result<(), ProjectionError> {
        if self.rows == 0 {
            return Ok(());
        }
        self.copy_into(tx, &table.insert_target()).await?;
        sqlx::query(&table.update()).execute(&mut *tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::CopyRows;

    #[test]
    fn text_columns_escape_what_the_format_reads_as_structure() {
        let mut rows = CopyRows::default();
        rows.text("a\tb\nc\\d\re")
            .null()
            .int(-4)
            .text("plain")
            .end_row();
        assert_eq!(rows.data, "a\\tb\\nc\\\\d\\re\t\\N\t-4\tplain\n");
    }
}
