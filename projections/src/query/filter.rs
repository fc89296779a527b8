//! The filters shared by the list, progress, timeline and "what moved" reads.

use super::sql::{self, Params};

/// Filters shared by the list and progress reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    /// Only this mechanism's commitments.
    pub mechanism: Option<String>,
    /// Only commitments toward this GCM objective.
    pub objective: Option<u8>,
    /// Only commitments toward this SDG target.
    pub sdg_target: Option<String>,
    /// Only commitments in this status.
    pub status: Option<String>,
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
        let mechanism = params.bind(self.mechanism.clone());
        let objective = params.bind(self.objective.map(|number| number.to_string()));
        let sdg_target = params.bind(self.sdg_target.clone());
        let status = params.bind(self.status.clone());
        let region = params.bind(self.region.clone());
        let objective_link = sql::known_at("lo", known);
        let target_link = sql::known_at("lt", known);
        format!(
            "({mechanism} is null or s.mechanism_id = {mechanism})
             and ({objective} is null or exists (
                 select 1 from commitment_links lo
                 where lo.commitment_id = s.commitment_id
                   and lo.kind = 'objective'
                   and lo.link = {objective}
                   and {objective_link}))
             and ({sdg_target} is null or exists (
                 select 1 from commitment_links lt
                 where lt.commitment_id = s.commitment_id
                   and lt.kind = 'sdg_target'
                   and lt.link = {sdg_target}
                   and {target_link}))
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
