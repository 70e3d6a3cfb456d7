//! Which key of a JSON Lines object, or which CSV column, feeds each article field: the field's own name
//! by default (for CSV, its usual column names too), or the key a user names for it, so that a crawl
//! written with `url` for its id or `fetched_at` for its time is read as it is (`--id-field url`).

/// The fields an article is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Id,
    Title,
    Body,
    Source,
    Url,
    Published,
}

impl Field {
    /// Every field, in the order of their numbers.
    pub(crate) const ALL: [Field; 6] = [
        Field::Id,
        Field::Title,
        Field::Body,
        Field::Source,
        Field::Url,
        Field::Published,
    ];

    /// The field's own name, which is also its key by default.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Title => "title",
            Field::Body => "body",
            Field::Source => "source",
            Field::Url => "url",
            Field::Published => "published",
        }
    }

    /// The field a key names by default.
    pub(crate) fn from_key(key: &str) -> Option<Field> {
        match key {
            "id" => Some(Field::Id),
            "title" => Some(Field::Title),
            "body" => Some(Field::Body),
            "source" => Some(Field::Source),
            "url" => Some(Field::Url),
            "published" => Some(Field::Published),
            _ => None,
        }
    }
}

/// The fields one key feeds: none, one, or several when a user gave one key to several fields
/// (`--id-field url` leaves `url` feeding the url too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields(u8);

impl Fields {
    fn one(field: Field) -> Fields {
        Fields(1 << field as u8)
    }

    /// True when the key feeds no field.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The fields, in the order of their numbers.
    pub(crate) fn iter(self) -> impl Iterator<Item = Field> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            let lowest = bits.trailing_zeros() as usize;
            bits &= bits.wrapping_sub(1);
            Field::ALL.get(lowest).copied()
        })
    }
}

/// The key each article field is read from. [`FieldNames::default`] reads each field from its own name;
/// [`FieldNames::set`] names another key for a field, after which the field's own name feeds it no
/// longer.
///
/// ```
/// use storyhash::io::FieldNames;
///
/// let mut names = FieldNames::default();
/// names.set("id=url")?;
/// names.set("published=fetched_at")?;
/// assert_eq!(names.key_named_for("id"), Some("url"));
/// assert_eq!(names.key_named_for("published"), Some("fetched_at"));
/// assert_eq!(names.key_named_for("title"), None);
/// assert!(names.set("headline").unwrap_err().contains("FIELD=KEY"));
/// assert!(names.set("date=when").unwrap_err().contains("id, title, body, source, url, published"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldNames {
    /// Per field (in the order of their numbers), the key a user named for it; `None` until one is
    /// named, when a key is looked up as the field names are.
    named: Option<Box<[Option<Box<str>>; 6]>>,
}

/// Every field read from its own name, for the readers that take no others.
pub(crate) static STANDARD: FieldNames = FieldNames { named: None };

impl FieldNames {
    /// Reads `FIELD=KEY` (`id=url`): the field is read from the key from now on (see [`name`](Self::name)).
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let Some((field, key)) = assignment.split_once('=') else {
            return Err(format!(
                "`{assignment}`: write FIELD=KEY, such as id=url or published=fetched_at"
            ));
        };
        self.name(field, key)
            .map_err(|e| format!("`{assignment}`: {e}"))
    }

    /// Reads `field` from `key` from now on. The field is one of `id`, `title`, `body`, `source`, `url`,
    /// `published`; the key any name but an empty one (white space around either is dropped).
    pub fn name(&mut self, field: &str, key: &str) -> Result<(), String> {
        let Some(field) = Field::from_key(field.trim()) else {
            return Err(format!(
                "`{}` is not a field; the fields are id, title, body, source, url, published",
                field.trim()
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("name the key {} is read from", field.name()));
        }
        self.named.get_or_insert_with(Default::default)[field as usize] = Some(key.into());
        Ok(())
    }

    /// The names of `assignments` (`FIELD=KEY` each), for tests.
    #[cfg(test)]
    pub(crate) fn given(assignments: &[&str]) -> FieldNames {
        let mut names = FieldNames::default();
        for a in assignments {
            names.set(a).expect("a good naming");
        }
        names
    }

    /// True when every field is read from its own name.
    pub fn is_standard(&self) -> bool {
        self.named.is_none()
    }

    /// The key named for the field called `field` (`"id"`, `"title"`, …), if one is.
    pub fn key_named_for(&self, field: &str) -> Option<&str> {
        Field::from_key(field).and_then(|f| self.named(f))
    }

    /// The key a user named for `field`, if any.
    pub(crate) fn named(&self, field: Field) -> Option<&str> {
        self.named.as_ref()?[field as usize].as_deref()
    }

    /// The key `field` is read from.
    pub(crate) fn key(&self, field: Field) -> &str {
        self.named(field).unwrap_or(field.name())
    }

    /// What `e` says, naming the key its field was read from where one was named (`field `id` is empty
    /// (read from `url`)`), so that a record is mended under the key it has.
    pub fn message(&self, e: &crate::ArticleError) -> String {
        use crate::ArticleError;
        let field = match e {
            ArticleError::EmptyId => "id",
            ArticleError::EmptyTitle { .. } => "title",
            ArticleError::TooLong { field, .. } => field,
            _ => return e.to_string(),
        };
        match self.key_named_for(field) {
            Some(key) => format!("{e} (read from `{key}`)"),
            None => e.to_string(),
        }
    }

    /// The fields a JSON key feeds.
    #[inline]
    pub(crate) fn fields_of(&self, key: &str) -> Fields {
        if self.is_standard() {
            return Field::from_key(key).map(Fields::one).unwrap_or_default();
        }
        let mut fields = Fields::default();
        for field in Field::ALL {
            if self.key(field) == key {
                fields.0 |= Fields::one(field).0;
            }
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_feeds_the_fields_named_for_it_and_a_renamed_field_s_own_name_no_longer() {
        let standard = FieldNames::default();
        assert_eq!(
            standard.fields_of("title").iter().collect::<Vec<_>>(),
            [Field::Title]
        );
        assert!(standard.fields_of("headline").is_empty());
        let mut names = FieldNames::default();
        names.set("id=url").unwrap();
        names.set(" title = headline ").unwrap();
        assert_eq!(
            names.fields_of("url").iter().collect::<Vec<_>>(),
            [Field::Id, Field::Url]
        );
        assert_eq!(
            names.fields_of("headline").iter().collect::<Vec<_>>(),
            [Field::Title]
        );
        assert!(names.fields_of("title").is_empty());
        assert!(names.fields_of("id").is_empty());
        assert_eq!(names.key(Field::Title), "headline");
        assert_eq!(names.key(Field::Body), "body");
        // The last naming of a field holds.
        names.set("title=name").unwrap();
        assert_eq!(names.key_named_for("title"), Some("name"));
        assert_eq!(names.key_named_for("id"), Some("url"));
        for other in ["body", "source", "url", "published"] {
            assert_eq!(names.key_named_for(other), None, "{other}");
        }
    }

    #[test]
    fn a_bad_naming_says_what_to_write() {
        let mut names = FieldNames::default();
        for (given, said) in [
            ("url", "write FIELD=KEY"),
            ("link=url", "`link` is not a field"),
            ("id=", "`id=`: name the key id is read from"),
            ("=url", "`` is not a field"),
        ] {
            let e = names.set(given).unwrap_err();
            assert!(e.contains(said), "{given}: {e}");
        }
        assert!(names.is_standard());
    }
}
