//! The waitlist: customers for whom nothing fitted, waiting for time to free
//! up in the window they want, and the holds that keep a freed place for the
//! one it is offered to.
//!
//! Owns `waitlist_entries` and `slot_holds` (migration V14): joining (one live
//! entry per contact and overlapping window: joining again updates it),
//! withdrawing, offering a freed slot to the oldest waiting entry it suits
//! ([`offer_freed`]), passing on holds that ran out ([`pass_on_expired`]),
//! accepting ([`accept`], which books through `appointments::book_service`,
//! so through the same locks as every booking) and declining, and the
//! bookkeeping of the offer's SMS (which message carries it, postponed by
//! quiet hours). The hold itself is enforced by the database (`slot_fit` and
//! `book_appointment` answer `held`), not here.
//!
//! Policies (documented here because callers rely on them):
//! * A hold that runs out unanswered expires its entry (the customer did not
//!   answer; they may join again), and the place goes to the next entry.
//! * A declined offer puts the entry back to waiting (a "no" to one time is
//!   not a "no" to the window); that entry is never offered the same slot
//!   again.
//! * A customer has at most one offer open at a time, so a YES names it.
//! * An offer is made only for a slot that has not started; the booking
//!   rules (lead time, horizon, the cap on open appointments) are applied at
//!   acceptance, like any booking.
//!
//! Must not read clocks or configuration (callers pass `now` and the hold),
//! compose or send texts (the conversation's `waitlist_offers` does), nor
//! decide who is offered a slot other than by the queue order.

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::{AppointmentId, ContactId, MessageId, ProviderId, ServiceId, SlotId, SmsBody};
use tokio_postgres::Row;

use crate::StoreError;
use crate::appointments::{self, Appointment, BookingOutcome, BookingRequest, BookingRules};

/// A row of `waitlist_entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaitlistEntryId(i64);

impl WaitlistEntryId {
    /// An id read at a boundary (a path, a cursor, a test fixture).
    pub const fn new(raw: i64) -> Self {
        Self(raw)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

/// A row of `slot_holds`: one offer of one slot to one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HoldId(i64);

impl HoldId {
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitlistStatus {
    /// In the queue.
    Waiting,
    /// Holding an offered slot (its hold may have run out, not yet passed on).
    Offered,
    /// Booked the offered slot.
    Booked,
    /// An offer ran out unanswered, or the wanted window passed.
    Expired,
    /// Taken off the waitlist (by the customer, or they could not be texted).
    Withdrawn,
}

impl WaitlistStatus {
    pub const ALL: [Self; 5] = [
        Self::Waiting,
        Self::Offered,
        Self::Booked,
        Self::Expired,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Booked => "booked",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn read(text: &str) -> Result<Self, StoreError> {
        Self::parse(text).ok_or_else(|| StoreError::Corrupt {
            what: "waitlist status",
            detail: text.to_owned(),
        })
    }
}

/// A waitlist entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: WaitlistEntryId,
    pub contact_id: ContactId,
    /// `None`: whatever the slot offers.
    pub service_id: Option<ServiceId>,
    /// `None`: any provider.
    pub provider_id: Option<ProviderId>,
    /// A freed slot is offered when it starts in `[wanted_from, wanted_to)`.
    pub wanted_from: DateTime<Utc>,
    pub wanted_to: DateTime<Utc>,
    pub status: WaitlistStatus,
    /// Set once the entry booked its offer.
    pub appointment_id: Option<AppointmentId>,
    /// The queue's order (ties by id).
    pub created_at: DateTime<Utc>,
}

const ENTRY_COLUMNS: &str = "e.id, e.contact_id, e.service_id, e.provider_id, e.wanted_from, \
     e.wanted_to, e.status, e.appointment_id, e.created_at";

impl Entry {
    fn from_row(row: &Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: WaitlistEntryId(row.get("id")),
            contact_id: row.get("contact_id"),
            service_id: row.get("service_id"),
            provider_id: row.get("provider_id"),
            wanted_from: row.get("wanted_from"),
            wanted_to: row.get("wanted_to"),
            status: WaitlistStatus::read(row.get("status"))?,
            appointment_id: row.get("appointment_id"),
            created_at: row.get("created_at"),
        })
    }
}

/// A slot held for a waitlisted customer: what their offer text names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub hold_id: HoldId,
    pub entry_id: WaitlistEntryId,
    pub contact_id: ContactId,
    pub slot_id: SlotId,
    pub provider_id: ProviderId,
    /// The entry's service (`None`: the slot's own).
    pub service_id: Option<ServiceId>,
    pub starts_at: DateTime<Utc>,
    /// Kept for the customer until then.
    pub held_until: DateTime<Utc>,
    /// The SMS carrying the offer, once recorded.
    pub message_id: Option<MessageId>,
}

