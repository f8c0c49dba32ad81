//! The `plot` verb: an item's value and derivatives sampled over a range and drawn as SVG.
//!
//! The value comes from the reference interpreter ([`Module::eval`]); the derivatives are the
//! expressions the derive pipeline produces ([`activation_dsl::derive::derive_item`]), the
//! stable forms that generated code computes, evaluated in `f64` by [`Graph::eval`]. Along one
//! input: an item with several inputs holds the others at one value. A non-finite sample ends
//! a curve's segment, so a pole or a domain edge shows as a gap, not a spike; where f is not
//! finite no derivative is drawn either.

use activation_dsl::derive::derive_item;
use activation_dsl::ir::Graph;
use activation_dsl::Module;
use plotters::prelude::*;

/// How to sample an item.
pub struct Options {
    /// The first sample.
    pub from: f64,
    /// The last sample.
    pub to: f64,
    /// How many samples, evenly spaced, both ends included.
    pub samples: usize,
    /// Also draw the gradient with respect to every parameter.
    pub params: bool,
    /// The input to vary (`None`: the first).
    pub along: Option<String>,
    /// The value of every other input.
    pub at_rest: f64,
    /// Parameter overrides, by name.
    pub overrides: Vec<(String, f64)>,
}

/// One sampled curve.
struct Curve {
    label: String,
    ys: Vec<f64>,
}

/// What one image shows.
pub struct Figure {
    title: String,
    x_label: String,
    xs: Vec<f64>,
    curves: Vec<Curve>,
}

/// The item called `name` in `m`, or in the standard set `m` resolves against.
fn resolve<'m>(m: &'m Module, name: &str, file: &str) -> Result<(&'m Module, usize), String> {
    if let Some(i) = m.index_of(name) {
        return Ok((m, i));
    }
    if let Some((s, i)) = m.std.and_then(|s| s.index_of(name).map(|i| (s, i))) {
        return Ok((s, i));
    }
    let names = m
        .file
        .items
        .iter()
        .chain(m.std.iter().flat_map(|s| s.file.items.iter()))
        .map(|it| it.name.name.as_str());
    let hint = match activation_dsl::valid::suggest(name, names) {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    };
    let place = match m.std {
        Some(_) => format!("in `{file}` or the standard set"),
        None => "in the standard set".to_string(),
    };
    Err(format!("no item named `{name}` {place}{hint}"))
}

/// The most samples one curve takes (far more than an 800-pixel-wide image shows).
const MAX_SAMPLES: usize = 100_000;

