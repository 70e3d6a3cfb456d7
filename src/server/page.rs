//! The page the daemon serves at `GET /`: one self-contained HTML document (its stylesheet and script are
//! built into the binary and put inline), reading only the public JSON routes. Its stylesheet and
//! script helpers are shared with `report` (see `html_assets`).

use crate::html_assets::{COMMON_JS, STYLE};
use crate::io::fields::Field;
use crate::io::FieldNames;

const TEMPLATE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/page.js");

/// The page, its paste box posting each field under the key `names` reads it from (`serve --id-field
/// url`), so that the daemon reads what the page sends as it reads its crawler's posts.
pub fn html(names: &FieldNames) -> String {
    // Every field's key (the page posts no url, but the map is the daemon's whole naming).
    let keys: serde_json::Map<String, serde_json::Value> = Field::ALL
        .into_iter()
        .map(|field| (field.name().to_owned(), names.key(field).into()))
        .collect();
    // Inside a script: no key may close it.
    let keys = serde_json::Value::Object(keys)
        .to_string()
        .replace('<', "\\u003c");
    let script = SCRIPT.replacen("/*KEYS*/", &keys, 1);
    TEMPLATE.replacen("/*STYLE*/", STYLE, 1).replacen(
        "//SCRIPT",
        &format!("{COMMON_JS}\n{script}"),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paste_box_posts_under_the_keys_the_daemon_reads() {
        let standard = html(&FieldNames::default());
        assert!(standard.contains(r#"const KEYS = {"body":"body","id":"id","published":"published","source":"source","title":"title","url":"url"};"#), "standard keys");
        let mut names = FieldNames::default();
        names.set("id=url").unwrap();
        names.set("body=</script>").unwrap();
        let renamed = html(&names);
        assert!(renamed.contains(r#""id":"url""#));
        assert!(renamed.contains(r#""body":"\u003c/script>""#));
        assert_eq!(
            renamed.matches("</script>").count(),
            standard.matches("</script>").count()
        );
    }
}
