//! The server's integration tests, compiled into one binary so that the workspace links DataFusion once for all
//! of them rather than once per file. Each module starts real `privet` servers on 127.0.0.1 and talks HTTP to them.

mod common;

mod analytics;
mod api;
mod bad_input;
mod dashboard;
mod import;
mod mixpanel;
mod privacy;