/// Samples item `name` of `m` (`file` names the source in messages).
pub fn sample(m: &Module, name: &str, file: &str, opts: &Options) -> Result<Figure, String> {
    if !(opts.from.is_finite() && opts.to.is_finite() && opts.from < opts.to) {
        return Err(format!(
            "the range `--from {} --to {}` must be finite with from < to",
            opts.from, opts.to
        ));
    }
    if !(2..=MAX_SAMPLES).contains(&opts.samples) {
        return Err(format!("`--samples` must be from 2 to {MAX_SAMPLES}"));
    }
    let (module, idx) = resolve(m, name, file)?;
    let item = &module.file.items[idx];
    let inputs: Vec<&str> = item.inputs.iter().map(|i| i.name.as_str()).collect();
    let along = match &opts.along {
        None => 0,
        Some(a) => inputs.iter().position(|i| i == a).ok_or_else(|| {
            format!(
                "`{name}` has no input `{a}` (its inputs: {})",
                inputs.join(", ")
            )
        })?,
    };
    let mut values = module.defaults[idx].clone();
    for (p, v) in &opts.overrides {
        let k = item
            .params
            .iter()
            .position(|q| q.name.name == *p)
            .ok_or_else(|| format!("`{name}` has no parameter `{p}`"))?;
        values[k] = *v;
    }

    let d = derive_item(module, idx, false).map_err(|e| e.message)?;
    let g: &Graph = &d.graph;
    // The graph's inputs and parameters are the item's, in the item's order.
    let mut roots = vec![d.stable_d_inputs[along]];
    let mut labels = vec![if inputs.len() == 1 {
        "f'".to_string()
    } else {
        format!("∂f/∂{}", inputs[along])
    }];
    if opts.params {
        for (k, dp) in d.stable_d_params.iter().enumerate() {
            roots.push(*dp);
            labels.push(format!("∂f/∂{}", g.params[k]));
        }
    }

    let named: Vec<(&str, f64)> = item
        .params
        .iter()
        .zip(&values)
        .map(|(p, v)| (p.name.name.as_str(), *v))
        .collect();
    let step = (opts.to - opts.from) / (opts.samples - 1) as f64;
    let xs: Vec<f64> = (0..opts.samples)
        .map(|i| {
            if i + 1 == opts.samples {
                opts.to
            } else {
                opts.from + step * i as f64
            }
        })
        .collect();
    let mut f = Vec::with_capacity(xs.len());
    let mut ds = vec![Vec::with_capacity(xs.len()); roots.len()];
    for &x in &xs {
        let mut point = vec![opts.at_rest; inputs.len()];
        point[along] = x;
        let y = module
            .eval(name, &point, &named)
            .map_err(|e| e.to_string())?;
        f.push(y);
        // Outside the item's domain a derivative formula may still be finite (ln(x^2 - 1)
        // gives 2x / (x^2 - 1) on (-1, 1)); it is not the derivative of anything there.
        for (col, v) in ds.iter_mut().zip(g.eval(&roots, &point, &values, f64::NAN)) {
            col.push(if y.is_finite() { v } else { f64::NAN });
        }
    }
    let mut curves = vec![Curve {
        label: "f".into(),
        ys: f,
    }];
    curves.extend(
        labels
            .into_iter()
            .zip(ds)
            .map(|(label, ys)| Curve { label, ys }),
    );

    let params_text: Vec<String> = named
        .iter()
        .map(|(p, v)| format!("{p} = {}", activation_dsl::ir::fmt_num(*v)))
        .collect();
    let head = if params_text.is_empty() {
        format!("{name}({})", inputs.join(", "))
    } else {
        format!("{name}({}; {})", inputs.join(", "), params_text.join(", "))
    };
    let body = &module.source[item.body.span.start..item.body.span.end];
    let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut x_label = inputs[along].to_string();
    let rest: Vec<String> = inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != along)
        .map(|(_, n)| format!("{n} = {}", activation_dsl::ir::fmt_num(opts.at_rest)))
        .collect();
    if !rest.is_empty() {
        x_label += &format!("   ({})", rest.join(", "));
    }
    Ok(Figure {
        title: format!("{head} = {body}"),
        x_label,
        xs,
        curves,
    })
}

/// The curves' colours, in order (f, f', then the parameter gradients).
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];

/// The longest title drawn in full; a longer one ends in `…`.
const MAX_TITLE: usize = 140;

