//! commerce-stripe: work in progress.
