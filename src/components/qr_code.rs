use leptos::prelude::*;

/// `text` as a QR code, drawn as SVG here in the browser (or on the server when the
/// page is rendered there), at least `size` pixels wide; `label` says to screen readers
/// what it is.
#[component]
pub fn QrCode(
    #[prop(into)] text: String,
    label: impl Fn() -> &'static str + Send + Sync + 'static,
    #[prop(default = 220)] size: u32,
) -> impl IntoView {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(size, size)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    view! { <div class="qr" role="img" aria-label=label data-text=text inner_html=svg /> }
}
