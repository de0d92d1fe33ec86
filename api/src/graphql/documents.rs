//! Parsed documents by their text. A client sends the same few documents over
//! and over with different variables; parsing one (async-graphql's pest
//! grammar) cost more than copying the parsed tree. The cache is bounded in
//! entries and in the size of the text it keeps, so a client sending endless
//! distinct documents only evicts older ones.

use async_graphql::parser::{types::ExecutableDocument, Error as ParseError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Documents longer than this are parsed on every request and not kept.
const MAX_CACHED_TEXT: usize = 4 * 1024;

/// A bounded map from document text to its parsed tree: two generations, the
/// newer taking every insert; when it is full the older one is dropped and the
/// newer becomes the older. A hit in the older generation moves the entry up,
/// so documents in use stay while the rest age out (an approximate LRU at O(1)).
pub struct DocumentCache {
    generation_size: usize,
    generation_text: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    newer: HashMap<Box<str>, Arc<ExecutableDocument>>,
    /// Bytes of text held by `newer`.
    newer_text: usize,
    older: HashMap<Box<str>, Arc<ExecutableDocument>>,
}

impl DocumentCache {
    /// A cache keeping at most `entries` documents and `text_bytes` bytes of
    /// their text (the parsed trees grow with the text they came from).
    pub fn new(entries: usize, text_bytes: usize) -> Self {
        Self {
            generation_size: (entries / 2).max(1),
            generation_text: (text_bytes / 2).max(MAX_CACHED_TEXT),
            generations: Mutex::new(Generations::default()),
        }
    }

    /// The parsed `text`, from the cache when it was parsed before. Documents
    /// that do not parse are not kept: the error is computed each time.
    pub fn parse(&self, text: &str) -> Result<Arc<ExecutableDocument>, ParseError> {
        if let Some(document) = self.get(text) {
            return Ok(document);
        }
        let document = Arc::new(async_graphql::parser::parse_query(text)?);
        if text.len() <= MAX_CACHED_TEXT {
            self.insert(text, document.clone());
        }
        Ok(document)
    }

    fn get(&self, text: &str) -> Option<Arc<ExecutableDocument>> {
        let mut generations = self.lock();
        if let Some(document) = generations.newer.get(text) {
            return Some(document.clone());
        }
        let (key, document) = generations.older.remove_entry(text)?;
        self.promote(&mut generations, key, document.clone());
        Some(document)
    }

    fn insert(&self, text: &str, document: Arc<ExecutableDocument>) {
        let mut generations = self.lock();
        self.promote(&mut generations, text.into(), document);
    }

    fn promote(
        &self,
        generations: &mut Generations,
        key: Box<str>,
        document: Arc<ExecutableDocument>,
    ) {
        if generations.newer.len() >= self.generation_size
            || generations.newer_text + key.len() > self.generation_text
        {
            generations.older = std::mem::take(&mut generations.newer);
            generations.newer_text = 0;
        }
        generations.newer_text += key.len();
        generations.newer.insert(key, document);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // the maps stay consistent even if a holder panicked
        self.generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many documents are kept now.
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.newer.len() + generations.older.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_shared() {
        let cache = DocumentCache::new(8, 1 << 20);
        let first = cache.parse("{ me { id } }").unwrap();
        let second = cache.parse("{ me { id } }").unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn errors_and_long_documents_are_not_kept() {
        let cache = DocumentCache::new(8, 1 << 20);
        assert!(cache.parse("{ me { id }").is_err());
        let long = format!("{{ me {{ id }} }} # {}", "x".repeat(MAX_CACHED_TEXT));
        cache.parse(&long).unwrap();
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_stays_bounded_and_keeps_documents_in_use() {
        let cache = DocumentCache::new(8, 1 << 20);
        let hot = cache.parse("{ hot: me { id } }").unwrap();
        for n in 0..1_000 {
            cache.parse(&format!("{{ n{n}: me {{ id }} }}")).unwrap();
            // the document in use is asked for between the others
            assert!(Arc::ptr_eq(
                &hot,
                &cache.parse("{ hot: me { id } }").unwrap()
            ));
            assert!(cache.len() <= 8, "{} kept", cache.len());
        }
    }

    #[test]
    fn the_cache_stays_bounded_in_text() {
        let cache = DocumentCache::new(1_000, 4 * MAX_CACHED_TEXT);
        let padding = "x".repeat(MAX_CACHED_TEXT - 40);
        for n in 0..100 {
            cache
                .parse(&format!("{{ n{n}: me {{ id }} }} # {padding}"))
                .unwrap();
            let kept = cache.len() * (MAX_CACHED_TEXT - 40);
            assert!(
                kept <= 4 * MAX_CACHED_TEXT,
                "{} documents kept",
                cache.len()
            );
        }
        assert!(cache.len() >= 2, "the newest documents are kept");
    }
}
