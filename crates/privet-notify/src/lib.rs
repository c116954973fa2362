//! Breach notices, written and delivered.
//!
//! * [`notice`]: what a notice says, in the reader's language: one message per affected person, one summary per
//!   organisation administrator, and the public notice page for people who cannot be reached (Art. 34(3)(c)).
//!   Texts are Project Fluent messages (built in for en, de, es, fr, ar, lv, id; overridable per locale).
//! * [`send`]: delivery through a real SMTP server, exactly once per (incident, recipient), with an outbox
//!   table, a rate limit, retries with back-off, optional DKIM signing and a progress bar.

pub mod notice;
pub mod send;
