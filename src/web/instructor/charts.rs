//! The instructor's charts, laid out on the server: numbers in SVG user units that the templates draw
//! (`templates/instructor/charts.html` and the pages), so every chart is escaped by askama, styled by
//! `instructor.css` in the theme's colours, and has its numbers in a table beside it as its text
//! alternative. Three shapes: attempts per day (overview), the mastery trend (learner), and horizontal
//! percentage bars (analysis).

use crate::jst;
use crate::web::chrome::pick_with;
use std::collections::HashMap;

/// Days in the attempts-per-day chart, today included.
pub const CHART_DAYS: i64 = 30;

/// A bar (or a point) of a chart, in SVG user units, with its tooltip.
pub struct ChartBar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub label: String,
}

/// An axis label.
pub struct ChartTick {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

/// A day of the chart's table alternative.
pub struct DayRow {
    pub date: String,
    pub attempts: i64,
}

/// The attempts-per-day chart.
pub struct DayChart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub baseline: i64,
    pub bars: Vec<ChartBar>,
    pub y_ticks: Vec<ChartTick>,
    pub x_labels: Vec<ChartTick>,
    pub summary: String,
    pub rows: Vec<DayRow>,
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `n` (at least 1), for a readable axis.
fn nice_max(n: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= n.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Lays out attempts per day for the [`CHART_DAYS`] Japan-time days ending `today` (`jst::day`
/// numbers), from (day, attempts) counts; days without any are zero.
pub fn day_chart(counts: &[(i64, i64)], today: i64) -> DayChart {
    let (width, height, left, right, top, bottom) = (640, 200, 40, 8, 10, 26);
    let first = today - CHART_DAYS + 1;
    let by_day: HashMap<i64, i64> = counts.iter().copied().collect();
    let days: Vec<(i64, i64)> = (first..=today)
        .map(|d| (d, by_day.get(&d).copied().unwrap_or(0)))
        .collect();
    let date = |day: i64| jst::month_day(jst::day_start(day));
    let max = nice_max(days.iter().map(|d| d.1).max().unwrap_or(0));
    let plot_h = height - top - bottom;
    let slot = (width - left - right) / CHART_DAYS;
    let baseline = height - bottom;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, &(day, n))| {
            let h = n * plot_h / max;
            ChartBar {
                x: left + i as i64 * slot + 2,
                y: baseline - h,
                width: slot - 4,
                height: h,
                label: pick_with(
                    || format!("{}: {n} 回", date(day)),
                    || format!("{}: {n}", date(day)),
                ),
            }
        })
        .collect();
    let y_ticks = [0, max / 2, max]
        .iter()
        .map(|&v| ChartTick {
            x: left - 6,
            y: baseline - v * plot_h / max,
            label: v.to_string(),
        })
        .collect();
    let x_labels = days
        .iter()
        .enumerate()
        .filter(|(i, _)| (CHART_DAYS - 1 - *i as i64) % 7 == 0)
        .map(|(i, &(day, _))| ChartTick {
            x: left + i as i64 * slot + slot / 2,
            y: height - 8,
            label: date(day),
        })
        .collect();
    let total: i64 = days.iter().map(|d| d.1).sum();
    let busiest = days.iter().max_by_key(|d| (d.1, -d.0)).filter(|d| d.1 > 0);
    let summary = match busiest {
        Some(&(day, n)) => pick_with(
            || {
                format!(
                    "過去 {CHART_DAYS} 日の解答回数は合計 {total} 回。最も多かったのは {} の {n} 回です。",
                    date(day)
                )
            },
            || {
                format!(
                    "{total} attempts in the last {CHART_DAYS} days; the busiest day was {} with {n}.",
                    date(day)
                )
            },
        ),
        None => pick_with(
            || format!("過去 {CHART_DAYS} 日、このクラスの解答はありません。"),
            || format!("No attempts in this class in the last {CHART_DAYS} days."),
        ),
    };
    DayChart {
        width,
        height,
        left,
        right: width - right,
        baseline,
        bars,
        y_ticks,
        x_labels,
        summary,
        rows: days
            .iter()
            .rev()
            .map(|&(day, attempts)| DayRow {
                date: date(day),
                attempts,
            })
            .collect(),
    }
}

/// The overall mastery line.
pub struct TrendChart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub baseline: i64,
    pub points: String,
    pub dots: Vec<ChartBar>,
    pub x_labels: Vec<ChartTick>,
    pub summary: String,
}

