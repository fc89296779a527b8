//! The filters shared by the list, progress, timeline and "what moved" reads.

use compact_events::commitment::query::CommitmentStatus;
use compact_events::ids::{MechanismId, ObjectiveNumber, SdgTargetCode};

use super::sql::{self, Params};

/// Filters shared by the list and progress reads, in the domain's own types: a value the edge
/// could not parse cannot reach a query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    /// Only this mechanism's commitments.
    pub mechanism: Option<MechanismId>,
    /// Only commitments toward this GCM objective.
    pub objective: Option<ObjectiveNumber>,
    /// Only commitments toward this SDG target.
    pub sdg_target: Option<SdgTargetCode>,
    /// Only commitments in this status (on the question's `as_of`).
    pub status: Option<CommitmentStatus>,
    /// Only commitments of mechanisms in this region.
    pub region: Option<String>,
}

impl Filter {
    /// The condition on status row `s` (and its commitment's links, as known at `known`) that
    /// keeps what this filter lets through, binding its values to `params`.
    ///
    /// Every filter is bound, `null` when absent, so that each question has the same SQL and
    /// query plan whichever filters it sets.
    pub(super) fn condition(&self, params: &mut Params, known: &str) -> String {
        // Stored as the projector writes them: slugs, numbers and codes as text, statuses by
        // their wire names.
        let mechanism = params.bind(self.mechanism.as_ref().map(ToString::to_string));
        let objective = params.bind(self.objective.map(|number| number.to_string()));
        let sdg_target = params.bind(self.sdg_target.as_ref().map(ToString::to_string));
        let status = params.bind(self.status.map(|status| status.as_str().to_owned()));
        let region = params.bind(self.region.clone());
        // `alias` and `kind` are our constants, never user input.
        let linked = |alias: &str, kind: &str, link: &str| {
            format!(
                "({link} is null or exists (
                     select 1 from commitment_links {alias}
                     where {alias}.commitment_id = s.commitment_id
                       and {alias}.kind = '{kind}'
                       and {alias}.link = {link}
                       and {}))",
                sql::known_at(alias, known)
            )
        };
        let objective = linked("lo", "objective", &objective);
        let sdg_target = linked("lt", "sdg_target", &sdg_target);
        format!(
            "({mechanism} is null or s.mechanism_id = {mechanism})
             and {objective}
             and {sdg_target}
             and ({status} is null or s.status = {status})
             and ({region} is null or exists (
                 select 1 from mechanisms m
                 where m.mechanism_id = s.mechanism_id
                   and m.region = {region}
                   and m.known_from <= {known}))"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_binds_every_filter_after_what_was_bound_before() {
        let mut params = Params::default();
        let known = params.bind(3);
        let condition = Filter::default().condition(&mut params, &known);
        assert!(condition.starts_with("($2 is null or s.mechanism_id = $2)"));
        assert!(condition.contains("m.region = $6"));
        assert!(condition.contains("lo.known_from <= $1"));
        assert_eq!(params.bind(0), "$7");
    }
}
