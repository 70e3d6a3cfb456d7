//! The page the daemon serves at `GET /`: one self-contained HTML document (its stylesheet and script are
//! built into the binary and put inline), reading only the public JSON routes. Its stylesheet and
//! script helpers are shared with `report` (see `html_assets`).

use std::sync::OnceLock;

use crate::html_assets::{COMMON_JS, STYLE};

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
