//! Figures: evaluate every figure again at each combination of the ends of the assumptions'
//! ranges, so each estimate gets the lowest and highest value it can take.
//!
//! The ends are combined exhaustively rather than by interval arithmetic: a figure that uses
//! an assumption twice (`gap / total`, both moving with the start date) would otherwise get a
//! range wider than any value it can actually take.

use std::collections::BTreeSet;

use super::diagnostics::Loader;
use super::eval::Quantity;
use super::model::Model;

/// Above this many ranged assumptions the combinations (2^n evaluations of every figure)
/// stop being cheap, and a reader can no longer follow what the range means either.
pub(super) const MAX_RANGED: usize = 12;

/// The figures' values in the base case and at every combination of range ends.
pub(super) struct Corners {
    /// Base values, by spec index.
    pub base: Vec<Option<Quantity>>,
    /// Spec indices of the assumptions with a range, in declaration order.
    pub ranged: Vec<usize>,
    pub corners: Vec<Corner>,
}

/// One combination: for each ranged assumption (same order as `ranged`), whether it is at the
/// high end; and every figure's value then.
pub(super) struct Corner {
    pub high: Vec<bool>,
    pub values: Vec<Option<Quantity>>,
}

impl Corners {
    /// "term_start at the high end of its range (August 2026)", for the ranged assumptions
    /// among `only`.
    pub(super) fn describe(
        &self,
        model: &Model,
        corner: &Corner,
        only: &BTreeSet<String>,
    ) -> String {
        let mut parts = Vec::new();
        for (&i, &high) in self.ranged.iter().zip(&corner.high) {
            let Some(spec) = model.specs.get(i) else {
                continue;
            };
            if !only.contains(spec.name()) {
                continue;
            }
            let (end, value) = match spec.range() {
                Some((_, high_end)) if high => ("high", high_end),
                Some((low_end, _)) => ("low", low_end),
                None => continue,
            };
            parts.push(format!(
                "`{}` at the {end} end of its range ({})",
                spec.name(),
                spec.show(value)
            ));
        }
        parts.join(" and ")
    }

    /// The ranged assumptions among `names`, sorted.
    pub(super) fn ranged_among(&self, model: &Model, names: &BTreeSet<String>) -> Vec<String> {
        let mut over: Vec<String> = self
            .ranged
            .iter()
            .filter_map(|&i| model.specs.get(i))
            .map(|s| s.name().to_string())
            .filter(|n| names.contains(n))
            .collect();
        over.sort();
        over
    }
}

/// Run the model at every combination of range ends, reporting a figure that cannot be
/// computed at some combination (once, at the first such combination).
pub(super) fn corners(loader: &mut Loader, model: &Model, base: Vec<Option<Quantity>>) -> Corners {
    let ranged: Vec<usize> = model
        .specs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.range().is_some())
        .map(|(i, _)| i)
        .collect();
    let mut corners = Corners {
        base,
        ranged,
        corners: Vec::new(),
    };
    if corners.ranged.len() > MAX_RANGED {
        if let Some(spec) = corners
            .ranged
            .get(MAX_RANGED)
            .and_then(|&i| model.specs.get(i))
        {
            loader.report(
                &spec.at(),
                format!(
                    "is assumption number {} with a `range:`; at most {MAX_RANGED} can have one",
                    MAX_RANGED + 1
                ),
                "keep ranges for the assumptions the conclusions depend on most, and remove the others",
            );
        }
        corners.ranged.clear();
        return corners;
    }
    let count = corners.ranged.len();
    if count == 0 {
        return corners;
    }
    // A figure without a base value has its problem reported already.
    let mut failed: Vec<bool> = corners.base.iter().map(Option::is_none).collect();
    for mask in 0..(1usize << count) {
        let high: Vec<bool> = (0..count).map(|bit| mask & (1 << bit) != 0).collect();
        let ends: Vec<(usize, Quantity)> = corners
            .ranged
            .iter()
            .zip(&high)
            .filter_map(|(&i, &high)| {
                let (low_end, high_end) = model.specs.get(i)?.range()?;
                Some((i, if high { high_end } else { low_end }.clone()))
            })
            .collect();
        let mut values = Vec::with_capacity(model.specs.len());
        let mut errors = Vec::new();
        for (i, result) in model.run(&ends).into_iter().enumerate() {
            match result {
                Ok(value) => values.push(value),
                Err(e) => {
                    values.push(None);
                    errors.push((i, e));
                }
            }
        }
        let corner = Corner { high, values };
        for (i, e) in errors {
            if failed.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(slot) = failed.get_mut(i) {
                *slot = true;
            }
            let Some(spec) = model.specs.get(i) else {
                continue;
            };
            let when = corners.describe(model, &corner, model.rests_on(i));
            loader.report(
                &spec.at(),
                format!("with {when}: {}", e.message),
                format!(
                    "{} (the formula must work across the whole range of the assumptions it rests on)",
                    e.help.unwrap_or_default()
                ),
            );
        }
        corners.corners.push(corner);
    }
    corners
}

/// The lowest and highest value of figure `i` over the base and every combination, and the
/// ranged assumptions it rests on; None if it rests on none, does not move with them, or a
/// combination has no value.
pub(super) fn figure_range(
    corners: &Corners,
    model: &Model,
    i: usize,
) -> Option<(f64, f64, Vec<String>)> {
    let over = corners.ranged_among(model, model.rests_on(i));
    if over.is_empty() {
        return None;
    }
    let base = corners.base.get(i)?.as_ref()?.number();
    let mut low = base;
    let mut high = base;
    for corner in &corners.corners {
        let value = corner.values.get(i)?.as_ref()?.number();
        low = low.min(value);
        high = high.max(value);
    }
    // A figure whose assumptions cancel out (`full - projected`, both moving with the start
    // date by the same amount) does not move: it has a value, not a range.
    if high - low <= 1e-9 * low.abs().max(high.abs()) {
        return None;
    }
    Some((low, high, over))
}
