//! Campaigns: their kinds, their statuses and the one table of which status
//! follows which, for operators (admin API) and for the engine (dispatcher).
//!
//! draft → scheduled (launch) → running (the dispatcher starts it) → completed
//! (the dispatcher finds nobody left); scheduled or running → paused (pause);
//! paused → running, or scheduled if it never started (resume); any status that
//! is not final → cancelled (cancel). Pure: no I/O.

pub mod template;

pub use template::{Placeholder, RenderContext, Template, TemplateError};

crate::text_enum! {
    /// Where a campaign is in its lifecycle (`campaigns.status`).
    pub enum CampaignStatus {
        Draft => "draft",
        Scheduled => "scheduled",
        Running => "running",
        Paused => "paused",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

crate::text_enum! {
    /// What a campaign sends: a broadcast, or reminders of recipients' appointments.
    pub enum CampaignKind {
        Broadcast => "broadcast",
        Reminder => "reminder",
    }
}

/// Something that may move a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Operator: a draft is to be sent from its start time.
    Launch,
    /// Operator.
    Pause,
    /// Operator.
    Resume,
    /// Operator: final.
    Cancel,
    /// The dispatcher picked the recipients of a due scheduled campaign.
    Start,
    /// The dispatcher found no recipient pending or queued.
    Finish,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Self::Launch,
        Self::Pause,
        Self::Resume,
        Self::Cancel,
        Self::Start,
        Self::Finish,
    ];

    /// The events an operator may send (the others come from the dispatcher).
    pub const OPERATOR: [Event; 4] = [Self::Launch, Self::Pause, Self::Resume, Self::Cancel];

    /// The imperative an operator would use, for error messages.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Launch => "launch",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Cancel => "cancel",
            Self::Start => "start",
            Self::Finish => "finish",
        }
    }
}

impl CampaignStatus {
    /// The status `event` moves a campaign to, or `None` when not allowed.
    /// `started`: the recipients were picked already, so a paused campaign
    /// resumes running rather than scheduled.
    pub fn next(self, started: bool, event: Event) -> Option<CampaignStatus> {
        use CampaignStatus::*;
        match (event, self) {
            (Event::Launch, Draft) => Some(Scheduled),
            (Event::Pause, Scheduled | Running) => Some(Paused),
            (Event::Resume, Paused) if started => Some(Running),
            (Event::Resume, Paused) => Some(Scheduled),
            (Event::Cancel, Draft | Scheduled | Running | Paused) => Some(Cancelled),
            (Event::Start, Scheduled) => Some(Running),
            (Event::Finish, Running) => Some(Completed),
            _ => None,
        }
    }

    /// Whether the dispatcher sends for a campaign in this status.
    pub fn sends(self) -> bool {
        self == CampaignStatus::Running
    }

    /// Statuses in which a campaign may still be edited: it has not started.
    pub const EDITABLE: [CampaignStatus; 2] = [CampaignStatus::Draft, CampaignStatus::Scheduled];

    /// Completed and cancelled campaigns never move again.
    pub fn is_final(self) -> bool {
        matches!(self, CampaignStatus::Completed | CampaignStatus::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::CampaignStatus::*;
    use super::*;

    /// The whole table, spelled out: every pair not listed here is refused.
    const ALLOWED: [(CampaignStatus, bool, Event, CampaignStatus); 13] = [
        (Draft, false, Event::Launch, Scheduled),
        (Scheduled, false, Event::Pause, Paused),
        (Running, true, Event::Pause, Paused),
        (Paused, true, Event::Resume, Running),
        (Paused, false, Event::Resume, Scheduled),
        (Draft, false, Event::Cancel, Cancelled),
        (Scheduled, false, Event::Cancel, Cancelled),
        (Running, true, Event::Cancel, Cancelled),
        (Paused, true, Event::Cancel, Cancelled),
        (Paused, false, Event::Cancel, Cancelled),
        (Scheduled, false, Event::Start, Running),
        (Running, true, Event::Finish, Completed),
        // A scheduled campaign whose recipients were picked (paused, then resumed
        // before the dispatcher's next tick) may still be paused.
        (Scheduled, true, Event::Pause, Paused),
    ];

    fn allowed(status: CampaignStatus, started: bool, event: Event) -> Option<CampaignStatus> {
        ALLOWED
            .iter()
            .find(|(s, st, e, _)| *s == status && *e == event && (*st == started))
            .map(|(_, _, _, next)| *next)
    }

    #[test]
    fn every_transition_outside_the_table_is_refused() {
        for &status in CampaignStatus::ALL {
            for event in Event::ALL {
                for started in [false, true] {
                    let expected = allowed(status, started, event).or_else(|| {
                        // Rows that do not depend on `started` are listed once.
                        allowed(status, !started, event).filter(|_| event != Event::Resume)
                    });
                    assert_eq!(
                        status.next(started, event),
                        expected,
                        "{event:?} from {status} (started: {started})"
                    );
                }
            }
        }
    }

    #[test]
    fn final_statuses_never_move_and_only_running_sends() {
        for event in Event::ALL {
            assert_eq!(Completed.next(true, event), None);
            assert_eq!(Cancelled.next(false, event), None);
        }
        for &status in CampaignStatus::ALL {
            assert_eq!(status.sends(), status == Running);
            assert_eq!(
                status.is_final(),
                status.next(true, Event::Cancel).is_none()
            );
        }
    }

    #[test]
    fn statuses_read_back_from_their_stored_spelling() {
        for &status in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(status.as_str()), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert!(CampaignStatus::parse("Running").is_err());
    }
}
