//! Guided retirement: the plan the server keeps and runs to retire a key safely (observe it disabled, then schedule
//! its deletion with the cancel-on-use net armed), and the one table of how a plan moves between its steps.

use crate::{AccountId, KeyId, Region, Timestamp};

/// Where a retirement plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetirementStep {
    /// The key is disabled and watched for attempted use until the observation period ends.
    Observing,
    /// Deletion is scheduled with the cancel-on-use net armed.
    PendingDeletion,
    /// The key was deleted at the end of its waiting period.
    Completed,
    /// An attempted use (or a change made outside the plan) stopped the plan; the key stays `Disabled`.
    Halted,
    /// The owner stopped the plan; the key stays `Disabled`.
    Aborted,
}

/// What moves a plan on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetirementEvent {
    /// Someone is stopping the plan.
    Abort,
    /// The key's deletion happened.
    Deleted,
    /// An attempted use, or the key left the state the plan put it in.
    Halt,
    /// The observation period ended quietly and deletion was scheduled.
    Scheduled,
}

/// A move the table does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a retirement plan in step {step:?} cannot take {event:?}")]
pub struct RetirementStepError {
    /// The plan's step.
    pub step: RetirementStep,
    /// The event refused.
    pub event: RetirementEvent,
}

impl RetirementStep {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RetirementStep::Observing => "Observing",
            RetirementStep::PendingDeletion => "PendingDeletion",
            RetirementStep::Completed => "Completed",
            RetirementStep::Halted => "Halted",
            RetirementStep::Aborted => "Aborted",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Observing, Self::PendingDeletion, Self::Completed, Self::Halted, Self::Aborted]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// True while the server still has work to do for the plan.
    pub fn is_active(self) -> bool {
        matches!(self, RetirementStep::Observing | RetirementStep::PendingDeletion)
    }

    /// The one table of plan steps.
    pub fn next(self, event: RetirementEvent) -> Result<RetirementStep, RetirementStepError> {
        use RetirementEvent as E;
        use RetirementStep as S;
        match (self, event) {
            (S::Observing, E::Scheduled) => Ok(S::PendingDeletion),
            (S::Observing | S::PendingDeletion, E::Halt) => Ok(S::Halted),
            (S::Observing | S::PendingDeletion, E::Abort) => Ok(S::Aborted),
            (S::PendingDeletion, E::Deleted) => Ok(S::Completed),
            (S::Observing, E::Deleted)
            | (S::PendingDeletion, E::Scheduled)
            | (S::Completed | S::Halted | S::Aborted, E::Abort | E::Deleted | E::Halt | E::Scheduled) => {
                Err(RetirementStepError { step: self, event })
            }
        }
    }
}

/// A retirement plan for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetirementPlan {
    /// The key's account.
    pub account: AccountId,
    /// The key's region.
    pub region: Region,
    /// The key.
    pub key_id: KeyId,
    /// Where the plan stands.
    pub step: RetirementStep,
    /// How long the key is observed disabled, in ms.
    pub observe_millis: i64,
    /// The waiting period of the scheduled deletion, in days.
    pub pending_window_days: i64,
    /// When the plan started (and the key was disabled).
    pub started_at: Timestamp,
    /// When observation ends.
    pub observe_until: Timestamp,
    /// When deletion was scheduled.
    pub scheduled_at: Option<Timestamp>,
    /// When the key is (or was) to be deleted.
    pub deletion_date: Option<Timestamp>,
    /// When the plan completed, halted or was aborted.
    pub finished_at: Option<Timestamp>,
    /// Why the plan halted or ended, for people.
    pub reason: String,
    /// Who started it (a principal ARN).
    pub started_by: String,
    /// Bumped on every change; writes are conditional on it (0 = not stored yet).
    pub version: i64,
}

impl RetirementPlan {
    /// Moves the plan by `event` at `now`, recording `reason`.
    pub fn advance(
        &mut self,
        event: RetirementEvent,
        now: Timestamp,
        reason: impl Into<String>,
    ) -> Result<(), RetirementStepError> {
        self.step = self.step.next(event)?;
        if !self.step.is_active() {
            self.finished_at = Some(now);
        }
        self.reason = reason.into();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RetirementEvent as E;
    use RetirementStep as S;

    #[test]
    fn every_cell_of_the_step_table() {
        let expected = [
            (S::Observing, E::Scheduled, Some(S::PendingDeletion)),
            (S::Observing, E::Halt, Some(S::Halted)),
            (S::Observing, E::Abort, Some(S::Aborted)),
            (S::Observing, E::Deleted, None),
            (S::PendingDeletion, E::Deleted, Some(S::Completed)),
            (S::PendingDeletion, E::Halt, Some(S::Halted)),
            (S::PendingDeletion, E::Abort, Some(S::Aborted)),
            (S::PendingDeletion, E::Scheduled, None),
        ];
        for (step, event, next) in expected {
            assert_eq!(step.next(event).ok(), next, "{step:?} + {event:?}");
        }
        for step in [S::Completed, S::Halted, S::Aborted] {
            for event in [E::Abort, E::Deleted, E::Halt, E::Scheduled] {
                assert!(step.next(event).is_err(), "a finished plan stays finished: {step:?} + {event:?}");
            }
            assert!(!step.is_active());
        }
    }

    #[test]
    fn step_names_round_trip() {
        for step in [S::Observing, S::PendingDeletion, S::Completed, S::Halted, S::Aborted] {
            assert_eq!(S::parse(step.as_str()), Some(step));
        }
        assert_eq!(S::parse("observing"), None);
    }
}
