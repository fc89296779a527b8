//! OpenAPI schemas for domain types that live in `compact-events` (which does not depend on
//! utoipa): each names the wire values exactly, so the document stays accurate enough to fuzz.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{ArrayBuilder, RefOr};

fn string_enum(values: &[&str], description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .into()
}

/// `kind` of a mechanism.
pub fn mechanism_kind() -> Schema {
    string_enum(
        &[
            "regional_consultative_process",
            "interregional_forum",
            "global_process",
            "regional_economic_organization",
            "un_regional_commission",
            "other",
        ],
        "The kind of mechanism",
    )
}

/// `status` of a progress update.
pub fn progress_status() -> Schema {
    string_enum(
        &[
            "planned",
            "in_progress",
            "delayed",
            "achieved",
            "discontinued",
        ],
        "The reported state of implementation",
    )
}

/// `decision` on a progress update.
pub fn decision() -> Schema {
    string_enum(&["validated", "rejected"], "The secretariat's decision")
}

/// A slug: 2–64 characters of `a-z`, `0-9`, `-`, `.`.
pub fn slug() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[a-z0-9][a-z0-9.-]{1,63}$"))
        .into()
}

/// A list of GCM objective numbers, 1 to 23.
pub fn objectives() -> RefOr<Schema> {
    let number = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(23));
    ArrayBuilder::new()
        .items(number)
        .description(Some("GCM objective numbers, 1 to 23"))
        .into()
}

/// A list of SDG target codes such as `10.7`.
pub fn sdg_targets() -> RefOr<Schema> {
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^([1-9]|1[0-7])\.([1-9][0-9]?|[a-z])$"));
    ArrayBuilder::new()
        .items(code)
        .description(Some("SDG target codes, e.g. 10.7"))
        .into()
}

/// A list of recommendation slugs.
pub fn slugs() -> RefOr<Schema> {
    ArrayBuilder::new().items(RefOr::T(slug())).into()
}

/// A decimal quantity, as a JSON number or a decimal string.
pub fn quantity() -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Number,
        ]))
        .description(Some(
            "A decimal number; send a string for more than 15 significant digits",
        ))
        .into()
}