const OFFER_COLUMNS: &str = "h.id AS hold_id, h.entry_id, h.contact_id, h.slot_id, s.provider_id, \
     e.service_id, s.starts_at, h.held_until, h.message_id";

const OFFER_FROM: &str = "slot_holds h
       JOIN waitlist_entries e ON e.id = h.entry_id
       JOIN availability_slots s ON s.id = h.slot_id";

impl Offer {
    fn from_row(row: &Row) -> Self {
        Self {
            hold_id: HoldId(row.get("hold_id")),
            entry_id: WaitlistEntryId(row.get("entry_id")),
            contact_id: row.get("contact_id"),
            slot_id: row.get("slot_id"),
            provider_id: row.get("provider_id"),
            service_id: row.get("service_id"),
            starts_at: row.get("starts_at"),
            held_until: row.get("held_until"),
            message_id: row.get("message_id"),
        }
    }
}

/// What a customer asks to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEntry {
    pub contact_id: ContactId,
    pub service_id: Option<ServiceId>,
    pub provider_id: Option<ProviderId>,
    pub wanted_from: DateTime<Utc>,
    pub wanted_to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    /// A new entry, at the back of the queue.
    Joined(Entry),
    /// The contact's live entry for an overlapping window now wants this
    /// window (and service, provider); it keeps its place in the queue.
    Updated(Entry),
    /// The window is empty or over by `now`: nothing to wait for.
    WindowPassed,
}

