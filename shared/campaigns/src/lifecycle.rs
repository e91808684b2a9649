//! Which campaign status follows which, for operators and for the engine.
//!
//! draft → scheduled (launch) → running (the dispatcher starts it) → completed
//! (the dispatcher finds nobody left); scheduled or running → paused (pause);
//! paused → running, or scheduled if it never started (resume); any status that
//! is not final → cancelled (cancel). The operator half mirrors
//! `smsbot_admin::campaigns::next_status` (a test keeps the two in step); this is
//! the one table the whole lifecycle can be read from. Pure: no I/O.

use smsbot_store::campaigns::CampaignStatus;

/// Something that may move a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Launch,
    Pause,
    Resume,
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
}

/// The status `event` moves a campaign to, or `None` when not allowed. `started`:
/// the recipients were picked already.
pub fn next_status(status: CampaignStatus, started: bool, event: Event) -> Option<CampaignStatus> {
    use CampaignStatus::*;
    match (event, status) {
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
pub fn sends(status: CampaignStatus) -> bool {
    status == CampaignStatus::Running
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignStatus::*;

    #[test]
    fn only_a_running_campaign_finishes_and_only_a_scheduled_one_starts() {
        for status in CampaignStatus::ALL {
            assert_eq!(
                next_status(status, true, Event::Finish).is_some(),
                status == Running
            );
            assert_eq!(
                next_status(status, false, Event::Start).is_some(),
                status == Scheduled
            );
        }
    }

    #[test]
    fn final_statuses_never_move() {
        for event in Event::ALL {
            assert_eq!(next_status(Completed, true, event), None);
            assert_eq!(next_status(Cancelled, true, event), None);
        }
    }
}
