//! The dashboard's charts, drawn on the server as SVG with plotters (no client-side script).
//!
//! Every chart is paired on its page with a table of the same numbers, which is its text
//! alternative; the SVG itself gets `role="img"` and a `<title>`. Status colours are fixed, chosen
//! to be told apart with the common colour-vision deficiencies and to keep 3:1 contrast against
//! white (WCAG 2.2, 1.4.11); the page's legend repeats them next to the status names.

use plotters::coord::Shift;
use plotters::coord::types::{RangedCoordi32, RangedCoordi64};
use plotters::prelude::*;
use time::Date;

/// Status colours, in the order of `CommitmentStatus::ALL` (planned, in progress, delayed,
/// achieved, discontinued, withdrawn).
pub const STATUS_COLORS: [RGBColor; 6] = [
    RGBColor(0x76, 0x76, 0x76),
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xB3, 0x59, 0x00),
    RGBColor(0x00, 0x7A, 0x5A),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x00, 0x00, 0x00),
];

/// The same colours as CSS hex, for the legend.
pub fn status_color_hex(index: usize) -> String {
    STATUS_COLORS
        .get(index)
        .map(|RGBColor(r, g, b)| format!("#{r:02X}{g:02X}{b:02X}"))
        .unwrap_or_default()
}

/// A chart could not be drawn (only a bug in the drawing code can cause this).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw a chart: {0}")]
pub struct ChartError(String);

fn failed(error: impl std::fmt::Display) -> ChartError {
    ChartError(error.to_string())
}

/// One bar of a stacked bar chart: a label and counts per status.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The label on the axis, e.g. "5 Regular pathways".
    pub label: String,
    /// Counts per status, in the order of [`STATUS_COLORS`].
    pub counts: [i64; 6],
}

const WIDTH: u32 = 760;
const FONT: &str = "sans-serif";

/// Horizontal stacked bars, one per row, in the order given (first at the top).
pub fn stacked_bars(bars: &[Bar], title: &str, axis: &str) -> Result<String, ChartError> {
    let rows = u32::try_from(bars.len()).unwrap_or(u32::MAX).max(1);
    let height = 70 + 22 * rows;
    let max_total = bars
        .iter()
        .map(|bar| bar.counts.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let max_total = u32::try_from(max_total).unwrap_or(u32::MAX);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(0..max_total, (0..rows).into_segmented())
            .map_err(failed)?;
        let label_of = |value: &SegmentValue<u32>| match value {
            SegmentValue::CenterOf(row) => rows
                .checked_sub(row + 1)
                .and_then(|index| bars.get(index as usize))
                .map(|bar| shorten(&bar.label, 34))
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bars.len())
            .y_label_formatter(&label_of)
            .x_labels(max_total.min(10) as usize + 1)
            .x_label_formatter(&|value| value.to_string())
            .x_desc(axis)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 14))
            .light_line_style(RGBColor(0xE5, 0xE5, 0xE5))
            .draw()
            .map_err(failed)?;
        // The first bar is drawn on the top row: segment `rows - 1`.
        let segments = bars.iter().enumerate().flat_map(|(index, bar)| {
            let row = rows - 1 - u32::try_from(index).unwrap_or(0);
            let mut start = 0u32;
            bar.counts
                .iter()
                .zip(STATUS_COLORS)
                .filter(|(count, _)| **count > 0)
                .map(move |(count, color)| {
                    let end = start + u32::try_from(*count).unwrap_or(0);
                    let mut rectangle = Rectangle::new(
                        [
                            (start, SegmentValue::Exact(row)),
                            (end, SegmentValue::Exact(row + 1)),
                        ],
                        color.filled(),
                    );
                    rectangle.set_margin(3, 3, 0, 0);
                    start = end;
                    rectangle
                })
                .collect::<Vec<_>>()
        });
        chart.draw_series(segments).map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(accessible(svg, title))
}

/// One point of a status timeline: a period end and counts per status.
#[derive(Debug, Clone)]
pub struct TimelinePoint {
    /// The last day of the period.
    pub period_end: Date,
    /// Counts per status, in the order of [`STATUS_COLORS`].
    pub counts: [i64; 6],
}

/// Lines of commitments per status over time, one line per status that ever has any.
pub fn status_timeline(
    points: &[TimelinePoint],
    title: &str,
    axis: &str,
) -> Result<String, ChartError> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok(String::new());
    };
    let from = first.period_end.to_julian_day();
    let to = last.period_end.to_julian_day().max(from + 1);
    let max = points
        .iter()
        .flat_map(|point| point.counts)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = date_chart(&root, from..to, 0..max + (max + 9) / 10, axis)?;
        for (status, color) in STATUS_COLORS.iter().enumerate() {
            if points.iter().all(|point| point.counts[status] == 0) {
                continue;
            }
            let line = points
                .iter()
                .map(|point| (point.period_end.to_julian_day(), point.counts[status]));
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(accessible(svg, title))
}

