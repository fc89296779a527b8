//! Writing a batch to SQLite: multi-row `INSERT`s in primary-key order, and closes through
//! temporary tables, all in the batch's transaction.

use sqlx::AnyConnection;

use super::{CloseTable, Text, Value, Writes, in_key_order, save_checkpoints};
use crate::ProjectionError;
use crate::db::ReadDb;

/// Rows per multi-row INSERT (well under SQLite's parameter limit).
const ROWS_PER_INSERT: usize = 400;

/// Writes `writes` and moves every projection's checkpoint to `last_position`, in one
/// transaction.
pub(super) async fn commit(
    db: &ReadDb,
    writes: Writes,
    last_position: i64,
) -> Result<(), ProjectionError> {
    let mut tx = db.pool().begin().await?;
    writes.insert(&mut tx).await?;
    save_checkpoints::<sqlx::Any>(&mut tx, last_position).await?;
    tx.commit().await?;
    Ok(())
}

impl Writes {
    async fn insert(self, tx: &mut AnyConnection) -> Result<(), ProjectionError> {
        for (position, mechanism) in &self.mechanisms {
            sqlx::query(
                r"insert into mechanisms (mechanism_id, known_from, name, kind, region)
                  values ($1, $2, $3, $4, $5)",
            )
            .bind(mechanism.id.as_str())
            .bind(*position)
            .bind(&mechanism.name)
            .bind(mechanism.kind.as_str())
            .bind(mechanism.region.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        for (position, recommendation) in &self.recommendations {
            sqlx::query(
                r"insert into recommendations (recommendation_id, known_from, text, theme, source)
                  values ($1, $2, $3, $4, $5)",
            )
            .bind(recommendation.id.as_str())
            .bind(*position)
            .bind(&recommendation.text)
            .bind(&recommendation.theme)
            .bind(&recommendation.source)
            .execute(&mut *tx)
            .await?;
        }
        for (position, review_point) in &self.review_points {
            sqlx::query(
                r"insert into review_points (review_point_id, known_from, name, starts_on, ends_on)
                  values ($1, $2, $3, $4, $5)",
            )
            .bind(review_point.id.as_str())
            .bind(*position)
            .bind(&review_point.name)
            .bind(review_point.starts_on.to_string())
            .bind(review_point.ends_on.to_string())
            .execute(&mut *tx)
            .await?;
        }
        let mut text = Text::default();
        for (table, values) in self.closes(&mut text) {
            close(tx, table, &values).await?;
        }

        let versions = in_key_order(self.versions);
        for chunk in versions.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                "commitment_versions (commitment_id, known_from, known_to, mechanism_id, title, \
                 description, made_on, due_date, gcm_objectives, sdg_targets, recommendation_ids, \
                 indicator)",
                12,
                chunk.len(),
            );
            let texts: Vec<_> = chunk
                .iter()
                .map(|((id, _), row)| {
                    (
                        text.id(*id),
                        text.date(row.made_on),
                        row.due_date.map(|d| text.date(d)),
                    )
                })
                .collect();
            let mut insert = sqlx::query(&sql);
            for (((_, from), row), (id, made_on, due_date)) in chunk.iter().zip(&texts) {
                insert = insert
                    .bind(&**id)
                    .bind(*from)
                    .bind(row.known_to)
                    .bind(&*row.mechanism)
                    .bind(row.title.as_str())
                    .bind(row.description.as_str())
                    .bind(&**made_on)
                    .bind(due_date.as_deref())
                    .bind(row.gcm_objectives.as_str())
                    .bind(row.sdg_targets.as_str())
                    .bind(row.recommendation_ids.as_str())
                    .bind(row.indicator.as_deref());
            }
            insert.execute(&mut *tx).await?;
        }
        let links = in_key_order(self.links);
        for chunk in links.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                "commitment_links (commitment_id, kind, link, known_from, known_to, mechanism_id)",
                6,
                chunk.len(),
            );
            let ids: Vec<_> = chunk.iter().map(|((id, _, _), _)| text.id(*id)).collect();
            let mut insert = sqlx::query(&sql);
            for (((_, (kind, link), from), (to, mechanism)), id) in chunk.iter().zip(&ids) {
                insert = insert
                    .bind(&**id)
                    .bind(*kind)
                    .bind(link.as_str())
                    .bind(*from)
                    .bind(*to)
                    .bind(&**mechanism);
            }
            insert.execute(&mut *tx).await?;
        }
        let status = in_key_order(self.status);
        for chunk in status.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                "commitment_status (commitment_id, basis, valid_from, valid_to, known_from, \
                 known_to, status, percent, mechanism_id)",
                9,
                chunk.len(),
            );
            let texts: Vec<_> = chunk
                .iter()
                .map(|((id, _, valid_from, _), row)| {
                    (
                        text.id(*id),
                        text.date(*valid_from),
                        row.valid_to.map(|d| text.date(d)),
                    )
                })
                .collect();
            let mut insert = sqlx::query(&sql);
            for (((_, basis, _, from), row), (id, valid_from, valid_to)) in chunk.iter().zip(&texts)
            {
                insert = insert
                    .bind(&**id)
                    .bind(basis.code())
                    .bind(&**valid_from)
                    .bind(valid_to.as_deref())
                    .bind(*from)
                    .bind(row.known_to)
                    .bind(row.status)
                    .bind(row.percent)
                    .bind(&*row.mechanism);
            }
            insert.execute(&mut *tx).await?;
        }
        let reports = in_key_order(self.reports);
        for chunk in reports.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql(
                "progress_reports (commitment_id, seq, position, recorded_on, effective_date, \
                 status, percent, retracted_position, mechanism_id)",
                9,
                chunk.len(),
            );
            let texts: Vec<_> = chunk
                .iter()
                .map(|((id, _), row)| {
                    (
                        text.id(*id),
                        text.date(row.recorded_on),
                        text.date(row.effective_date),
                    )
                })
                .collect();
            let mut insert = sqlx::query(&sql);
            for (((_, seq), row), (id, recorded_on, effective_date)) in chunk.iter().zip(&texts) {
                insert = insert
                    .bind(&**id)
                    .bind(i64::from(*seq))
                    .bind(row.position)
                    .bind(&**recorded_on)
                    .bind(&**effective_date)
                    .bind(row.status)
                    .bind(row.percent)
                    .bind(row.retracted_position)
                    .bind(&*row.mechanism);
            }
            insert.execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// Fills the temporary `table` with `values`, runs its update, and empties it again.