/// Draws `fig` as an SVG document.
pub fn render(fig: &Figure) -> Result<String, String> {
    let (w, h) = (800u32, 500u32);
    let mut svg = String::new();
    let finite = fig
        .curves
        .iter()
        .flat_map(|c| c.ys.iter().copied())
        .filter(|y| y.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    if lo > hi {
        return Err("no curve has a finite value on this range".into());
    }
    let pad = if hi - lo > 0.0 { 0.06 * (hi - lo) } else { 1.0 };
    let (lo, hi) = (lo - pad, hi + pad);
    let (x0, x1) = (fig.xs[0], fig.xs[fig.xs.len() - 1]);
    let title = if fig.title.chars().count() > MAX_TITLE {
        let cut: String = fig.title.chars().take(MAX_TITLE - 1).collect();
        cut + "…"
    } else {
        fig.title.clone()
    };
    // plotters estimates a character at 0.7 / 1.24^2 of the font size; keep the title inside.
    let size = (1650.0 / title.chars().count().max(1) as f64).clamp(11.0, 22.0);
    let err = |e: DrawingAreaErrorKind<_>| format!("cannot draw the plot: {e}");
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", size))
            .margin(16)
            .x_label_area_size(42)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(&fig.x_label)
            .y_desc("value")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        // The axes through the origin, where they are in view.
        let axis = BLACK.mix(0.35);
        if lo < 0.0 && hi > 0.0 {
            chart
                .draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], axis))
                .map_err(err)?;
        }
        if x0 < 0.0 && x1 > 0.0 {
            chart
                .draw_series(LineSeries::new([(0.0, lo), (0.0, hi)], axis))
                .map_err(err)?;
        }
        for (k, curve) in fig.curves.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            let style = color.stroke_width(2);
            let segments = segments(&fig.xs, &curve.ys);
            // An empty series still carries the legend entry of a curve with no finite value.
            let first = segments.first().cloned().unwrap_or_default();
            chart
                .draw_series(LineSeries::new(first, style))
                .map_err(err)?
                .label(curve.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            for seg in segments.into_iter().skip(1) {
                chart
                    .draw_series(LineSeries::new(seg, style))
                    .map_err(err)?;
            }
        }
        chart
            .configure_series_labels()
            .position(legend_corner(fig, (x0, x1), (lo, hi)))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The corner for the legend: the one fewest samples fall in (a corner is a quarter of the
/// width and a fifth of the height, about the legend's size), upper left on a tie.
fn legend_corner(fig: &Figure, (x0, x1): (f64, f64), (lo, hi): (f64, f64)) -> SeriesLabelPosition {
    let (wx, wy) = ((x1 - x0) / 4.0, (hi - lo) / 5.0);
    let corners = [
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let count = |right: bool, upper: bool| {
        fig.curves
            .iter()
            .flat_map(|c| fig.xs.iter().zip(&c.ys))
            .filter(|(&x, &y)| {
                let in_x = if right { x >= x1 - wx } else { x <= x0 + wx };
                let in_y = if upper { y >= hi - wy } else { y <= lo + wy };
                in_x && in_y
            })
            .count()
    };
    let mut best = (usize::MAX, SeriesLabelPosition::UpperLeft);
    for (pos, right, upper) in corners {
        let n = count(right, upper);
        if n < best.0 {
            best = (n, pos);
        }
    }
    best.1
}

/// The runs of finite samples of one curve: each run is drawn as one line.
fn segments(xs: &[f64], ys: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for (&x, &y) in xs.iter().zip(ys) {
        if y.is_finite() {
            if !open {
                out.push(Vec::new());
                open = true;
            }
            out.last_mut().expect("opened").push((x, y));
        } else {
            open = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{legend_corner, segments, Curve, Figure};
    use plotters::chart::SeriesLabelPosition;

    #[test]
    fn a_non_finite_sample_splits_the_curve() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, f64::NEG_INFINITY];
        assert_eq!(
            segments(&xs, &ys),
            vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]
        );
        assert!(segments(&xs[..1], &[f64::NAN]).is_empty());
    }

    #[test]
    fn the_legend_goes_where_no_curve_is() {
        let xs: Vec<f64> = (0..=100).map(|i| i as f64 / 10.0 - 5.0).collect();
        let fig = |ys: Vec<f64>| Figure {
            title: String::new(),
            x_label: String::new(),
            curves: vec![Curve {
                label: "f".into(),
                ys,
            }],
            xs: xs.clone(),
        };
        let rising = fig(xs.clone());
        let falling = fig(xs.iter().map(|x| -x).collect());
        let range = ((-5.0, 5.0), (-5.0, 5.0));
        let pos = |f: &Figure| format!("{:?}", legend_corner(f, range.0, range.1));
        assert_eq!(
            pos(&rising),
            format!("{:?}", SeriesLabelPosition::UpperLeft)
        );
        assert_eq!(
            pos(&falling),
            format!("{:?}", SeriesLabelPosition::UpperRight)
        );
    }
}
