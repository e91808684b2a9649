//! The OpenAPI 3 document, generated from the handlers' annotations.
//!
//! Owns assembling routes and their documentation in one place (so a route cannot
//! exist undocumented), the security scheme, and the responses every protected
//! operation shares (400, 401, 403, 415, 500, 503). The document is served at
//! `/api/openapi.json` and checked into `shared/admin/openapi.json`; a test fails
//! when they differ (`UPDATE_OPENAPI=1 cargo test -p smsbot-admin` rewrites it).

use std::sync::OnceLock;

use axum::Json;
use axum::Router;
use axum::middleware;
use utoipa::OpenApi as _;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{
    AdminState, appointments, auth, availability, business_profile, calendars, campaigns, closures,
    consent, contacts, conversations, error, front_desk, health, messages, providers, services,
    waitlist, working_hours,
};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "SMS appointment bot admin API",
        description = "Contacts, campaigns, appointments, availability, messages, the \
                       conversations handed to staff and the business profile of the SMS appointment bot. Every operation except the health check and the calendar files \
                       (`/api/calendars/...`, whose URLs hold a secret token) requires the \
                       admin key in the `X-API-Key` header. Lists are paginated with `limit` and \
                       an opaque `cursor`; timestamps are RFC 3339 with an offset.",
        version = "1"
    ),
    components(schemas(error::ErrorBody)),
    tags(
        (name = "contacts"), (name = "campaigns"), (name = "appointments"),
        (name = "availability"), (name = "messages"), (name = "conversations"),
        (name = "business_profile"), (name = "services"), (name = "providers"),
        (name = "closures"), (name = "calendars"), (name = "waitlist"),
        (name = "health")
    )
)]
struct ApiDoc;

/// The security scheme's name in the document.
pub const SECURITY_SCHEME: &str = "api_key";

/// The document, as served and checked in.
pub fn document() -> OpenApi {
    let (_, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(protected_routes())
        .merge(public_routes())
        .split_for_parts();
    finish(doc)
}

/// Every route that requires the admin key.
fn protected_routes() -> OpenApiRouter<AdminState> {
    OpenApiRouter::new()
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .routes(routes!(consent::show))
        .routes(routes!(
            consent::opt_in_to_marketing,
            consent::opt_out_of_marketing
        ))
        .routes(routes!(campaigns::list, campaigns::create))
        .routes(routes!(campaigns::get, campaigns::update))
        .routes(routes!(campaigns::commands::launch))
        .routes(routes!(campaigns::commands::pause))
        .routes(routes!(campaigns::commands::resume))
        .routes(routes!(campaigns::commands::cancel))
        .routes(routes!(appointments::list, front_desk::book))
        .routes(routes!(front_desk::day))
        .routes(routes!(front_desk::reschedule))
        .routes(routes!(front_desk::approve))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::no_show))
        .routes(routes!(availability::list, availability::create))
        .routes(routes!(messages::list))
        .routes(routes!(conversations::needing_human))
        .routes(routes!(conversations::send))
        .routes(routes!(conversations::release))
        .routes(routes!(business_profile::show, business_profile::update))
        .routes(routes!(
            business_profile::faq,
            business_profile::add_faq_entry
        ))
        .routes(routes!(
            business_profile::update_faq_entry,
            business_profile::delete_faq_entry
        ))
        .routes(routes!(services::list, services::create))
        .routes(routes!(services::get, services::update))
        .routes(routes!(providers::list, providers::create))
        .routes(routes!(providers::get, providers::update))
        .routes(routes!(working_hours::show_hours, working_hours::set_hours))
        .routes(routes!(closures::list, closures::create))
        .routes(routes!(closures::delete))
        .routes(routes!(calendars::list, calendars::create))
        .routes(routes!(calendars::revoke))
        .routes(routes!(waitlist::list))
        .routes(routes!(serve_document))
}

/// Health is public: see `health`'s module documentation for why.
fn public_routes() -> OpenApiRouter<AdminState> {
    OpenApiRouter::new()
        .routes(routes!(health::check))
        .routes(routes!(calendars::feed))
        .routes(routes!(calendars::appointment))
}

/// Paths whose operations need no key.
const PUBLIC_PATHS: [&str; 3] = [
    health::PATH,
    calendars::PUBLIC_PATHS[0],
    calendars::PUBLIC_PATHS[1],
];

/// The router: the key check on every protected route, JSON 404 elsewhere.
pub(crate) fn router(state: AdminState) -> Router<AdminState> {
    let (protected, _) = protected_routes().split_for_parts();
    let (public, _) = public_routes().split_for_parts();
    protected
        .route_layer(middleware::from_fn_with_state(state, auth::require_api_key))
        .merge(public)
        .fallback(error::no_such_route)
}

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json", body = Object))
)]
pub async fn serve_document() -> Json<&'static OpenApi> {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    Json(DOCUMENT.get_or_init(document))
}

/// Adds the security scheme and the responses every operation shares.
fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SECURITY_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-API-Key",
            "The admin API key.",
        ))),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = PUBLIC_PATHS.contains(&path.as_str());
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            qualify_operation_id(operation);
            add_shared_responses(operation, public);
        }
    }
    doc
}

/// Handlers share names across modules (`list`, `get`): operation ids are made
/// unique by the resource's tag, e.g. `contacts_list`.
fn qualify_operation_id(operation: &mut Operation) {
    let tag = operation
        .tags
        .as_ref()
        .and_then(|tags| tags.first())
        .cloned();
    if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
        *id = format!("{tag}_{id}");
    }
}

fn add_shared_responses(operation: &mut Operation, public: bool) {
    let mut shared = vec![
        ("500", "Internal error (details are logged, never returned)"),
        ("503", "A dependency is unavailable; retry later"),
    ];
    let has_input = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty())
        || operation.request_body.is_some();
    if has_input {
        shared.push((
            "400",
            "The request is malformed (parameters, cursor or JSON)",
        ));
    }
    if !public {
        operation.security = Some(vec![SecurityRequirement::new(
            SECURITY_SCHEME,
            Vec::<String>::new(),
        )]);
        shared.push(("401", "No `X-API-Key` header"));
        shared.push(("403", "The `X-API-Key` is not the admin key"));
    }
    if operation.request_body.is_some() {
        shared.push(("415", "The body is not declared as `application/json`"));
        shared.push(("422", "The body is JSON but its values are not acceptable"));
    }
    for (status, description) in shared {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error_response(description)));
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}
