//! Unit tests of the transaction helpers.
