//! Campaign message templates: `{first_name}`, `{business_name}` and, for
//! reminder campaigns, `{appointment_date}` and `{appointment_time}`; `{{` and
//! `}}` write a literal brace.
//!
//! Owns parsing (an unknown placeholder or a stray brace is refused when the
//! campaign is created or changed: [`Template::for_kind`] is what the admin API
//! calls, so a template that would fail at send time never gets stored) and
//! rendering with the facts the caller passes in. Pure: no I/O, no clock.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::CampaignKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unknown placeholder {{{0}}}; use {{first_name}}, {{business_name}}, {{appointment_date}} or {{appointment_time}}"
    )]
    UnknownPlaceholder(String),
    #[error("{{{0}}} is only available in reminder campaigns")]
    NeedsAppointment(String),
    #[error("a '{{' at character {0} is never closed (write '{{{{' for a literal brace)")]
    Unclosed(usize),
    #[error("a '}}' at character {0} closes nothing (write '}}}}' for a literal brace)")]
    StrayClose(usize),
    #[error("the template is empty")]
    Empty,
    #[error("this recipient has no appointment to fill {{{0}}} with")]
    NoAppointment(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    FirstName,
    BusinessName,
    AppointmentDate,
    AppointmentTime,
}

impl Placeholder {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "first_name" => Some(Self::FirstName),
            "business_name" => Some(Self::BusinessName),
            "appointment_date" => Some(Self::AppointmentDate),
            "appointment_time" => Some(Self::AppointmentTime),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::FirstName => "first_name",
            Self::BusinessName => "business_name",
            Self::AppointmentDate => "appointment_date",
            Self::AppointmentTime => "appointment_time",
        }
    }

    fn needs_appointment(&self) -> bool {
        matches!(self, Self::AppointmentDate | Self::AppointmentTime)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// The facts a template is filled with.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// The contact's full name, if known; its first word is `{first_name}`.
    pub contact_name: Option<&'a str>,
    pub business_name: &'a str,
    /// The appointment a reminder is about, shown in `tz`.
    pub appointment: Option<DateTime<Utc>>,
    pub tz: Tz,
}

/// What `{first_name}` says when the contact's name is unknown.
pub const UNKNOWN_FIRST_NAME: &str = "there";

impl Template {
    /// Parses a template for a campaign of `kind`: appointment fields only make
    /// sense in reminder campaigns.
    pub fn for_kind(text: &str, kind: CampaignKind) -> Result<Self, TemplateError> {
        let template = Self::parse(text)?;
        if kind != CampaignKind::Reminder
            && let Some(field) = template.fields().find(|f| f.needs_appointment())
        {
            return Err(TemplateError::NeedsAppointment(field.name().to_owned()));
        }
        Ok(template)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        if text.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, n)| *n) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, n)| *n) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(TemplateError::StrayClose(i)),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, '{')) | None => return Err(TemplateError::Unclosed(i)),
                            Some((_, n)) => name.push(n),
                        }
                    }
                    let field = Placeholder::parse(name.trim())
                        .ok_or(TemplateError::UnknownPlaceholder(name))?;
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(field));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts })
    }

    pub fn fields(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(*f),
            Part::Text(_) => None,
        })
    }

    pub fn needs_appointment(&self) -> bool {
        self.fields().any(|f| f.needs_appointment())
    }

    pub fn render(&self, ctx: &RenderContext<'_>) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(Placeholder::FirstName) => out.push_str(
                    ctx.contact_name
                        .and_then(|n| n.split_whitespace().next())
                        .unwrap_or(UNKNOWN_FIRST_NAME),
                ),
                Part::Field(Placeholder::BusinessName) => out.push_str(ctx.business_name),
                Part::Field(Placeholder::AppointmentDate) => {
                    let at = ctx
                        .appointment
                        .ok_or(TemplateError::NoAppointment("appointment_date"))?;
                    out.push_str(&at.with_timezone(&ctx.tz).format("%a %b %-d").to_string());
                }
                Part::Field(Placeholder::AppointmentTime) => {
                    let at = ctx
                        .appointment
                        .ok_or(TemplateError::NoAppointment("appointment_time"))?;
                    out.push_str(&at.with_timezone(&ctx.tz).format("%-I:%M %p").to_string());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(name: Option<&'a str>, appointment: Option<DateTime<Utc>>) -> RenderContext<'a> {
        RenderContext {
            contact_name: name,
            business_name: "Bright Smile",
            appointment,
            tz: "America/New_York".parse().unwrap(),
        }
    }

    #[test]
    fn placeholders_are_filled_with_the_first_name_and_the_business() {
        let t = Template::parse("Hi {first_name}, {business_name} is open late!").unwrap();
        assert_eq!(
            t.render(&ctx(Some("Ana Lopez"), None)).unwrap(),
            "Hi Ana, Bright Smile is open late!"
        );
        assert_eq!(
            t.render(&ctx(None, None)).unwrap(),
            "Hi there, Bright Smile is open late!"
        );
    }

    #[test]
    fn a_reminder_template_shows_the_appointment_in_the_given_zone() {
        let t = Template::for_kind(
            "See you {appointment_date} at {appointment_time}",
            CampaignKind::Reminder,
        )
        .unwrap();
        let at = "2026-03-05T20:00:00Z".parse().unwrap();
        assert_eq!(
            t.render(&ctx(None, Some(at))).unwrap(),
            "See you Thu Mar 5 at 3:00 PM"
        );
        assert_eq!(
            t.render(&ctx(None, None)),
            Err(TemplateError::NoAppointment("appointment_date"))
        );
    }

    #[test]
    fn unknown_placeholders_and_stray_braces_are_refused() {
        assert_eq!(
            Template::for_kind("Hi {name}", CampaignKind::Broadcast),
            Err(TemplateError::UnknownPlaceholder("name".to_owned()))
        );
        assert_eq!(
            Template::for_kind("Hi {first_name", CampaignKind::Broadcast),
            Err(TemplateError::Unclosed(3))
        );
        assert_eq!(
            Template::for_kind("50% off }", CampaignKind::Broadcast),
            Err(TemplateError::StrayClose(8))
        );
        assert_eq!(
            Template::for_kind("  ", CampaignKind::Broadcast),
            Err(TemplateError::Empty)
        );
    }

    #[test]
    fn appointment_fields_belong_to_reminder_campaigns_only() {
        assert_eq!(
            Template::for_kind("At {appointment_time}", CampaignKind::Broadcast),
            Err(TemplateError::NeedsAppointment(
                "appointment_time".to_owned()
            ))
        );
    }

    #[test]
    fn doubled_braces_are_literal() {
        let t = Template::parse("{{first_name}} is {first_name}").unwrap();
        assert_eq!(
            t.render(&ctx(Some("Ben"), None)).unwrap(),
            "{first_name} is Ben"
        );
    }
}
