//! The byte layout of a stored article record (version 4), little-endian throughout:
//!
//! `version u8 = 4 | seq u32 | text_hash u64 | status u8 | flags u8 | best u32 | similarity f32 |
//! cluster u32 | seen i64 | story u32 | id, title: (len u32, UTF-8) | body, source, url, published: present
//! when their flag is set | best match's id: present with a best match | signature: (count u32, u32 × count)
//! | terms: (count u32, u32 × count)`
//!
//! The signature is empty (count 0) in an exact duplicate's record: its text's first copy holds it, and a
//! copy that comes to stand for its text at open is signed again from its record.
//!
//! Flags: bit 0 eligible for the band tables, bit 1 has a best match, bits 2–5 body, source, url, published
//! present, bit 6 removed. A removed article leaves a tombstone (the removed flag, its number and id, an
//! empty title) in its place, so that its number is never handed out again and later articles can still
//! name it. `seen` is the arrival time in Unix seconds; `story` the story given at ingest and `terms` the
//! content terms the article counted towards its story (`story::terms`, kinds as decided; none when it
//! followed an earlier article's story), from which the story level is rebuilt at open. Older records
//! still decode: version 1 without `seen` (0), versions 1 and 2 without story (their cluster) and terms,
//! version 3 with the terms of every article (32-bit word hashes without kinds), of which only an article
//! that founded its cluster counted: they decode as plain terms of such articles alone. Decoding never
//! trusts a length: a short or malformed record is an error naming what is wrong.

use std::borrow::Cow;

use crate::model::{Article, Status};

const VERSION: u8 = 4;

/// One stored article and what the index decided for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Record<'a> {
    /// Article number.
    pub seq: u32,
    /// Exact-text key.
    pub text_hash: u64,
    /// Status at ingest.
    pub status: Status,
    /// Best match at ingest.
    pub best: Option<u32>,
    /// The best match's id (kept so that it can be named even once that article is gone).
    pub best_id: Option<Cow<'a, str>>,
    /// Its similarity.
    pub similarity: f32,
    /// Cluster joined at ingest.
    pub cluster: u32,
    /// Arrival time, Unix seconds.
    pub seen: i64,
    /// Story given at ingest.
    pub story: u32,
    /// Went into the band tables.
    pub eligible: bool,
    /// A tombstone: the article was removed.
    pub removed: bool,
    /// The article.
    pub article: Article<'a>,
    /// MinHash signature (empty when the store does not keep them, and for an exact duplicate, whose
    /// text's first copy holds it).
    pub signature: Cow<'a, [u32]>,
    /// The content terms the article counted towards its story.
    pub terms: Cow<'a, [u32]>,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Encodes a record.
pub fn encode(r: &Record<'_>, out: &mut Vec<u8>) {
    let a = &r.article;
    let mut flags = 0u8;
    for (bit, on) in [
        (0, r.eligible),
        (1, r.best.is_some()),
        (2, a.body.is_some()),
        (3, a.source.is_some()),
        (4, a.url.is_some()),
        (5, a.published.is_some()),
        (6, r.removed),
    ] {
        if on {
            flags |= 1 << bit;
        }
    }
    out.push(VERSION);
    out.extend_from_slice(&r.seq.to_le_bytes());
    out.extend_from_slice(&r.text_hash.to_le_bytes());
    out.push(r.status.to_byte());
    out.push(flags);
    out.extend_from_slice(&r.best.unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&r.similarity.to_le_bytes());
    out.extend_from_slice(&r.cluster.to_le_bytes());
    out.extend_from_slice(&r.seen.to_le_bytes());
    out.extend_from_slice(&r.story.to_le_bytes());
    put_str(out, &a.id);
    put_str(out, &a.title);
    for s in [&a.body, &a.source, &a.url, &a.published]
        .into_iter()
        .flatten()
    {
        put_str(out, s);
    }
    if r.best.is_some() {
        put_str(out, r.best_id.as_deref().unwrap_or_default());
    }
    for values in [&r.signature, &r.terms] {
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in values.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// The tombstone of removed article `seq` / `id`.
pub fn tombstone(seq: u32, id: &str, seen: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + id.len());
    encode(
        &Record {
            seq,
            text_hash: 0,
            status: Status::New,
            best: None,
            best_id: None,
            similarity: 0.0,
            cluster: seq,
            seen,
            story: seq,
            eligible: false,
            removed: true,
            article: Article::new(id, ""),
            signature: Cow::Borrowed(&[]),
            terms: Cow::Borrowed(&[]),
        },
        &mut out,
    );
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => Err(format!("truncated at {what} (byte {})", self.at)),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4, what)?);
        Ok(u32::from_le_bytes(b))
    }
    fn u64(&mut self, what: &str) -> Result<u64, String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(b))
    }
    fn str(&mut self, what: &str) -> Result<&'a str, String> {
        let len = self.u32(what)? as usize;
        std::str::from_utf8(self.take(len, what)?).map_err(|e| format!("{what}: {e}"))
    }
}

