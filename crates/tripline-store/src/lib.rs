//! tripline-store (under construction).
