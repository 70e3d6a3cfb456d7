//! The page the daemon serves at `GET /`: one self-contained HTML document (its stylesheet and script are
//! built into the binary and put inline), reading only the public JSON routes. The stylesheet and the
//! shared script helpers are also what `report` puts into its HTML file.

use std::sync::OnceLock;

/// The stylesheet shared by the page and the report.
pub const STYLE: &str = include_str!("page/style.css");

/// Script helpers shared by the page and the report (element building, times, sparklines).
pub const COMMON_JS: &str = include_str!("page/common.js");

const TEMPLATE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/page.js");

/// The page, assembled once.
pub fn html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        TEMPLATE.replacen("/*STYLE*/", STYLE, 1).replacen(
            "//SCRIPT",
            &format!("{COMMON_JS}\n{SCRIPT}"),
            1,
        )
    })
}