/// Decodes a record, borrowing its strings from `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Record<'_>, String> {
    decode_parts(bytes, true).map(|(record, _)| record)
}

/// Decodes a record as [`decode`] does but for its signature, which is left empty and answered apart as
/// its stored bytes (its values little-endian, four bytes each): what rebuilding an index needs of it is
/// read from those, without a vector of its own for each record.
pub fn decode_signature_apart(bytes: &[u8]) -> Result<(Record<'_>, &[u8]), String> {
    decode_parts(bytes, false)
}

/// [`decode`], with the signature's bytes answered apart instead of decoded when `decode_signature` is
/// false.
fn decode_parts(bytes: &[u8], decode_signature: bool) -> Result<(Record<'_>, &[u8]), String> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.u8("version")?;
    if !(1..=VERSION).contains(&version) {
        return Err(format!("unknown record version {version}"));
    }
    let seq = r.u32("seq")?;
    let text_hash = r.u64("text_hash")?;
    let status_byte = r.u8("status")?;
    let status = Status::from_byte(status_byte).ok_or(format!("unknown status {status_byte}"))?;
    let flags = r.u8("flags")?;
    let best = r.u32("best")?;
    let similarity = f32::from_bits(r.u32("similarity")?);
    let cluster = r.u32("cluster")?;
    let seen = if version >= 2 {
        r.u64("seen")? as i64
    } else {
        0
    };
    let story = if version >= 3 {
        r.u32("story")?
    } else {
        cluster
    };
    let id = r.str("id")?;
    let title = r.str("title")?;
    let mut opt = |bit: u8, what: &str| -> Result<Option<Cow<'_, str>>, String> {
        if flags & (1 << bit) != 0 {
            Ok(Some(Cow::Borrowed(r.str(what)?)))
        } else {
            Ok(None)
        }
    };
    let body = opt(2, "body")?;
    let source = opt(3, "source")?;
    let url = opt(4, "url")?;
    let published = opt(5, "published")?;
    let best_id = opt(1, "best match id")?;
    let mut raw_values = |what: &str| -> Result<&[u8], String> {
        let count = r.u32(what)? as usize;
        r.take(count.saturating_mul(4), what)
    };
    let values_of = |raw: &[u8]| -> Vec<u32> {
        raw.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let signature_bytes = raw_values("signature")?;
    let signature = if decode_signature {
        values_of(signature_bytes)
    } else {
        Vec::new()
    };
    let mut values = |what: &str| raw_values(what).map(values_of);
    let terms = match version {
        4.. => values("terms")?,
        3 => {
            let terms = values("terms")?;
            if status == Status::New {
                terms.into_iter().map(crate::story::word).collect()
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    if r.at != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - r.at));
    }
    let record = Record {
        seq,
        text_hash,
        status,
        best: (flags & 2 != 0).then_some(best),
        best_id,
        similarity,
        cluster,
        seen,
        story,
        eligible: flags & 1 != 0,
        removed: flags & (1 << 6) != 0,
        article: Article {
            id: Cow::Borrowed(id),
            title: Cow::Borrowed(title),
            body,
            source,
            url,
            published,
        },
        signature: Cow::Owned(signature),
        terms: Cow::Owned(terms),
    };
    Ok((record, signature_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record<'static> {
        Record {
            seq: 7,
            text_hash: 0xdead_beef_0123_4567,
            status: Status::NearDuplicate,
            best: Some(3),
            best_id: Some(Cow::Borrowed("a-3")),
            similarity: 0.75,
            cluster: 2,
            seen: 1_747_735_200,
            story: 1,
            eligible: true,
            removed: false,
            article: Article::new("a-7", "Fed holds rates")
                .with_source("Reuters")
                .with_published("2025-05-20T10:00:00Z"),
            signature: Cow::Owned(vec![1, 2, 3, u32::MAX]),
            terms: Cow::Owned(vec![7, 8]),
        }
    }

    #[test]
    fn records_round_trip() {
        let mut bytes = Vec::new();
        encode(&sample(), &mut bytes);
        assert_eq!(decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn a_signature_read_apart_is_its_values_bytes_and_the_rest_decodes_alike() {
        let mut bytes = Vec::new();
        encode(&sample(), &mut bytes);
        let (record, signature) = decode_signature_apart(&bytes).unwrap();
        let values: Vec<u8> = sample()
            .signature
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(signature, &values[..]);
        assert!(record.signature.is_empty());
        assert_eq!(
            Record {
                signature: sample().signature,
                ..record
            },
            sample()
        );
    }

    #[test]
    fn tombstones_keep_number_and_id() {
        let bytes = tombstone(9, "gone", 5);
        let r = decode(&bytes).unwrap();
        assert!(r.removed);
        assert_eq!((r.seq, r.article.id.as_ref(), r.seen), (9, "gone", 5));
        assert!(
            !decode(&{
                let mut b = Vec::new();
                encode(&sample(), &mut b);
                b
            })
            .unwrap()
            .removed
        );
    }

    #[test]
    fn older_records_decode_without_the_newer_fields() {
        let mut bytes = Vec::new();
        encode(&sample(), &mut bytes);
        // Version 2: no story, no terms.
        let mut v2 = bytes.clone();
        v2.truncate(v2.len() - 4 - 2 * 4);
        v2.drain(35..39);
        v2[0] = 2;
        let expected = Record {
            story: 2,
            terms: Cow::Owned(Vec::new()),
            ..sample()
        };
        assert_eq!(decode(&v2).unwrap(), expected);
        // Version 1: no arrival time either.
        let mut v1 = v2.clone();
        v1.drain(27..35);
        v1[0] = 1;
        assert_eq!(
            decode(&v1).unwrap(),
            Record {
                seen: 0,
                ..expected
            }
        );
    }

    #[test]
    fn version_3_terms_count_only_for_cluster_founders_and_lose_their_top_bits() {
        let mut bytes = Vec::new();
        let founder = Record {
            status: Status::New,
            terms: Cow::Owned(vec![0xC000_0007, 8]),
            ..sample()
        };
        encode(&founder, &mut bytes);
        bytes[0] = 3;
        assert_eq!(decode(&bytes).unwrap().terms.as_ref(), &[7, 8]);
        // The near-duplicate of the sample counted none.
        bytes.clear();
        encode(&sample(), &mut bytes);
        bytes[0] = 3;
        assert!(decode(&bytes).unwrap().terms.is_empty());
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let mut bytes = Vec::new();
        encode(&sample(), &mut bytes);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut wrong = bytes.clone();
        wrong[0] = 9;
        assert!(decode(&wrong).unwrap_err().contains("version"));
        let mut huge = bytes.clone();
        huge[43..47].copy_from_slice(&u32::MAX.to_le_bytes()); // id length
        assert!(decode(&huge).is_err());
    }
}