/// Puts the contact on the waitlist for the window, or updates their live
/// entry whose window overlaps it (other live entries it overlaps are
/// withdrawn, so one remains). Must run inside a transaction.
pub async fn join(
    tx: &impl GenericClient,
    new: &NewEntry,
    now: DateTime<Utc>,
) -> Result<JoinOutcome, StoreError> {
    const CONTEXT: &str = "joining the waitlist";
    if new.wanted_to <= new.wanted_from || new.wanted_to <= now {
        return Ok(JoinOutcome::WindowPassed);
    }
    // One contact's joins, one at a time (the same row lock bookings take).
    tx.execute(
        "SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE",
        &[&new.contact_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    // The offered entry first: its hold stays with it.
    let overlapping = tx
        .query(
            "SELECT e.id FROM waitlist_entries e
              WHERE e.contact_id = $1 AND e.status IN ('waiting', 'offered')
                AND tstzrange(e.wanted_from, e.wanted_to) && tstzrange($2, $3)
              ORDER BY e.status = 'offered' DESC, e.created_at, e.id",
            &[&new.contact_id, &new.wanted_from, &new.wanted_to],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let ids: Vec<i64> = overlapping.iter().map(|r| r.get(0)).collect();
    let Some((&kept, others)) = ids.split_first() else {
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO waitlist_entries AS e
                         (contact_id, service_id, provider_id, wanted_from, wanted_to,
                          created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)
                     RETURNING {ENTRY_COLUMNS}"
                ),
                &[
                    &new.contact_id,
                    &new.service_id,
                    &new.provider_id,
                    &new.wanted_from,
                    &new.wanted_to,
                    &now,
                ],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?;
        return Ok(JoinOutcome::Joined(Entry::from_row(&row)?));
    };
    // The others go first, or the kept entry's new window would clash with
    // them (the exclusion constraint checks each row as it is written).
    if !others.is_empty() {
        tx.execute(
            "UPDATE waitlist_entries SET status = 'withdrawn', updated_at = $2
              WHERE id = ANY($1) AND status = 'waiting'",
            &[&others, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    }
    let row = tx
        .query_one(
            &format!(
                "UPDATE waitlist_entries e
                    SET service_id = $2, provider_id = $3, wanted_from = $4, wanted_to = $5,
                        updated_at = $6
                  WHERE e.id = $1
                  RETURNING {ENTRY_COLUMNS}"
            ),
            &[
                &kept,
                &new.service_id,
                &new.provider_id,
                &new.wanted_from,
                &new.wanted_to,
                &now,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(JoinOutcome::Updated(Entry::from_row(&row)?))
}

/// What withdrawing took off the waitlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withdrawn {
    /// Live entries withdrawn.
    pub entries: u64,
    /// Slots whose hold for the contact ended: to be offered to the next.
    pub released: Vec<SlotId>,
}

/// Takes the contact off the waitlist: every live entry is withdrawn and an
/// open hold released. Must run inside a transaction.
pub async fn withdraw(
    tx: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Withdrawn, StoreError> {
    const CONTEXT: &str = "leaving the waitlist";
    let released = tx
        .query(
            "UPDATE slot_holds SET released_at = $2, released_because = 'withdrawn'
              WHERE contact_id = $1 AND released_at IS NULL
              RETURNING slot_id",
            &[&contact_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let entries = tx
        .execute(
            "UPDATE waitlist_entries SET status = 'withdrawn', updated_at = $2
              WHERE contact_id = $1 AND status IN ('waiting', 'offered')",
            &[&contact_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(Withdrawn {
        entries,
        released: released.iter().map(|r| r.get(0)).collect(),
    })
}

/// Offers a slot that just freed up (a cancellation committed) to the oldest
/// waiting entry it suits: the slot starts inside the entry's window, its
/// provider is the wanted one, the entry's service fits there (`slot_fit`),
/// the customer has no other open offer, can be texted, holds no booking in
/// the slot and was never offered this slot by this entry before. The entry
/// gets a hold until `now + hold` and becomes `offered`. `None` when the slot
/// has started, has no free place that is not held already, or suits no
/// entry. Locks the slot's row (as bookings do) so a hold and a booking of
/// the same place serialise. Must run inside a transaction.
pub async fn offer_freed(
    tx: &impl GenericClient,
    slot_id: SlotId,
    now: DateTime<Utc>,
    hold: Duration,
) -> Result<Option<Offer>, StoreError> {
    const CONTEXT: &str = "offering freed time to the waitlist";
    let Some(slot) = tx
        .query_opt(
            "SELECT starts_at, provider_id,
                    capacity - booked_count - slot_live_holds(id, $2, NULL) AS free
               FROM availability_slots WHERE id = $1 FOR UPDATE",
            &[&slot_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
    else {
        return Ok(None);
    };
    let (starts_at, provider_id, free): (DateTime<Utc>, ProviderId, i32) =
        (slot.get(0), slot.get(1), slot.get(2));
    if starts_at <= now || free <= 0 {
        return Ok(None);
    }
    // A candidate whose customer got another offer meanwhile (a concurrent
    // offer of another slot) is skipped for the next.
    let mut passed_over: Vec<i64> = Vec::new();
    loop {
        let Some(candidate) = tx
            .query_opt(
                "SELECT e.id, e.contact_id FROM waitlist_entries e
                   JOIN contacts c ON c.id = e.contact_id
                  WHERE e.status = 'waiting' AND NOT (e.id = ANY($4))
                    AND e.wanted_from <= $2 AND $2 < e.wanted_to
                    AND (e.provider_id IS NULL OR e.provider_id = $3)
                    AND c.erased_at IS NULL AND c.consent = 'opted_in'
                    AND NOT EXISTS (SELECT 1 FROM slot_holds h
                                     WHERE h.contact_id = e.contact_id AND h.released_at IS NULL)
                    AND NOT EXISTS (SELECT 1 FROM slot_holds h
                                     WHERE h.slot_id = $1 AND h.entry_id = e.id)
                    AND NOT EXISTS (SELECT 1 FROM appointments a
                                     WHERE a.contact_id = e.contact_id AND a.slot_id = $1
                                       AND a.status = 'booked')
                    -- `held` here means held by others for places this one
                    -- does not take: `free` above counted them.
                    AND (slot_fit($1, e.service_id, NULL)).outcome IN ('fits', 'held')
                  ORDER BY e.created_at, e.id
                  LIMIT 1
                  FOR UPDATE OF e",
                &[&slot_id, &starts_at, &provider_id, &passed_over],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?
        else {
            return Ok(None);
        };
        let (entry_id, contact_id): (i64, ContactId) = (candidate.get(0), candidate.get(1));
        let held = tx
            .query_opt(
                "INSERT INTO slot_holds (slot_id, contact_id, entry_id, held_until, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (contact_id) WHERE released_at IS NULL DO NOTHING
                 RETURNING id",
                &[&slot_id, &contact_id, &entry_id, &(now + hold), &now],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?;
        if held.is_none() {
            passed_over.push(entry_id);
            continue;
        }
        tx.execute(
            "UPDATE waitlist_entries SET status = 'offered', updated_at = $2 WHERE id = $1",
            &[&entry_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
        return open_offer_of(tx, contact_id, CONTEXT).await;
    }
}

/// What a sweep of the holds did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Holds that ran out unanswered (their entries expired).
    pub expired: Vec<Offer>,
    /// Waiting entries whose window passed (expired).
    pub lapsed: u64,
    /// The places passed on: new offers, to be texted.
    pub offers: Vec<Offer>,
}

/// How many run-out holds one sweep passes on; the next sweep takes the rest.
const SWEEP_BATCH: i64 = 100;

/// Holds that ran out by `now` unanswered: each is released, its entry
/// expires, and its slot is offered to the next entry ([`offer_freed`]).
/// Waiting entries whose window is over expire too. Concurrent sweeps take
/// different holds. Must run inside a transaction.
pub async fn pass_on_expired(
    tx: &impl GenericClient,
    now: DateTime<Utc>,
    hold: Duration,
) -> Result<Swept, StoreError> {
    const CONTEXT: &str = "passing on expired waitlist holds";
    // In slot order: offering locks the slots, as reschedules do, in id order.
    let rows = tx
        .query(
            &format!(
                "SELECT {OFFER_COLUMNS} FROM {OFFER_FROM}
                  WHERE h.released_at IS NULL AND h.held_until <= $1
                  ORDER BY h.slot_id, h.id
                  LIMIT $2
                  FOR UPDATE OF h SKIP LOCKED"
            ),
            &[&now, &SWEEP_BATCH],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let expired: Vec<Offer> = rows.iter().map(Offer::from_row).collect();
    for offer in &expired {
        release(tx, offer.hold_id, now, Release::Expired).await?;
    }
    let lapsed = tx
        .execute(
            "UPDATE waitlist_entries SET status = 'expired', updated_at = $1
              WHERE status = 'waiting' AND wanted_to <= $1",
            &[&now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let mut offers = Vec::new();
    for offer in &expired {
        if let Some(next) = offer_freed(tx, offer.slot_id, now, hold).await? {
            offers.push(next);
        }
    }
    Ok(Swept {
        expired,
        lapsed,
        offers,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// Booked; the hold is released and the entry marked booked.
    Booked {
        appointment: Appointment,
        offer: Offer,
    },
    /// The contact's last offer ran out before they answered.
    Expired(Offer),
    /// The booking was refused (the cap on open appointments, a closure
    /// added since, outside the booking window…); the hold stays until it
    /// runs out, so the customer may still take it once the cause is gone.
    Refused {
        offer: Offer,
        outcome: BookingOutcome,
    },
    /// The contact has no offer to accept.
    NoOffer,
}

/// The contact takes their open offer: books the held slot through
/// `appointments::book_service` (the same one-statement booking and locks as
/// every other booking; `book_appointment` releases the hold and marks the
/// entry booked), if the hold is still live at `rules.now`. Locks the hold,
/// so an acceptance and a sweep passing it on serialise. Must run inside a
/// transaction.
pub async fn accept(
    tx: &impl GenericClient,
    contact_id: ContactId,
    rules: &BookingRules,
) -> Result<AcceptOutcome, StoreError> {
    const CONTEXT: &str = "accepting a waitlist offer";
    let open = lock_open_offer(tx, contact_id, CONTEXT).await?;
    let Some(offer) = open else {
        let last = tx
            .query_opt(
                &format!(
                    "SELECT {OFFER_COLUMNS}, h.released_because FROM {OFFER_FROM}
                      WHERE h.contact_id = $1
                      ORDER BY h.created_at DESC, h.id DESC
                      LIMIT 1"
                ),
                &[&contact_id],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?;
        return Ok(match last {
            Some(row) if row.get::<_, Option<&str>>("released_because") == Some("expired") => {
                AcceptOutcome::Expired(Offer::from_row(&row))
            }
            _ => AcceptOutcome::NoOffer,
        });
    };
    if offer.held_until <= rules.now {
        // Run out, not yet passed on: the sweep passes it on.
        return Ok(AcceptOutcome::Expired(offer));
    }
    let request = BookingRequest {
        contact_id,
        slot_id: offer.slot_id,
        service_id: offer.service_id,
    };
    Ok(
        match appointments::book_service(tx, &request, rules).await? {
            BookingOutcome::Booked(appointment) => AcceptOutcome::Booked { appointment, offer },
            outcome => AcceptOutcome::Refused { offer, outcome },
        },
    )
}

/// The contact's open offer, its hold locked until the caller's
/// transaction ends (so an answer and the sweep serialise).
async fn lock_open_offer(
    tx: &impl GenericClient,
    contact_id: ContactId,
    context: &'static str,
) -> Result<Option<Offer>, StoreError> {
    Ok(tx
        .query_opt(
            &format!(
                "SELECT {OFFER_COLUMNS} FROM {OFFER_FROM}
                  WHERE h.contact_id = $1 AND h.released_at IS NULL
                  FOR UPDATE OF h"
            ),
            &[&contact_id],
        )
        .await
        .map_err(|e| StoreError::query(context, e))?
        .map(|row| Offer::from_row(&row)))
}

/// The contact says no to their open offer: the hold is released and the
/// entry waits again (never for this slot). Returns the declined offer,
/// whose slot the caller offers to the next ([`offer_freed`]); `None` when
/// there is no open offer. Must run inside a transaction.
pub async fn decline(
    tx: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Option<Offer>, StoreError> {
    const CONTEXT: &str = "declining a waitlist offer";
    let open = lock_open_offer(tx, contact_id, CONTEXT).await?;
    if let Some(offer) = &open {
        release(tx, offer.hold_id, now, Release::Declined).await?;
    }
    Ok(open)
}

/// Ends an offer whose customer cannot be texted (no consent any more, the
/// number refused): the hold is released and the entry withdrawn. Returns
/// the offer, whose slot the caller offers to the next; `None` when the hold
/// had ended already. Must run inside a transaction.
pub async fn drop_unreachable(
    tx: &impl GenericClient,
    hold_id: HoldId,
    now: DateTime<Utc>,
) -> Result<Option<Offer>, StoreError> {
    let offer = lock_open_hold(tx, hold_id, "dropping a waitlist offer").await?;
    if let Some(offer) = &offer {
        release(tx, offer.hold_id, now, Release::Withdrawn).await?;
    }
    Ok(offer)
}

/// The contact's open offer, if its hold is live at `now`.
pub async fn live_offer_for(
    db: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Option<Offer>, StoreError> {
    Ok(db
        .query_opt(
            &format!(
                "SELECT {OFFER_COLUMNS} FROM {OFFER_FROM}
                  WHERE h.contact_id = $1 AND h.released_at IS NULL AND h.held_until > $2"
            ),
            &[&contact_id, &now],
        )
        .await
        .map_err(|e| StoreError::query("reading a waitlist offer", e))?
        .map(|row| Offer::from_row(&row)))
}

/// The contact's live entries (waiting or offered), oldest first.
pub async fn live_entries_for(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<Vec<Entry>, StoreError> {
    db.query(
        &format!(
            "SELECT {ENTRY_COLUMNS} FROM waitlist_entries e
              WHERE e.contact_id = $1 AND e.status IN ('waiting', 'offered')
              ORDER BY e.created_at, e.id"
        ),
        &[&contact_id],
    )
    .await
    .map_err(|e| StoreError::query("reading waitlist entries", e))?
    .iter()
    .map(Entry::from_row)
    .collect()
}

/// Records the SMS that carries an open offer (a pending outbound message,
/// sent by the outbox like a reminder: with service consent, outside quiet
/// hours) and sets the hold to end at `held_until`, the time the text names
/// (the caller restarts it from the text, so the customer has the whole
/// hold). `None` when the hold ended meanwhile. Must run inside a
/// transaction.
pub async fn record_offer_text(
    tx: &impl GenericClient,
    hold_id: HoldId,
    body: &SmsBody,
    held_until: DateTime<Utc>,
) -> Result<Option<MessageId>, StoreError> {
    const CONTEXT: &str = "recording a waitlist offer text";
    let Some(offer) = lock_open_hold(tx, hold_id, CONTEXT).await? else {
        return Ok(None);
    };
    let message: MessageId = tx
        .query_one(
            "INSERT INTO messages (contact_id, direction, body, status, segments)
             VALUES ($1, 'outbound', $2, 'pending', $3)
             RETURNING id",
            &[&offer.contact_id, &body.as_str(), &(body.segments() as i32)],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .get(0);
    tx.execute(
        "UPDATE slot_holds SET message_id = $2, held_until = $3, text_after = NULL WHERE id = $1",
        &[&hold_id.get(), &message, &held_until],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(Some(message))
}

/// The offer's text may not go before `until` (quiet hours where the
/// customer is): its recorded message is dropped by the caller, and the
/// hold lasts until `until + hold`, so the customer still gets the whole
/// hold once texted ([`texts_due`] finds it then). Must run inside a
/// transaction.
pub async fn postpone_text(
    tx: &impl GenericClient,
    hold_id: HoldId,
    until: DateTime<Utc>,
    hold: Duration,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE slot_holds SET message_id = NULL, text_after = $2, held_until = $3
          WHERE id = $1 AND released_at IS NULL",
        &[&hold_id.get(), &until, &(until + hold)],
    )
    .await
    .map_err(|e| StoreError::query("postponing a waitlist offer text", e))?;
    Ok(())
}

/// An open offer whose text still has to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextDue {
    /// Recorded, not sent yet (a transient failure): deliver it again.
    Pending(Offer, MessageId),
    /// Postponed by quiet hours, or never recorded: record and send it now.
    Unsent(Offer),
}

/// Open offers whose text is due at `now` and not sent.
pub async fn texts_due(
    db: &impl GenericClient,
    now: DateTime<Utc>,
) -> Result<Vec<TextDue>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {OFFER_COLUMNS} FROM {OFFER_FROM}
                   LEFT JOIN messages m ON m.id = h.message_id
                  WHERE h.released_at IS NULL
                    AND ((h.message_id IS NULL AND coalesce(h.text_after, '-infinity') <= $1)
                         OR (h.held_until > $1 AND m.status = 'pending' AND m.twilio_sid IS NULL))
                  ORDER BY h.id
                  LIMIT $2"
            ),
            &[&now, &SWEEP_BATCH],
        )
        .await
        .map_err(|e| StoreError::query("finding waitlist offer texts due", e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let offer = Offer::from_row(row);
            match offer.message_id {
                Some(message) => TextDue::Pending(offer, message),
                None => TextDue::Unsent(offer),
            }
        })
        .collect())
}

/// An entry as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    pub entry: Entry,
    /// `None` once the contact was erased.
    pub phone: Option<String>,
    pub name: Option<String>,
    /// The open offer, if any.
    pub offer: Option<Offer>,
}

/// Filters of the staff listing; `None` means any.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntryFilter {
    pub status: Option<WaitlistStatus>,
    pub contact_id: Option<ContactId>,
}

/// Entries in queue order (`created_at`, ties by id) after the `after` key.
pub async fn list(
    db: &impl GenericClient,
    filter: EntryFilter,
    after: Option<(DateTime<Utc>, WaitlistEntryId)>,
    limit: i64,
) -> Result<Vec<EntryView>, StoreError> {
    let (after_at, after_id) = after.map(|(at, id)| (at, id.get())).unzip();
    let rows = db
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS}, c.phone, c.name,
                        h.id AS hold_id, h.slot_id, s.provider_id AS slot_provider,
                        s.starts_at AS slot_starts_at, h.held_until, h.message_id
                   FROM waitlist_entries e
                   JOIN contacts c ON c.id = e.contact_id
                   LEFT JOIN slot_holds h ON h.entry_id = e.id AND h.released_at IS NULL
                   LEFT JOIN availability_slots s ON s.id = h.slot_id
                  WHERE ($1::text IS NULL OR e.status = $1)
                    AND ($2::bigint IS NULL OR e.contact_id = $2)
                    AND ($3::timestamptz IS NULL OR (e.created_at, e.id) > ($3, $4::bigint))
                  ORDER BY e.created_at, e.id
                  LIMIT $5"
            ),
            &[
                &filter.status.map(WaitlistStatus::as_str),
                &filter.contact_id,
                &after_at,
                &after_id,
                &limit,
            ],
        )
        .await
        .map_err(|e| StoreError::query("listing the waitlist", e))?;
    rows.iter()
        .map(|row| {
            let entry = Entry::from_row(row)?;
            let offer = row.get::<_, Option<i64>>("hold_id").map(|hold| Offer {
                hold_id: HoldId(hold),
                entry_id: entry.id,
                contact_id: entry.contact_id,
                slot_id: row.get("slot_id"),
                provider_id: row.get("slot_provider"),
                service_id: entry.service_id,
                starts_at: row.get("slot_starts_at"),
                held_until: row.get("held_until"),
                message_id: row.get("message_id"),
            });
            Ok(EntryView {
                phone: row.get("phone"),
                name: row.get("name"),
                offer,
                entry,
            })
        })
        .collect()
}

/// Why a hold ends before its customer books it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    /// Ran out unanswered: the entry expires.
    Expired,
    /// Said no: the entry waits again.
    Declined,
    /// Could not be texted: the entry is withdrawn.
    Withdrawn,
}

async fn release(
    tx: &impl GenericClient,
    hold_id: HoldId,
    now: DateTime<Utc>,
    why: Release,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "releasing a waitlist hold";
    let (because, entry_status) = match why {
        Release::Expired => ("expired", "expired"),
        Release::Declined => ("declined", "waiting"),
        Release::Withdrawn => ("withdrawn", "withdrawn"),
    };
    tx.execute(
        "WITH released AS (
             UPDATE slot_holds SET released_at = $2, released_because = $3
              WHERE id = $1 AND released_at IS NULL
             RETURNING entry_id)
         UPDATE waitlist_entries e SET status = $4, updated_at = $2
           FROM released r
          WHERE e.id = r.entry_id AND e.status = 'offered'",
        &[&hold_id.get(), &now, &because, &entry_status],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}

async fn lock_open_hold(
    tx: &impl GenericClient,
    hold_id: HoldId,
    context: &'static str,
) -> Result<Option<Offer>, StoreError> {
    Ok(tx
        .query_opt(
            &format!(
                "SELECT {OFFER_COLUMNS} FROM {OFFER_FROM}
                  WHERE h.id = $1 AND h.released_at IS NULL
                  FOR UPDATE OF h"
            ),
            &[&hold_id.get()],
        )
        .await
        .map_err(|e| StoreError::query(context, e))?
        .map(|row| Offer::from_row(&row)))
}

async fn open_offer_of(
    tx: &impl GenericClient,
    contact_id: ContactId,
    context: &'static str,
) -> Result<Option<Offer>, StoreError> {
    Ok(tx
        .query_opt(
            &format!(
                "SELECT {OFFER_COLUMNS} FROM {OFFER_FROM}
                  WHERE h.contact_id = $1 AND h.released_at IS NULL"
            ),
            &[&contact_id],
        )
        .await
        .map_err(|e| StoreError::query(context, e))?
        .map(|row| Offer::from_row(&row)))
}
