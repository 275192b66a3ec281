//! Ergonomic client (work in progress).