/// Lays out the overall-mastery line (0–100%) over snapshots labelled `labels`.
pub fn trend_chart(values: &[i64], labels: &[String]) -> TrendChart {
    let (width, height, left, right, top, bottom) = (480, 160, 40, 16, 10, 26);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let baseline = height - bottom;
    let step = if values.len() > 1 {
        plot_w / (values.len() as i64 - 1)
    } else {
        0
    };
    let at = |i: usize, v: i64| (left + i as i64 * step, baseline - v * plot_h / 100);
    let points = values.iter().enumerate().map(|(i, &v)| {
        let (x, y) = at(i, v);
        format!("{x},{y}")
    });
    let dots = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (x, y) = at(i, v);
            ChartBar {
                x,
                y,
                width: 0,
                height: 0,
                label: {
                    let when = labels.get(i).cloned().unwrap_or_default();
                    pick_with(
                        || format!("{when} 時点: {v}%"),
                        || format!("As of {when}: {v}%"),
                    )
                },
            }
        })
        .collect();
    let x_labels = labels
        .iter()
        .enumerate()
        .map(|(i, l)| ChartTick {
            x: at(i, 0).0,
            y: height - 8,
            label: l.clone(),
        })
        .collect();
    let summary = match (values.first(), values.last()) {
        (Some(first), Some(last)) => {
            let since = labels.first().cloned().unwrap_or_default();
            pick_with(
                || format!("全体の習得率は {since} の {first}% から、いま {last}% です。"),
                || format!("Overall mastery went from {first}% on {since} to {last}% now."),
            )
        }
        _ => String::new(),
    };
    TrendChart {
        width,
        height,
        left,
        right: width - right,
        top,
        baseline,
        points: points.collect::<Vec<_>>().join(" "),
        dots,
        x_labels,
        summary,
    }
}

/// One row of a [`BarChart`].
pub struct BarRow {
    /// The label, cut to fit the label column (the table beside the chart has it whole).
    pub label: String,
    /// The baseline of the row's text.
    pub text_y: i64,
    /// The top of the row's track and bar.
    pub y: i64,
    /// The bar's width; `None` without data (no bar, a dash).
    pub bar: Option<i64>,
    /// The value as written at the end of the row.
    pub value: String,
}

/// Horizontal percentage bars, one per row, for the analysis page.
pub struct BarChart {
    /// The accessible name.
    pub title: String,
    pub width: i64,
    pub height: i64,
    /// Where the label column ends and the tracks start.
    pub label_end: i64,
    pub track_x: i64,
    pub track_width: i64,
    pub bar_height: i64,
    pub value_x: i64,
    pub rows: Vec<BarRow>,
}

/// Lays out `rows` of (label, percent, `None` when there is no data) as horizontal bars.
pub fn bar_chart(title: &str, rows: &[(String, Option<i64>)]) -> BarChart {
    const ROW: i64 = 24;
    const LABEL: i64 = 70;
    const TRACK: i64 = 360;
    let rows: Vec<BarRow> = rows
        .iter()
        .zip(0..)
        .map(|((label, value), i)| {
            let y = 4 + i * ROW;
            BarRow {
                label: if label.chars().count() > 8 {
                    label.chars().take(7).chain(['…']).collect()
                } else {
                    label.clone()
                },
                text_y: y + ROW / 2 + 5,
                y: y + 3,
                bar: value.map(|v| TRACK * v.clamp(0, 100) / 100),
                value: value.map_or_else(|| "—".to_string(), |v| format!("{v}%")),
            }
        })
        .collect();
    BarChart {
        title: title.to_string(),
        width: LABEL + TRACK + 60,
        height: ROW * rows.len() as i64 + 8,
        label_end: LABEL - 8,
        track_x: LABEL,
        track_width: TRACK,
        bar_height: ROW - 6,
        value_x: LABEL + TRACK + 6,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(
            [0, 1, 3, 7, 12, 51, 180].map(nice_max),
            [1, 1, 5, 10, 20, 100, 200]
        );
    }

    #[test]
    fn the_day_chart_has_a_bar_per_day_and_a_summary() {
        let today = 20_000;
        let chart = day_chart(&[(today, 4), (today - 2, 2)], today);
        assert_eq!(chart.bars.len() as i64, CHART_DAYS);
        assert_eq!(chart.rows[0].attempts, 4);
        assert_eq!(chart.rows[2].attempts, 2);
        assert!(chart.summary.contains("合計 6 回"), "{}", chart.summary);
        // An axis up to 5 over a plot 164 px high.
        assert_eq!(chart.bars.last().map(|b| b.height), Some(4 * 164 / 5));
    }

    #[test]
    fn bars_scale_and_rows_without_data_have_none() {
        let chart = bar_chart(
            "t",
            &[
                ("問1".into(), Some(50)),
                ("問2".into(), None),
                ("とても長いラベルです".into(), Some(100)),
            ],
        );
        assert_eq!(chart.rows[0].bar, Some(180), "half of the 360-unit track");
        assert_eq!(
            (chart.rows[1].bar, chart.rows[1].value.as_str()),
            (None, "—")
        );
        assert_eq!(chart.rows[2].label, "とても長いラベ…");
        assert_eq!(chart.height, 24 * 3 + 8);
    }

    #[test]
    fn the_trend_runs_from_the_first_snapshot_to_now() {
        let labels = vec!["1/1".to_string(), "1/8".to_string()];
        let chart = trend_chart(&[0, 80], &labels);
        assert_eq!(chart.dots.len(), 2);
        assert_eq!(
            chart.summary,
            "全体の習得率は 1/1 の 0% から、いま 80% です。"
        );
    }
}
