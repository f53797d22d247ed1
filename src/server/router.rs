//! The whole HTTP application: which path goes where, and the layers every request
//! passes through (client address, tracing, compression, headers, timeouts, limits).

use crate::api::send::SendDocument;
use crate::app::{App, shell};
use crate::error::AppError;
use crate::server::files::FileType;
use crate::server::http::{connections, headers, previews, routes, web};
use crate::server::state::AppState;
use crate::server::{api_docs, health, meters, rest, telemetry, upload_access};
use axum::extract::Request;
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ipnet::IpNet;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The whole HTTP application: pages, server functions, API and static files.
pub fn app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let api_v1 = rest::routes()
        .0
        .fallback(|| async { AppError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rest::per_client_limit,
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(settings.cors_origins.clone()))
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(Duration::from_secs(3600)),
        );
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            headers::provide_page_nonce();
        }
    };
    let pages = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    // Room for one file of the largest allowed size plus the multipart envelope.
    let body_limit = usize::try_from(settings.max_file_size_bytes())
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);

    let site = Router::new()
        .route("/health", get(health::health))
        .route("/t/{code}", get(routes::follow_link))
        .route(crate::model::session::PSC_LOGIN_PATH, get(routes::begin_psc_login))
        .route(crate::model::session::PSC_CALLBACK_PATH, get(routes::finish_psc))
        .route(rest::DOCS_PATH, get(api_docs::page))
        .route("/documents/{id}/download", get(routes::download))
        .route(crate::model::audit::EXPORT_PATH, get(routes::export_audit))
        .leptos_routes_with_context(&state, generate_route_list(App), context.clone(), pages)
        // The site's code and style, precompressed. A browser keeps them but asks whether
        // they changed (304 when not) before using them again, so that a page and the
        // modules it loads later come from the same build, also after an upgrade.
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(&state.leptos_options),
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                ))
                .layer(SetResponseHeaderLayer::appending(
                    header::VARY,
                    HeaderValue::from_static("accept-encoding"),
                ))
                .service(leptos_axum::site_pkg_dir_service(&state.leptos_options)),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(axum::middleware::from_fn(web::server_fn_refusals))
        .layer(axum::middleware::from_fn(multipart_uploads_only))
        // The pages and their server functions use cookies; the API under /api/v1 does not.
        .layer(axum::middleware::from_fn_with_state(
            settings.public_url.clone(),
            headers::same_origin_only,
        ))
        .nest("/api/v1", api_v1)
        // The document's "/" under the server "/api/v1", as generated clients call it.
        .route("/api/v1/", get(rest::service::root))
        .layer(RequestBodyLimitLayer::new(body_limit));
    // Bounded inside the security headers, so that an answer cut short carries them too.
    connections::bounded(site, settings.connections)
        .layer(axum::middleware::from_fn_with_state(
            headers::HeaderSettings {
                tls: settings.uses_tls(),
                preview_origin: settings.preview_url.clone(),
            },
            headers::security_headers,
        ))
        // Pages and answers hold health data: no browser or proxy keeps a copy, unless the
        // answer says otherwise.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), previews::by_host))
        // Documents do not compress: they are sent as they are, at the store's speed and
        // with their length.
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(
            |_, _, headers: &HeaderMap, _: &Extensions| {
                let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
                !content_type.is_some_and(FileType::is_document)
            },
        )))
        .layer(axum::middleware::from_fn(meters::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(telemetry::record_response),
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::<[IpNet]>::from(settings.trusted_proxies.clone()),
            web::client_address,
        ))
        .with_state(state)
}

/// The patient's upload is a multipart server function, whose codec panics on a body
/// without a multipart boundary: such a request is refused first, as an interrupted
/// upload.
async fn multipart_uploads_only(request: Request, next: Next) -> Response {
    if request.uri().path() == <SendDocument as ServerFn>::PATH
        && let Err(refusal) = upload_access::boundary(request.headers())
    {
        return (refusal.status(), Json(refusal)).into_response();
    }
    next.run(request).await
}