async fn close(
    tx: &mut AnyConnection,
    table: &CloseTable,
    values: &[Value],
) -> Result<(), ProjectionError> {
    if values.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "create temp table if not exists {} ({})",
        table.name,
        table.definition()
    ))
    .execute(&mut *tx)
    .await?;
    let width = table.width();
    for chunk in values.chunks(ROWS_PER_INSERT * width) {
        let sql = insert_sql(&table.insert_target(), width, chunk.len() / width);
        let mut insert = sqlx::query(&sql);
        for value in chunk {
            insert = match value {
                Value::Text(text) => insert.bind(&**text),
                Value::Int(int) => insert.bind(*int),
            };
        }
        insert.execute(&mut *tx).await?;
    }
    sqlx::query(&table.update()).execute(&mut *tx).await?;
    sqlx::query(&format!("delete from {}", table.name))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// `insert or fail into <table_and_columns> values (?, …), (?, …)` with `columns × rows`
/// parameters.
///
/// Plain positional `?`: SQLite takes `$1, $2, …` too, but sqlx then resolves every parameter by
/// name, which is quadratic in the parameter count; with thousands of parameters per statement it
/// took half the rebuild's CPU (perf).
fn insert_sql(table_and_columns: &str, columns: usize, rows: usize) -> String {
    // SQLite journals every page a multi-row INSERT touches inside a transaction, to undo just
    // that statement if a row breaks a constraint. OR FAIL stops the statement without undoing
    // it; the batch's transaction is rolled back on any error anyway, so nothing partial stays.
    let row = format!("({})", vec!["?"; columns].join(", "));
    format!(
        "insert or fail into {table_and_columns} values {}",
        vec![row; rows].join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::insert_sql;

    #[test]
    fn inserts_take_positional_placeholders_row_after_row() {
        assert_eq!(
            insert_sql("t (a, b)", 2, 2),
            "insert or fail into t (a, b) values (?, ?), (?, ?)"
        );
    }
}
