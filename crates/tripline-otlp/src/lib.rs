//! tripline-otlp (under construction).
