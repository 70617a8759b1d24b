//! Ranked keyword search over product names and descriptions.
//!
//! A pure scoring function: the query is split into lower-case terms; a product matches when
//! every term occurs in its name or description (as a word, a word prefix, or a substring), and
//! scores more the better each term matches and the more of it is in the name. Ties go to the
//! shorter name, then the name, then the id, so results are deterministic.
//!
//! [`Commerce::search_products`](crate::Commerce::search_products) narrows candidates through
//! the store's substring filter on the longest term and ranks them with [`score`].

use crate::catalog::Product;

/// Weights: an exact word in the name is worth most; a substring in the description least.
const NAME_WORD: u32 = 100;
const NAME_PREFIX: u32 = 60;
const NAME_SUBSTRING: u32 = 30;
const DESCRIPTION_WORD: u32 = 20;
const DESCRIPTION_PREFIX: u32 = 12;
const DESCRIPTION_SUBSTRING: u32 = 5;
/// Bonus when the whole query appears verbatim in the name.
const NAME_PHRASE: u32 = 150;

/// At most this many terms are considered (the rest of a query is ignored).
pub const MAX_TERMS: usize = 8;

/// The query's terms: lower-cased, split on anything that is not a letter or digit, deduplicated,
/// at most [`MAX_TERMS`].
pub fn terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in query.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
        let t = t.to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

fn term_score(text: &str, term: &str, word: u32, prefix: u32, substring: u32) -> u32 {
    let mut best = 0;
    for w in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if w == term {
            return word;
        }
        if w.starts_with(term) {
            best = best.max(prefix);
        }
    }
    if best == 0 && text.contains(term) { substring } else { best }
}

/// The product's score for `terms` (from [`terms`]), or `None` if some term occurs in neither
/// its name nor its description. An empty term list matches nothing.
pub fn score(product: &Product, terms: &[String]) -> Option<u32> {
    if terms.is_empty() {
        return None;
    }
    let name = product.name.to_lowercase();
    let description = product.description.to_lowercase();
    let mut total = 0;
    for term in terms {
        let n = term_score(&name, term, NAME_WORD, NAME_PREFIX, NAME_SUBSTRING);
        let d = term_score(&description, term, DESCRIPTION_WORD, DESCRIPTION_PREFIX, DESCRIPTION_SUBSTRING);
        if n == 0 && d == 0 {
            return None;
        }
        total += n + d;
    }
    if terms.len() > 1 && name.contains(&terms.join(" ")) {
        total += NAME_PHRASE;
    }
    Some(total)
}

/// Ranks `products` for `query`: matching products, best first, with their scores.
pub fn rank(products: Vec<Product>, query: &str) -> Vec<(Product, u32)> {
    let terms = terms(query);
    let mut hits: Vec<(Product, u32)> =
        products.into_iter().filter_map(|p| score(&p, &terms).map(|s| (p, s))).collect();
    hits.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then(a.name.len().cmp(&b.name.len()))
            .then_with(|| a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProductId;

    fn product(n: u128, name: &str, description: &str) -> Product {
        Product {
            id: ProductId::from_uuid(uuid::Uuid::from_u128(n)),
            name: name.into(),
            description: description.into(),
            category: None,
            images: vec![],
            attributes: Default::default(),
            variants: vec![],
            active: true,
        }
    }

    #[test]
    fn terms_are_lowercase_unique_words() {
        assert_eq!(terms("  Red, red SHIRT!"), vec!["red", "shirt"]);
        assert!(terms(" - ").is_empty());
        assert_eq!(terms("a b c d e f g h i j").len(), MAX_TERMS);
    }

    #[test]
    fn name_beats_description_and_words_beat_substrings() {
        let ranked = rank(
            vec![
                product(1, "Linen towel", "Soft, for the kitchen; not a shirt"),
                product(2, "Cotton shirt", "Plain"),
                product(3, "Overshirt", "Heavy cotton"),
                product(4, "Shirtdress", "Summer"),
                product(5, "Mug", "Ceramic"),
            ],
            "shirt",
        );
        let names: Vec<&str> = ranked.iter().map(|(p, _)| p.name.as_str()).collect();
        // word in name (100) > prefix in name (60) > substring in name (30) > word in description (20)
        assert_eq!(names, ["Cotton shirt", "Shirtdress", "Overshirt", "Linen towel"]);
    }

    #[test]
    fn every_term_must_match_and_phrases_win() {
        let ranked = rank(
            vec![
                product(1, "Blue cotton shirt", ""),
                product(2, "Cotton blue shirt", ""),
                product(3, "Blue mug", "no fabric"),
            ],
            "cotton shirt",
        );
        let names: Vec<&str> = ranked.iter().map(|(p, _)| p.name.as_str()).collect();
        assert_eq!(names, ["Blue cotton shirt", "Cotton blue shirt"]);
        assert!(ranked[0].1 > ranked[1].1);
    }

    #[test]
    fn ties_are_deterministic_and_unicode_is_folded() {
        let a = product(2, "Écharpe", "");
        let b = product(1, "Écharpe", "");
        let ranked = rank(vec![a, b], "écharpe");
        assert_eq!(ranked[0].0.id, ProductId::from_uuid(uuid::Uuid::from_u128(1)));
        assert!(rank(vec![product(1, "Mug", "")], "").is_empty());
    }
}
