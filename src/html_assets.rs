//! The stylesheet and script helpers (element building, times, sparklines) that the daemon's page
//! (`server::page`) and the HTML report (`report`) both put inline, built into the binary.

/// The stylesheet shared by the page and the report.
pub const STYLE: &str = include_str!("html_assets/style.css");

/// Script helpers shared by the page and the report.
pub const COMMON_JS: &str = include_str!("html_assets/common.js");
