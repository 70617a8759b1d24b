//! The whole conformance kit on the in-memory backend.

use std::sync::Arc;

use commerce_core::ports::storage::Store;
use commerce_storage::MemoryStore;

commerce_storage::conformance_tests!(|| async { Some(Arc::new(MemoryStore::new()) as Arc<dyn Store>) });
