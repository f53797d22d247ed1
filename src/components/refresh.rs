use leptos::prelude::*;
use std::time::Duration;

/// How often the dashboard's lists ask the server for news.
const EVERY: Duration = Duration::from_secs(5);

/// A counter that moves every few seconds in the browser, for resources that ask the
/// server for news by depending on it; it stops with the component that asked for it.
pub fn use_refresh() -> ReadSignal<u32> {
    let (ticks, set_ticks) = signal(0u32);
    Effect::new(move || {
        let interval = set_interval_with_handle(move || set_ticks.update(|n| *n = n.wrapping_add(1)), EVERY);
        on_cleanup(move || {
            if let Ok(interval) = interval {
                interval.clear();
            }
        });
    });
    ticks
}
