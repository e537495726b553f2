//! Charts as inline SVG, drawn on the server (no script, no external asset).

use maud::{html, Markup};

/// One line of a chart: a name and its points `(x, y)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points, in increasing `x`.
    pub points: Vec<(f64, f64)>,
}

/// Line colours, cycled (the stylesheet's `.c0`..`.c7` legend swatches match).
const COLOURS: &[&str] = &[
    "#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
];

const W: f64 = 640.0;
const H: f64 = 200.0;
const PAD_L: f64 = 48.0;
const PAD_B: f64 = 22.0;
const PAD_T: f64 = 8.0;
const PAD_R: f64 = 8.0;

/// A line chart of `series`; `x_label` formats an x value for the axis (its two ends),
/// `unit` follows the y-axis maximum.
pub fn lines(
    title: &str,
    series: &[Series],
    unit: &str,
    x_label: impl Fn(f64) -> String,
) -> Markup {
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0f64);
    for (x, y) in all {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y1 = y1.max(*y);
    }
    let empty = x0 > x1;
    if empty || x1 == x0 {
        x1 = x0 + 1.0;
    }
    let y1 = if y1 <= 0.0 { 1.0 } else { y1 * 1.1 };
    let sx = |x: f64| PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R);
    let sy = |y: f64| H - PAD_B - y / y1 * (H - PAD_B - PAD_T);
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) {
                line x1=(PAD_L) y1=(H - PAD_B) x2=(W - PAD_R) y2=(H - PAD_B) stroke="#9ca3af" {}
                line x1=(PAD_L) y1=(PAD_T) x2=(PAD_L) y2=(H - PAD_B) stroke="#9ca3af" {}
                text x=(PAD_L - 4.0) y=(PAD_T + 10.0) text-anchor="end" font-size="10" { (format_y(y1)) " " (unit) }
                text x=(PAD_L - 4.0) y=(H - PAD_B) text-anchor="end" font-size="10" { "0" }
                @if !empty {
                    text x=(PAD_L) y=(H - 6.0) font-size="10" { (x_label(x0)) }
                    text x=(W - PAD_R) y=(H - 6.0) text-anchor="end" font-size="10" { (x_label(x1)) }
                } @else {
                    text x=(W / 2.0) y=(H / 2.0) text-anchor="middle" font-size="12" fill="#6b7280" { "no data yet" }
                }
                @for (i, s) in series.iter().enumerate() {
                    @let colour = COLOURS[i % COLOURS.len()];
                    @let path = s.points.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y))).collect::<Vec<_>>().join(" ");
                    polyline points=(path) fill="none" stroke=(colour) stroke-width="1.6" {}
                    @if s.points.len() == 1 {
                        circle cx=(format!("{:.1}", sx(s.points[0].0))) cy=(format!("{:.1}", sy(s.points[0].1))) r="3" fill=(colour) {}
                    }
                }
            }
            @if !series.is_empty() {
                ul.legend {
                    @for (i, s) in series.iter().enumerate() {
                        li { span class=(format!("swatch c{}", i % COLOURS.len())) {} (s.name) }
                    }
                }
            }
        }
    }
}

/// A horizontal bar chart of `(label, value)`.
pub fn bars(title: &str, bars: &[(String, f64)]) -> Markup {
    let max = bars.iter().map(|(_, v)| *v).fold(0.0f64, f64::max).max(1.0);
    let row = 18.0;
    let h = (bars.len().max(1) as f64) * row + 4.0;
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {W} {h}")) role="img" aria-label=(title) {
                @if bars.is_empty() {
                    text x="4" y="14" font-size="12" fill="#6b7280" { "none" }
                }
                @for (i, (label, v)) in bars.iter().enumerate() {
                    @let y = i as f64 * row + 2.0;
                    text x="150" y=(y + 12.0) text-anchor="end" font-size="11" { (label) }
                    rect x="156" y=(y) height=(row - 4.0) width=(format!("{:.1}", (v / max) * (W - 220.0))) fill=(COLOURS[i % COLOURS.len()]) {}
                    text x=(format!("{:.1}", 160.0 + (v / max) * (W - 220.0))) y=(y + 12.0) font-size="11" { (format_y(*v)) }
                }
            }
        }
    }
}

/// A small sparkline of daily counts.
pub fn spark(values: &[i64]) -> Markup {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h) = (84.0, 18.0);
    let step = if values.len() > 1 {
        w / (values.len() - 1) as f64
    } else {
        w
    };
    let pts = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                h - 1.0 - (*v as f64 / max) * (h - 2.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.spark viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) role="img" aria-label="alerts per day" {
            polyline points=(pts) fill="none" stroke="#2563eb" stroke-width="1.4" {}
        }
    }
}

fn format_y(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_polyline_per_series_and_escapes_names() {
        let s = vec![
            Series {
                name: "logs <codex>".into(),
                points: vec![(0.0, 1.0), (1.0, 3.0)],
            },
            Series {
                name: "metrics".into(),
                points: vec![(0.0, 2.0)],
            },
        ];
        let svg = lines("events/s", &s, "/s", |x| format!("{x}")).into_string();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("logs &lt;codex&gt;"));
        assert!(!svg.contains("<codex>"));
    }
}
