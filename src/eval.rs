//! Measures of a clustering against gold labels, for `storyhash eval` and the benches: pairwise
//! precision, recall and F1 over all item pairs (Miranda et al., 2018), the adjusted Rand index (Hubert
//! and Arabie, 1985), and precision/recall of yes/no decisions on labelled pairs. Pure functions of the
//! labels; nothing here knows how they were produced.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

/// How well predicted clusters match gold clusters, counted over all pairs of items.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PairwiseScores {
    /// Items compared.
    pub items: u64,
    /// Of the pairs put in one predicted cluster, the share that share a gold cluster.
    pub precision: f64,
    /// Of the pairs that share a gold cluster, the share put in one predicted cluster.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand index: agreement on every pair (together or apart), 0 for chance, 1 for identical.
    pub ari: f64,
    /// Number of predicted clusters.
    pub predicted_clusters: u64,
    /// Number of gold clusters.
    pub gold_clusters: u64,
}

fn pairs(n: u64) -> f64 {
    (n as f64) * (n.saturating_sub(1) as f64) / 2.0
}

fn harmonic(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// Scores `(predicted, gold)` labels, one pair of labels per item. With no pair on a side, its ratio is 1.
pub fn pairwise<P: Eq + Hash, G: Eq + Hash>(
    labels: impl IntoIterator<Item = (P, G)>,
) -> PairwiseScores {
    let mut joint: HashMap<(P, G), u64> = HashMap::new();
    for (p, g) in labels {
        *joint.entry((p, g)).or_default() += 1;
    }
    let mut by_pred: HashMap<&P, u64> = HashMap::new();
    let mut by_gold: HashMap<&G, u64> = HashMap::new();
    let mut items = 0;
    for ((p, g), n) in &joint {
        *by_pred.entry(p).or_default() += n;
        *by_gold.entry(g).or_default() += n;
        items += n;
    }
    let together: f64 = joint.values().map(|&n| pairs(n)).sum();
    let predicted: f64 = by_pred.values().map(|&n| pairs(n)).sum();
    let gold: f64 = by_gold.values().map(|&n| pairs(n)).sum();
    let precision = if predicted > 0.0 {
        together / predicted
    } else {
        1.0
    };
    let recall = if gold > 0.0 { together / gold } else { 1.0 };
    let total = pairs(items);
    let expected = if total > 0.0 {
        predicted * gold / total
    } else {
        0.0
    };
    let max = (predicted + gold) / 2.0;
    let ari = if (max - expected).abs() > f64::EPSILON {
        (together - expected) / (max - expected)
    } else {
        1.0
    };
    PairwiseScores {
        items,
        precision,
        recall,
        f1: harmonic(precision, recall),
        ari,
        predicted_clusters: by_pred.len() as u64,
        gold_clusters: by_gold.len() as u64,
    }
}

/// How well yes/no decisions match gold yes/no labels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DecisionScores {
    /// Decisions scored.
    pub items: u64,
    /// Gold positives.
    pub positives: u64,
    /// Of the items decided yes, the share that are gold positives.
    pub precision: f64,
    /// Of the gold positives, the share decided yes.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Scores `(decided, gold)` yes/no pairs.
pub fn decisions(pairs: impl IntoIterator<Item = (bool, bool)>) -> DecisionScores {
    let (mut items, mut tp, mut decided, mut positives) = (0, 0u64, 0u64, 0u64);
    for (d, g) in pairs {
        items += 1;
        tp += u64::from(d && g);
        decided += u64::from(d);
        positives += u64::from(g);
    }
    let precision = if decided > 0 {
        tp as f64 / decided as f64
    } else {
        1.0
    };
    let recall = if positives > 0 {
        tp as f64 / positives as f64
    } else {
        1.0
    };
    DecisionScores {
        items,
        positives,
        precision,
        recall,
        f1: harmonic(precision, recall),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_clusterings_score_one() {
        let s = pairwise([(1, "a"), (1, "a"), (2, "b"), (2, "b"), (3, "c")]);
        assert_eq!((s.precision, s.recall, s.f1, s.ari), (1.0, 1.0, 1.0, 1.0));
        assert_eq!((s.items, s.predicted_clusters, s.gold_clusters), (5, 3, 3));
    }

    #[test]
    fn counts_pairs_as_in_the_definition() {
        // Predicted {1,2,3} {4}; gold {1,2} {3,4}: predicted pairs 3, gold pairs 2, shared 1.
        let s = pairwise([("x", 1), ("x", 1), ("x", 2), ("y", 2)]);
        assert!((s.precision - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.recall - 0.5).abs() < 1e-12);
        assert!((s.f1 - 0.4).abs() < 1e-12);
        // ARI by hand: total 6, expected 3*2/6 = 1, max 2.5: (1 - 1) / (2.5 - 1) = 0.
        assert!(s.ari.abs() < 1e-12);
    }

    #[test]
    fn all_singletons_recall_nothing() {
        let s = pairwise([(1, "a"), (2, "a"), (3, "a")]);
        assert_eq!((s.precision, s.recall), (1.0, 0.0));
    }

    #[test]
    fn decisions_count_true_positives() {
        let s = decisions([(true, true), (true, false), (false, true), (false, false)]);
        assert_eq!((s.items, s.positives), (4, 2));
        assert_eq!((s.precision, s.recall, s.f1), (0.5, 0.5, 0.5));
    }
}
