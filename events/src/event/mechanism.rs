//! The events of a mechanism stream (`mechanism-<slug>`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::MechanismId;

/// Everything that happens to a mechanism. The `type` tag is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum MechanismEvent {
    /// An admin registered the mechanism.
    #[serde(rename = "mechanism_registered")]
    MechanismRegistered(Mechanism),
}

/// A mechanism that makes commitments: a regional consultative process, an inter-regional forum, a
/// global process, or one of their partners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mechanism {
    /// Its slug, e.g. `bali-process`, also the suffix of its stream id.
    pub id: MechanismId,
    /// Its display name, e.g. "Bali Process on People Smuggling, Trafficking in Persons and
    /// Related Transnational Crime".
    pub name: String,
    /// What kind of mechanism it is.
    pub kind: MechanismKind,
    /// The region it covers, free text (e.g. "Asia and the Pacific"); dashboards filter by it.
    pub region: Option<String>,
}

/// The kinds of mechanism of SPEC.md "Model".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MechanismKind {
    /// A regional consultative process on migration (RCP).
    #[serde(rename = "regional_consultative_process")]
    RegionalConsultativeProcess,
    /// An inter-regional forum on migration (IRF).
    #[serde(rename = "interregional_forum")]
    InterregionalForum,
    /// A global process, e.g. the Global Forum on Migration and Development.
    #[serde(rename = "global_process")]
    GlobalProcess,
    /// A regional economic organisation, e.g. ECOWAS.
    #[serde(rename = "regional_economic_organization")]
    RegionalEconomicOrganization,
    /// A UN regional commission, e.g. ESCAP.
    #[serde(rename = "un_regional_commission")]
    UnRegionalCommission,
    /// Anything else.
    #[serde(rename = "other")]
    Other,
}

impl MechanismKind {
    /// Every kind, in the order SPEC.md lists them.
    pub const ALL: [Self; 6] = [
        Self::RegionalConsultativeProcess,
        Self::InterregionalForum,
        Self::GlobalProcess,
        Self::RegionalEconomicOrganization,
        Self::UnRegionalCommission,
        Self::Other,
    ];

    /// The wire name, e.g. `regional_consultative_process`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegionalConsultativeProcess => "regional_consultative_process",
            Self::InterregionalForum => "interregional_forum",
            Self::GlobalProcess => "global_process",
            Self::RegionalEconomicOrganization => "regional_economic_organization",
            Self::UnRegionalCommission => "un_regional_commission",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for MechanismKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_wire_names_match_their_text() {
        for kind in MechanismKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).expect("serialisable"),
                serde_json::Value::String(kind.as_str().to_owned())
            );
        }
    }
}
