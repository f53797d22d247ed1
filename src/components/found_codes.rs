//! The QR codes the server found in a document (an electronic prescription's number):
//! each text, a button that draws it again large for the pharmacy's scanner, and one
//! that copies it.

use crate::components::QrCode;
use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;

#[component]
pub fn FoundCodes(codes: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    codes
        .into_iter()
        .map(|text| {
            let shown = RwSignal::new(false);
            let copied = RwSignal::new(false);
            let copy = {
                let text = text.clone();
                move |_| {
                    let clipboard = window().navigator().clipboard();
                    let written = clipboard.write_text(&text);
                    leptos::task::spawn_local(async move {
                        let done = wasm_bindgen_futures::JsFuture::from(written).await.is_ok();
                        copied.set(done);
                    });
                }
            };
            let drawn = text.clone();
            view! {
                <div class="found-code">
                    <span>{i18n.t(Text::QrCodeFound)} " "</span>
                    <code class="found-code-text">{text}</code>
                    <button
                        type="button"
                        class="button"
                        aria-expanded=move || shown.get().to_string()
                        on:click=move |_| shown.update(|s| *s = !*s)
                    >
                        {move || i18n.t(if shown.get() { Text::HideQrCode } else { Text::ShowQrCode })()}
                    </button>
                    <button type="button" class="button" on:click=copy>
                        {move || i18n.t(if copied.get() { Text::Copied } else { Text::Copy })()}
                    </button>
                    <Show when=move || shown.get()>
                        <QrCode text=drawn.clone() label=i18n.t(Text::QrCodeForScanner) size=320 />
                    </Show>
                </div>
            }
        })
        .collect_view()
        .into_any()
}
