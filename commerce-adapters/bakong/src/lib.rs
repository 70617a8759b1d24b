//! commerce-bakong: work in progress.