/// One counted progress report of a commitment.
#[derive(Debug, Clone)]
pub struct Report {
    /// Its effective date.
    pub effective_date: Date,
    /// Its percent, if it gives one.
    pub percent: Option<u8>,
    /// Its status, as an index into [`STATUS_COLORS`].
    pub status: usize,
}

/// A commitment's percent complete as a step line from `from` to `to`, with a dot per report in
/// its status colour (reports without a percent sit on the line at the percent then in force).
pub fn progress_steps(
    reports: &[Report],
    from: Date,
    to: Date,
    title: &str,
    axis: &str,
) -> Result<String, ChartError> {
    let start = from.to_julian_day();
    let end = to.to_julian_day().max(start + 1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 280)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = date_chart(&root, start..end, 0..101, axis)?;
        let mut steps = vec![(start, 0)];
        let mut dots = Vec::new();
        let mut current = 0;
        for report in reports {
            let day = report.effective_date.to_julian_day();
            steps.push((day, current));
            if let Some(percent) = report.percent {
                current = i64::from(percent);
            }
            steps.push((day, current));
            dots.push((day, current, report.status));
        }
        steps.push((end, current));
        chart
            .draw_series(LineSeries::new(steps, STATUS_COLORS[1].stroke_width(2)))
            .map_err(failed)?;
        chart
            .draw_series(dots.into_iter().map(|(day, percent, status)| {
                let color = STATUS_COLORS.get(status).copied().unwrap_or(BLACK);
                Circle::new((day, percent), 5, color.filled())
            }))
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(accessible(svg, title))
}

/// A chart whose x axis is days (Julian day numbers), labelled as `YYYY-MM`.
fn date_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    days: std::ops::Range<i32>,
    values: std::ops::Range<i64>,
    axis: &str,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordi32, RangedCoordi64>>, ChartError>
{
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(days, values)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|day| {
            Date::from_julian_day(*day)
                .map(|date| format!("{}-{:02}", date.year(), u8::from(date.month())))
                .unwrap_or_default()
        })
        .y_labels(6)
        .y_desc(axis)
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
        .max_light_lines(1)
        .draw()
        .map_err(failed)?;
    Ok(chart)
}

/// Makes a plotters SVG an accessible image: `role="img"`, a `<title>`, and a class for the
/// stylesheet (which scales it to the width of the page).
fn accessible(svg: String, title: &str) -> String {
    let title = escape(title);
    match svg.split_once("<svg ") {
        Some((before, after)) => match after.split_once('>') {
            Some((attributes, rest)) => format!(
                "{before}<svg class=\"chart\" role=\"img\" aria-label=\"{title}\" {attributes}><title>{title}</title>{rest}"
            ),
            None => svg,
        },
        None => svg,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn stacked_bars_draw_one_rectangle_per_nonzero_segment() {
        let bars = [
            Bar {
                label: "1 Data".into(),
                counts: [2, 1, 0, 0, 0, 0],
            },
            Bar {
                label: "2 Drivers".into(),
                counts: [0, 0, 0, 3, 0, 0],
            },
        ];
        let svg = stacked_bars(&bars, "Commitments & status", "Commitments").unwrap();
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\""));
        assert!(svg.contains("<title>Commitments &amp; status</title>"));
        assert_eq!(svg.matches("fill=\"#767676\"").count(), 1);
        assert_eq!(svg.matches("fill=\"#0072B2\"").count(), 1);
        assert_eq!(svg.matches("fill=\"#007A5A\"").count(), 1);
    }

    #[test]
    fn timelines_and_progress_charts_render_and_empty_timelines_are_empty() {
        let points = [
            TimelinePoint {
                period_end: date!(2022 - 03 - 31),
                counts: [1, 0, 0, 0, 0, 0],
            },
            TimelinePoint {
                period_end: date!(2022 - 06 - 30),
                counts: [0, 1, 0, 0, 0, 0],
            },
        ];
        assert!(
            status_timeline(&points, "t", "n")
                .unwrap()
                .contains("<polyline")
        );
        assert!(status_timeline(&[], "t", "n").unwrap().is_empty());
        let reports = [Report {
            effective_date: date!(2022 - 05 - 01),
            percent: Some(40),
            status: 1,
        }];
        let svg = progress_steps(
            &reports,
            date!(2020 - 01 - 15),
            date!(2023 - 01 - 01),
            "p",
            "%",
        )
        .unwrap();
        assert!(svg.contains("<circle"));
    }
}
