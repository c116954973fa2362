//! The progress bar on standard error (events stored, events per second, time left), drawn with `indicatif`
//! only when standard error is a terminal and the caller wants it.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A bar counting up to `events`, hidden unless `visible` and standard error is a terminal.
pub fn bar(events: u64, visible: bool) -> ProgressBar {
    let target = if visible && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(events), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} demo data [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} events  {rate}  ETA {eta}",
        )
        .expect("a valid template")
        .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} events/s", state.per_sec());
        }),
    );
    if !bar.is_hidden() {
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
    }
    bar
}
