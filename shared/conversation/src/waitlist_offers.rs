//! Texting waitlist offers: when time frees up, the first waiting customer it
//! suits is offered it by SMS, with a hold; holds that run out pass on.
//!
//! [`WaitlistOffers`] is what the rest of the system calls:
//! * [`WaitlistOffers::slot_freed`] after a cancellation commits (the admin
//!   API's cancel, the conversation's own cancel);
//! * [`WaitlistOffers::sweep`] from housekeeping: texts still due (postponed
//!   by quiet hours, or not sent for a transient failure), then holds that
//!   ran out, passed to the next customer;
//! * [`WaitlistOffers::decline`] and [`WaitlistOffers::withdraw`] for the
//!   dialogue's "no" and "take me off the list", which free the held place
//!   for the next customer. Joining and accepting are plain store calls in
//!   the dialogue's own transaction (`smsbot_store::waitlist::join`,
//!   `accept`): accepting books through the same locks as any booking.
//!
//! An offer's SMS is recorded, then sent through the outbox like a reminder
//! (service consent, never in quiet hours). The hold counts from the text:
//! recording it sets the hold to end `hold` after, the time the text names;
//! a text postponed by quiet hours moves the hold to end `hold` after the
//! quiet hours, and is recorded afresh then. A customer who cannot be texted
//! (no consent, a number the provider refuses) is taken off the waitlist and
//! the place goes to the next.
//!
//! Must not hold SQL (the store's `waitlist` module does), decide who is
//! offered what (the store's queue does) nor send other than through the
//! outbox.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use smsbot_domain::{ConsentState, ContactId, MessageId, SlotId, SmsBody, SmsBodyError};
use smsbot_outbox::{Clock, DeliverError, Delivery, Outbox};
use smsbot_store::waitlist::{self, Offer, TextDue, Withdrawn};
use smsbot_store::{Pool, StoreError, contacts, outbound};

use crate::replies;

/// The hold when the settings give none (`WAITLIST_HOLD_MINUTES`).
pub const DEFAULT_HOLD: Duration = Duration::minutes(15);

/// How many customers in a row one freed place is tried on when they cannot
/// be texted, before the rest is left to the next sweep.
const MAX_UNREACHABLE_IN_A_ROW: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum WaitlistError {
    #[error("no database connection for a waitlist offer")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("a waitlist offer's transaction failed")]
    Transaction(#[source] deadpool_postgres::tokio_postgres::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    /// A bug: the offer's own text is always a valid SMS.
    #[error("a waitlist offer text is not an SMS")]
    Text(#[source] SmsBodyError),
}

impl WaitlistError {
    /// Whether trying again later may succeed. The holds stay in the
    /// database either way: the next sweep texts what is still due.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Pool(_) | Self::Transaction(_) => true,
            Self::Store(e) => e.is_transient(),
            Self::Deliver(e) => e.is_transient(),
            Self::Text(_) => false,
        }
    }
}

/// What texting offers did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffersReport {
    /// Offers texted.
    pub texted: usize,
    /// Offers whose text waits for the end of quiet hours (the hold waits too).
    pub postponed: usize,
    /// Offers whose text is in flight or failed for now: the sweep retries.
    pub pending: usize,
    /// Customers who could not be texted (taken off the waitlist).
    pub unreachable: usize,
}

impl OffersReport {
    fn add(&mut self, other: OffersReport) {
        self.texted += other.texted;
        self.postponed += other.postponed;
        self.pending += other.pending;
        self.unreachable += other.unreachable;
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Holds that ran out unanswered.
    pub expired: usize,
    /// Waiting entries whose window passed.
    pub lapsed: u64,
    pub offers: OffersReport,
}

/// The offer SMS: "Good news: Tue Mar 3, 10:00 AM just opened up. Reply YES
/// by 10:15 AM to take it, or NO to pass." Times in `tz`.
pub fn offer_text(starts_at: DateTime<Utc>, held_until: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "Good news: {} just opened up. Reply YES by {} to take it, or NO to pass.",
        replies::when(starts_at, tz),
        held_until.with_timezone(&tz).format("%-I:%M %p"),
    )
}

