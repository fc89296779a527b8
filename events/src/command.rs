//! Commands, one module per command (STYLE.md point 4): the command struct, its `decide`, and its
//! given/when/then tests. Streams with a single command keep their small state in that module too.
//!
//! # Layout
//!
//! | stream | command | module |
//! |---|---|---|
//! | mechanism | [`RegisterMechanism`](register_mechanism::RegisterMechanism) | [`register_mechanism`] |
//! | recommendation | [`AddRecommendation`](add_recommendation::AddRecommendation) | [`add_recommendation`] |
//! | review point | [`AddReviewPoint`](add_review_point::AddReviewPoint) | [`add_review_point`] |
//! | catalogue | [`CatalogueCommand`](load_catalogue::CatalogueCommand) | [`load_catalogue`] |
//! | commitment | [`MakeCommitment`] | [`make_commitment`] |
//! | commitment | [`ReviseCommitment`] | [`revise_commitment`] |
//! | commitment | [`ReportProgress`] | [`report_progress`] |
//! | commitment | [`RetractProgress`] | [`retract_progress`] |
//! | commitment | [`ValidateProgress`] | [`validate_progress`] |
//! | commitment | [`WithdrawCommitment`] | [`withdraw_commitment`] |
//!
//! Authorization (who may send what) is the HTTP layer's job; commands here are already allowed.

pub mod add_recommendation;
pub mod add_review_point;
pub mod load_catalogue;
pub mod make_commitment;
pub mod register_mechanism;
pub mod report_progress;
pub mod retract_progress;
pub mod revise_commitment;
pub mod validate_progress;
pub mod withdraw_commitment;

use crate::command::make_commitment::MakeCommitment;
use crate::command::report_progress::ReportProgress;
use crate::command::retract_progress::RetractProgress;
use crate::command::revise_commitment::ReviseCommitment;
use crate::command::validate_progress::ValidateProgress;
use crate::command::withdraw_commitment::WithdrawCommitment;

/// Everything that may be asked of a commitment stream; decided by
/// [`crate::commitment::CommitmentState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitmentCommand {
    /// `POST /v1/commitments`.
    Make(MakeCommitment),
    /// `POST /v1/commitments/{id}/revisions`.
    Revise(ReviseCommitment),
    /// `POST /v1/commitments/{id}/progress`.
    ReportProgress(ReportProgress),
    /// `POST /v1/commitments/{id}/progress/{seq}/retraction`.
    RetractProgress(RetractProgress),
    /// `POST /v1/commitments/{id}/progress/{seq}/validation`.
    ValidateProgress(ValidateProgress),
    /// `POST /v1/commitments/{id}/withdrawal`.
    Withdraw(WithdrawCommitment),
}
