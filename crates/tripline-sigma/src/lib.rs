//! tripline-sigma (under construction).
