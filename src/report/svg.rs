//! Bar charts as inline SVG, drawn here so that the report needs no chart
//! library and prints as crisply as text. Every label passes through
//! [`escape_xml`]; the output is meant to be placed into the page verbatim.

use std::fmt::Write;

/// One bar: its axis label, its count, and whether it is drawn in the
/// accent colour (e.g. above the match threshold).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: u64,
    pub accent: bool,
}

/// A vertical line across the bars, at a fractional bar position: 0.0 is
/// the left edge of the first bar, `bars.len()` the right edge of the last.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub position: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Read by screen readers and shown as a tooltip.
    pub title: String,
    pub x_caption: String,
    pub bars: Vec<Bar>,
    pub marker: Option<Marker>,
    /// Heights on log10(1 + count), for counts spanning orders of magnitude.
    pub log_scale: bool,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 44.0;
/// At most this many x-axis labels, so that they never overlap.
const MAX_X_LABELS: usize = 12;

pub fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The chart as one `<svg>` element that scales to its container.
pub fn render_bar_chart(chart: &BarChart) -> String {
    let mut svg = String::new();
    let title = escape_xml(&chart.title);
    // Writing into a String cannot fail.
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>"#
    );
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let baseline = TOP + plot_height;
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{baseline}" x2="{x2}" y2="{baseline}"/>"#,
        x2 = LEFT + plot_width
    );
    if chart.bars.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="empty" x="{x}" y="{y}" text-anchor="middle">no data</text></svg>"#,
            x = LEFT + plot_width / 2.0,
            y = TOP + plot_height / 2.0
        );
        return svg;
    }
    let height_of = |count: u64| {
        if chart.log_scale {
            (1.0 + count as f64).log10()
        } else {
            count as f64
        }
    };
    let max_count = chart.bars.iter().map(|b| b.count).max().unwrap_or(0);
    let max_height = height_of(max_count).max(f64::MIN_POSITIVE);
    let slot = plot_width / chart.bars.len() as f64;
    let gap = (slot * 0.15).min(4.0);

    // y axis: zero and the maximum, enough to read the scale.
    let _ = write!(
        svg,
        r#"<text class="tick" x="{x}" y="{baseline}" text-anchor="end" dy="0.32em">0</text><text class="tick" x="{x}" y="{TOP}" text-anchor="end" dy="0.32em">{max}</text>"#,
        x = LEFT - 6.0,
        max = group_thousands(max_count)
    );
    if chart.log_scale {
        let _ = write!(
            svg,
            r#"<text class="caption" x="{x}" y="{y}" text-anchor="middle" transform="rotate(-90 {x} {y})">log scale</text>"#,
            x = 14.0,
            y = TOP + plot_height / 2.0
        );
    }

    let label_every = chart.bars.len().div_ceil(MAX_X_LABELS);
    for (index, bar) in chart.bars.iter().enumerate() {
        let height = plot_height * height_of(bar.count) / max_height;
        let x = LEFT + slot * index as f64 + gap / 2.0;
        let class = if bar.accent { "bar accent" } else { "bar" };
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{height:.2}"><title>{label}: {count}</title></rect>"#,
            y = baseline - height,
            w = (slot - gap).max(0.5),
            label = escape_xml(&bar.label),
            count = group_thousands(bar.count),
        );
        if index % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{x:.2}" y="{y}" text-anchor="middle">{label}</text>"#,
                x = LEFT + slot * (index as f64 + 0.5),
                y = baseline + 14.0,
                label = escape_xml(&bar.label),
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text class="caption" x="{x}" y="{y}" text-anchor="middle">{caption}</text>"#,
        x = LEFT + plot_width / 2.0,
        y = HEIGHT - 6.0,
        caption = escape_xml(&chart.x_caption)
    );
    if let Some(marker) = &chart.marker {
        let position = marker.position.clamp(0.0, chart.bars.len() as f64);
        let x = LEFT + slot * position;
        let _ = write!(
            svg,
            r#"<line class="marker" x1="{x:.2}" y1="{TOP}" x2="{x:.2}" y2="{baseline}"/><text class="marker-label" x="{lx:.2}" y="{ly}">{label}</text>"#,
            lx = x + 4.0,
            ly = TOP + 10.0,
            label = escape_xml(&marker.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `1234567` as `1 234 567` (thin spaces would not survive every font).
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, count: u64) -> Bar {
        Bar {
            label: label.into(),
            count,
            accent: false,
        }
    }

    fn chart(bars: Vec<Bar>) -> BarChart {
        BarChart {
            title: "Cluster sizes".into(),
            x_caption: "profiles per cluster".into(),
            bars,
            marker: None,
            log_scale: false,
        }
    }

    fn rect_heights(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|rect| {
                let start = rect.find("height=\"").unwrap() + 8;
                rect[start..start + rect[start..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_to_counts_and_tallest_fills_the_plot() {
        let svg = render_bar_chart(&chart(vec![bar("2", 100), bar("3", 50), bar("4", 0)]));
        let heights = rect_heights(&svg);
        assert_eq!(heights.len(), 3);
        assert_eq!(heights[0], HEIGHT - TOP - BOTTOM);
        assert_eq!(heights[1], heights[0] / 2.0);
        assert_eq!(heights[2], 0.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>3: 50</title>"));
    }

    #[test]
    fn log_scale_compresses_large_counts() {
        let mut log_chart = chart(vec![bar("a", 9), bar("b", 99_999)]);
        log_chart.log_scale = true;
        let heights = rect_heights(&render_bar_chart(&log_chart));
        // log10(10) / log10(100000) = 1/5
        assert!((heights[0] / heights[1] - 0.2).abs() < 1e-3, "{heights:?}");
    }

    #[test]
    fn labels_are_escaped() {
        let mut hostile = chart(vec![bar("<script>", 1)]);
        hostile.title = "a & b".into();
        hostile.marker = Some(Marker {
            position: 0.5,
            label: "\"quoted\"".into(),
        });
        let svg = render_bar_chart(&hostile);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a &amp; b"));
        assert!(svg.contains("&quot;quoted&quot;"));
    }

    #[test]
    fn marker_sits_at_its_fractional_position() {
        let mut marked = chart(vec![bar("a", 1), bar("b", 1), bar("c", 1), bar("d", 1)]);
        marked.marker = Some(Marker {
            position: 2.5,
            label: "threshold".into(),
        });
        let svg = render_bar_chart(&marked);
        let slot = (WIDTH - LEFT - RIGHT) / 4.0;
        assert!(svg.contains(&format!(
            r#"<line class="marker" x1="{:.2}""#,
            LEFT + slot * 2.5
        )));
    }

    #[test]
    fn many_bars_get_at_most_twelve_axis_labels() {
        let bars = (0..50).map(|i| bar(&i.to_string(), i)).collect();
        let svg = render_bar_chart(&chart(bars));
        assert!(svg.matches(r#"class="tick" x="#).count() <= MAX_X_LABELS + 2);
    }

    #[test]
    fn empty_chart_says_so() {
        assert!(render_bar_chart(&chart(vec![])).contains("no data"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1 000");
        assert_eq!(group_thousands(1234567), "1 234 567");
    }
}
