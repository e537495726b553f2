//! tripline-receive (under construction).
