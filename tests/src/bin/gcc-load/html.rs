//! The report as one HTML page: tables, and plots of throughput and latency over time
//! drawn here as inline SVG, so that the page needs no network and no script.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::report::{Report, Row};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// At most this many points a line: longer runs are thinned evenly.
const MAX_POINTS: usize = 1500;

/// A line chart of `series` (name, points) over seconds; an error in drawing leaves a
/// note instead of the plot.
fn chart(title: &str, y_desc: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let mut svg = String::new();
    let drawn = draw(&mut svg, title, y_desc, series);
    match drawn {
        Ok(()) => svg,
        Err(e) => format!("<p>(the plot {} could not be drawn: {})</p>", esc(title), esc(&e)),
    }
}

fn draw(svg: &mut String, title: &str, y_desc: &str, series: &[(String, Vec<(f64, f64)>)]) -> Result<(), String> {
    let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0f64, f64::max);
    let y_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(0.0f64, f64::max);
    let y_max = if y_max <= 0.0 { 1.0 } else { y_max * 1.1 };
    let root = SVGBackend::with_string(svg, (960, 320)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(|e| e.to_string())?;
    c.configure_mesh().x_desc("seconds from the start").y_desc(y_desc).draw().map_err(|e| e.to_string())?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let step = points.len().div_ceil(MAX_POINTS).max(1);
        let thinned: Vec<(f64, f64)> = points.iter().step_by(step).copied().collect();
        c.draw_series(LineSeries::new(thinned, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

fn table(out: &mut String, rows: &[&Row]) {
    out.push_str(
        "<table><tr><th>name</th><th>attempted/s</th><th>achieved/s</th><th>p50 ms</th><th>p90 ms</th>\
         <th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>errors</th><th>statuses</th></tr>\n",
    );
    for r in rows {
        let statuses: Vec<String> = r.statuses.iter().map(|(k, v)| format!("{}: {v}", esc(k))).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td>\
             <td>{:.2}</td><td>{} ({:.3} %)</td><td>{}</td></tr>",
            esc(&r.name),
            r.attempted_per_s,
            r.achieved_per_s,
            r.p50_ms,
            r.p90_ms,
            r.p99_ms,
            r.p999_ms,
            r.max_ms,
            r.errors,
            r.error_ratio * 100.0,
            statuses.join("<br>")
        );
    }
    out.push_str("</table>\n");
}

pub fn page(r: &Report) -> String {
    let secs = |f: &dyn Fn(&crate::report::SecondRow) -> f64| -> Vec<(f64, f64)> {
        r.timeline.iter().map(|s| (s.second as f64, f(s))).collect()
    };
    let throughput = chart(
        "Throughput per second",
        "journeys per second",
        &[
            ("aimed".into(), secs(&|s| s.aimed_per_s)),
            ("started".into(), secs(&|s| s.started as f64)),
            ("ended as expected".into(), secs(&|s| s.ok as f64)),
            ("errors".into(), secs(&|s| s.errors as f64)),
        ],
    );
    let latency = chart(
        "Journey latency per second (from the intended send time)",
        "ms",
        &[("p50".into(), secs(&|s| s.p50_ms)), ("p99".into(), secs(&|s| s.p99_ms))],
    );
    let by_journey: Vec<(String, Vec<(f64, f64)>)> = r
        .journeys
        .iter()
        .map(|j| (j.name.clone(), secs(&|s| s.by_journey.get(&j.name).copied().unwrap_or(0) as f64)))
        .collect();
    let journeys = chart("Journeys ended per second, by journey", "per second", &by_journey);

    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gcc-load report {}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:90%}}td:first-child,td:last-child{{text-align:left}}\
         .met{{color:#2a2}}.breached{{color:#c22;font-weight:bold}}</style></head><body>\n\
         <h1>gcc-load report</h1>\n<p>{} — {}<br>{}<br>deadline {:.0} ms; measured {:.1} s after a {:.1} s warm-up</p>\n",
        esc(&r.date),
        esc(&r.date),
        esc(&r.target),
        esc(&r.mode),
        r.deadline_ms,
        r.measured_s,
        r.warmup_s
    );
    let _ = writeln!(
        out,
        "<p>Data: {} partners, {} customers, {} orders seeded (seed {}).</p>",
        r.data.partners, r.data.customers, r.data.orders, r.data.seed
    );
    if !r.slo.is_empty() {
        out.push_str("<h2>Objectives</h2><ul>\n");
        for s in &r.slo {
            let (class, word) = if s.met { ("met", "met") } else { ("breached", "BREACHED") };
            let _ = writeln!(
                out,
                "<li class=\"{class}\">{}: {word} (measured {})</li>",
                esc(&s.objective),
                esc(&s.measured)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Over time</h2>\n");
    out.push_str(&throughput);
    out.push_str(&latency);
    out.push_str(&journeys);
    out.push_str("<h2>Journeys</h2>\n");
    let rows: Vec<&Row> = std::iter::once(&r.total).chain(&r.journeys).collect();
    table(&mut out, &rows);
    out.push_str("<h2>RPCs</h2>\n");
    let rows: Vec<&Row> = r.rpcs.iter().collect();
    table(&mut out, &rows);
    out.push_str("<h2>Mix</h2><table><tr><th>journey</th><th>weight</th><th>calls</th></tr>\n");
    for m in &r.mix {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&m.journey), m.weight, esc(&m.rpcs));
    }
    out.push_str("</table>\n<h2>Seeding</h2><table><tr><th>rows</th><th>count</th><th>via</th><th>seconds</th><th>calls</th></tr>\n");
    for p in &r.data.phases {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            esc(&p.what),
            p.count,
            esc(&p.via),
            p.seconds,
            p.rpcs
        );
    }
    out.push_str("</table>\n<h2>Notes</h2><ul>\n");
    for n in &r.notes {
        let _ = writeln!(out, "<li>{}</li>", esc(n));
    }
    out.push_str("</ul>\n</body></html>\n");
    out
}
