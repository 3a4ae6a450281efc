//! Filled in by the branch that builds it.