/// Offers freed time to the waitlist by SMS. Cheap to clone.
#[derive(Clone)]
pub struct WaitlistOffers {
    pool: Pool,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    hold: Duration,
}

impl WaitlistOffers {
    /// Offers held for `hold` (`WAITLIST_HOLD_MINUTES`), times written in
    /// the outbox's business timezone, every instant from `clock`.
    pub fn new(pool: Pool, outbox: Outbox, clock: Arc<dyn Clock>, hold: Duration) -> Self {
        Self {
            pool,
            outbox,
            clock,
            hold,
        }
    }

    /// How long an offer is held.
    pub fn hold(&self) -> Duration {
        self.hold
    }

    /// A place in `slot` freed up (call after the cancellation commits):
    /// offers it to the first waiting customer it suits and texts them.
    pub async fn slot_freed(&self, slot: SlotId) -> Result<OffersReport, WaitlistError> {
        let mut report = OffersReport::default();
        let next = {
            let mut client = self.pool.get().await?;
            let tx = client
                .transaction()
                .await
                .map_err(WaitlistError::Transaction)?;
            let offer = waitlist::offer_freed(&tx, slot, self.clock.now(), self.hold).await?;
            tx.commit().await.map_err(WaitlistError::Transaction)?;
            offer
        };
        if let Some(offer) = next {
            report.add(self.text(offer).await?);
        }
        Ok(report)
    }

    /// The customer says no to their open offer: they keep waiting (for
    /// other times), and the place goes to the next customer. Returns the
    /// declined offer; `None` when they had none open.
    pub async fn decline(&self, contact: ContactId) -> Result<Option<Offer>, WaitlistError> {
        let (declined, next) = {
            let mut client = self.pool.get().await?;
            let tx = client
                .transaction()
                .await
                .map_err(WaitlistError::Transaction)?;
            let now = self.clock.now();
            let Some(declined) = waitlist::decline(&tx, contact, now).await? else {
                return Ok(None);
            };
            let next = waitlist::offer_freed(&tx, declined.slot_id, now, self.hold).await?;
            tx.commit().await.map_err(WaitlistError::Transaction)?;
            (declined, next)
        };
        if let Some(next) = next {
            self.text(next).await?;
        }
        Ok(Some(declined))
    }

    /// Takes the customer off the waitlist; a place held for them goes to
    /// the next customer.
    pub async fn withdraw(&self, contact: ContactId) -> Result<Withdrawn, WaitlistError> {
        let withdrawn = {
            let mut client = self.pool.get().await?;
            let tx = client
                .transaction()
                .await
                .map_err(WaitlistError::Transaction)?;
            let withdrawn = waitlist::withdraw(&tx, contact, self.clock.now()).await?;
            tx.commit().await.map_err(WaitlistError::Transaction)?;
            withdrawn
        };
        for slot in &withdrawn.released {
            self.slot_freed(*slot).await?;
        }
        Ok(withdrawn)
    }

    /// Housekeeping: texts offers still due, then passes on the holds that
    /// ran out (their entries expire) and texts the new offers.
    pub async fn sweep(&self) -> Result<SweepReport, WaitlistError> {
        let mut report = SweepReport::default();
        let due = {
            let client = self.pool.get().await?;
            waitlist::texts_due(&client, self.clock.now()).await?
        };
        for text in due {
            let sent = match text {
                TextDue::Unsent(offer) => self.text(offer).await?,
                TextDue::Pending(offer, message) => self.deliver(offer, message).await?,
            };
            report.offers.add(sent);
        }
        let swept = {
            let mut client = self.pool.get().await?;
            let tx = client
                .transaction()
                .await
                .map_err(WaitlistError::Transaction)?;
            let swept = waitlist::pass_on_expired(&tx, self.clock.now(), self.hold).await?;
            tx.commit().await.map_err(WaitlistError::Transaction)?;
            swept
        };
        report.expired = swept.expired.len();
        report.lapsed = swept.lapsed;
        for offer in swept.offers {
            report.offers.add(self.text(offer).await?);
        }
        Ok(report)
    }

