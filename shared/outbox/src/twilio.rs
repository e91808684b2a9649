//! The `SmsSender` adapter for Twilio's Messages API, with our status callback.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use smsbot_domain::{MessageSid, PhoneNumber};
use smsbot_twilio::{OutboundMessage, Sender, TwilioClient, ValidityPeriod};
use url::Url;

use crate::port::{SendFailure, SendOptions, SentSms, SmsSender};

/// Where Twilio posts delivery statuses: `/webhooks/sms/status` under the public
/// base URL, keeping the base's own path (an API Gateway stage such as `/prod`),
/// which `Url::join` would drop and so break every callback's signature.
pub fn status_callback_url(public_base: &Url) -> Url {
    let mut url = public_base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["webhooks", "sms", "status"]);
    }
    url
}

pub struct TwilioSender {
    client: TwilioClient,
    from: Sender,
    status_callback: Option<Url>,
}

impl TwilioSender {
    pub fn new(client: TwilioClient, from: Sender, status_callback: Option<Url>) -> Self {
        Self {
            client,
            from,
            status_callback,
        }
    }
}

#[async_trait]
impl SmsSender for TwilioSender {
    async fn send(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        let message = OutboundMessage {
            to: to.as_e164().to_owned(),
            from: self.from.clone(),
            body: body.to_owned(),
            status_callback: self.status_callback.clone(),
            // Never longer than asked: Twilio's limit cuts a longer wish short.
            validity_period: options.valid_for.map(ValidityPeriod::at_most),
        };
        let sent = self.client.send_message(&message).await?;
        // Twilio took the message; a SID we cannot read leaves its fate unknown.
        let sid =
            MessageSid::parse(&sent.sid).map_err(|e| SendFailure::OutcomeUnknown(Box::new(e)))?;
        Ok(SentSms {
            sid,
            status: sent.status,
        })
    }

    async fn find_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        let found = self
            .client
            .find_messages(to.as_e164(), body, since)
            .await
            .map_err(|e| SendFailure::Transient(Box::new(e)))?;
        Ok(found
            .into_iter()
            .filter_map(|m| {
                Some(SentSms {
                    sid: MessageSid::parse(&m.sid).ok()?,
                    status: m.status,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_callback_keeps_the_base_urls_stage_path() {
        for (base, expected) in [
            (
                "https://x.example/prod",
                "https://x.example/prod/webhooks/sms/status",
            ),
            (
                "https://x.example/prod/",
                "https://x.example/prod/webhooks/sms/status",
            ),
            (
                "http://127.0.0.1:8000",
                "http://127.0.0.1:8000/webhooks/sms/status",
            ),
        ] {
            let url = status_callback_url(&Url::parse(base).unwrap());
            assert_eq!(url.as_str(), expected);
        }
    }
}
