//! Messages: a contact's conversation, oldest first.

use serde_json::Value;

use crate::support::Admin;

#[tokio::test]
async fn a_contacts_messages_are_listed_oldest_first_page_by_page() {
    let admin = Admin::start().await;
    let contact = admin.contact("+14155550700").await;
    let other = admin.contact("+14155550701").await;
    let mut sent = Vec::new();
    for text in ["one", "two", "three"] {
        sent.push(admin.outbound(contact, text).await);
    }
    admin.outbound(other, "not theirs").await;

    assert_eq!(
        admin
            .pages(&format!("/api/messages?contact_id={contact}"), 2)
            .await,
        vec![sent[0..2].to_vec(), sent[2..3].to_vec()]
    );
    let (_, page) = admin
        .get(&format!("/api/messages?contact_id={contact}"))
        .await;
    let first = &page["items"][0];
    assert_eq!(first["body"], "one");
    assert_eq!(first["direction"], "outbound");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["twilio_sid"], Value::Null);
}