    /// Records and sends the offer's SMS; when its customer cannot be
    /// texted, the place goes to the next customer, and so on.
    async fn text(&self, offer: Offer) -> Result<OffersReport, WaitlistError> {
        let mut report = OffersReport::default();
        let mut next = Some(offer);
        for _ in 0..MAX_UNREACHABLE_IN_A_ROW {
            let Some(offer) = next.take() else {
                break;
            };
            let now = self.clock.now();
            let held_until = now + self.hold;
            let text = offer_text(offer.starts_at, held_until, self.outbox.business_timezone());
            let body = SmsBody::parse(text).map_err(WaitlistError::Text)?;
            let message = {
                let mut client = self.pool.get().await?;
                let tx = client
                    .transaction()
                    .await
                    .map_err(WaitlistError::Transaction)?;
                let message =
                    waitlist::record_offer_text(&tx, offer.hold_id, &body, held_until).await?;
                tx.commit().await.map_err(WaitlistError::Transaction)?;
                message
            };
            // `None`: the hold ended meanwhile (declined, booked): nothing to say.
            let Some(message) = message else {
                break;
            };
            let sent = self.deliver_once(&offer, message).await?;
            next = sent.next;
            report.add(sent.report);
        }
        Ok(report)
    }

    /// Delivers an offer's recorded SMS again (the sweep).
    async fn deliver(
        &self,
        offer: Offer,
        message: MessageId,
    ) -> Result<OffersReport, WaitlistError> {
        let sent = self.deliver_once(&offer, message).await?;
        let mut report = sent.report;
        if let Some(next) = sent.next {
            report.add(self.text(next).await?);
        }
        Ok(report)
    }

    async fn deliver_once(&self, offer: &Offer, message: MessageId) -> Result<Sent, WaitlistError> {
        let mut report = OffersReport::default();
        match self.outbox.deliver(message).await? {
            Delivery::Sent(_) => report.texted += 1,
            Delivery::Deferred(until) => {
                let mut client = self.pool.get().await?;
                let tx = client
                    .transaction()
                    .await
                    .map_err(WaitlistError::Transaction)?;
                // Recorded afresh when it may go, naming the right deadline.
                outbound::abandon_unsent(&tx, message, None).await?;
                waitlist::postpone_text(&tx, offer.hold_id, until, self.hold).await?;
                tx.commit().await.map_err(WaitlistError::Transaction)?;
                report.postponed += 1;
            }
            Delivery::Busy | Delivery::Retry(_) => report.pending += 1,
            // Sent or closed by another worker (a sweep) meanwhile, unless
            // the customer cannot be texted any more.
            Delivery::NotClaimed if self.reachable(offer.contact_id).await? => {}
            Delivery::NotClaimed | Delivery::Refused(_) => {
                report.unreachable += 1;
                let next = self.pass_on_unreachable(offer).await?;
                return Ok(Sent { report, next });
            }
        }
        Ok(Sent { report, next: None })
    }

    /// Whether the contact can still be texted (exists, service consent).
    async fn reachable(&self, contact: ContactId) -> Result<bool, WaitlistError> {
        let client = self.pool.get().await?;
        Ok(contacts::find_active(&client, contact)
            .await?
            .is_some_and(|c| c.consent == ConsentState::OptedIn))
    }

    async fn pass_on_unreachable(&self, offer: &Offer) -> Result<Option<Offer>, WaitlistError> {
        let mut client = self.pool.get().await?;
        let tx = client
            .transaction()
            .await
            .map_err(WaitlistError::Transaction)?;
        let now = self.clock.now();
        let next = match waitlist::drop_unreachable(&tx, offer.hold_id, now).await? {
            Some(dropped) => waitlist::offer_freed(&tx, dropped.slot_id, now, self.hold).await?,
            None => None,
        };
        tx.commit().await.map_err(WaitlistError::Transaction)?;
        Ok(next)
    }
}

struct Sent {
    report: OffersReport,
    /// The place passed on to the next customer, to text.
    next: Option<Offer>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_offer_names_the_time_and_the_deadline_in_the_business_timezone() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let starts = Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap();
        let until = Utc.with_ymd_and_hms(2026, 3, 2, 15, 15, 0).unwrap();
        assert_eq!(
            offer_text(starts, until, tz),
            "Good news: Tue Mar 3, 10:00 AM just opened up. Reply YES by 10:15 AM to take it, or NO to pass."
        );
    }
}
