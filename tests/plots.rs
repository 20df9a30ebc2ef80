//! Tests of the chart layer (`netsim::plot`): every chart kind writes a PNG and
//! an SVG, deterministically, from realistic and from hostile data.
//!
//! Set `NETSIM_PLOTS_DIR=/some/dir` to keep the sample charts there for
//! looking at; otherwise they go to a temporary folder that is removed.

use std::fs;
use std::path::{Path, PathBuf};

use netsim::plot::{
    Band, BarChart, Ladder, LadderArrow, LineChart, Marker, PlotError, Series, SeriesStyle,
    StackedAreaChart, top_n, write_bar_chart, write_ladder, write_line_chart, write_stacked_area,
};
use proptest::prelude::*;

/// A scratch folder for one test, removed on drop unless `NETSIM_PLOTS_DIR` is set.
struct Scratch {
    dir: PathBuf,
    keep: bool,
}

impl Scratch {
    fn new(test: &str) -> Scratch {
        match std::env::var_os("NETSIM_PLOTS_DIR") {
            Some(dir) => Scratch {
                dir: PathBuf::from(dir).join(test),
                keep: true,
            },
            None => {
                let dir = std::env::temp_dir()
                    .join(format!("netsim-plots-{}-{test}", std::process::id()));
                let _ = fs::remove_dir_all(&dir);
                Scratch { dir, keep: false }
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Checks the files written under `dir/stem`, writes them again under
/// `dir/again/stem` and checks both writes are byte-identical.
fn check_outputs(
    dir: &Path,
    stem: &str,
    title: &str,
    write: impl Fn(&Path) -> Result<(), PlotError>,
) {
    write(dir).unwrap();
    write(&dir.join("again")).unwrap();
    let png = fs::read(dir.join(format!("{stem}.png"))).unwrap();
    let svg = fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(png.len() > 1000, "{stem}.png is {} bytes", png.len());
    assert_eq!(png[..8], PNG_SIGNATURE, "{stem}.png is not a PNG");
    assert!(
        svg.starts_with("<svg"),
        "{stem}.svg does not start with <svg"
    );
    assert!(svg.contains(title), "{stem}.svg lacks its title {title:?}");
    assert!(
        png == fs::read(dir.join("again").join(format!("{stem}.png"))).unwrap(),
        "{stem}.png differs between two writes"
    );
    assert!(
        svg == fs::read_to_string(dir.join("again").join(format!("{stem}.svg"))).unwrap(),
        "{stem}.svg differs between two writes"
    );
}

// ---------------------------------------------------------------- sample data

/// A deterministic wiggle in [-1, 1].
fn wiggle(t: f64, k: f64) -> f64 {
    ((t * 1.7 + k).sin() + (t * 0.63 + 2.0 * k).sin() * 0.5) / 1.5
}

/// Throughput of three flows over 30 s, link R2-R4 down from 10 s to 15 s.
fn throughput_chart() -> LineChart {
    let times: Vec<f64> = (0..=120).map(|i| f64::from(i) * 0.25).collect();
    let flow = |base: f64, k: f64, start: f64, rerouted_at: Option<f64>| -> Vec<(f64, f64)> {
        times
            .iter()
            .map(|&t| {
                let down = (10.0..15.0).contains(&t) && rerouted_at.is_none_or(|r| t < r);
                let y = if t < start || down {
                    0.0
                } else {
                    base + 0.6 * wiggle(t, k)
                };
                (t, y)
            })
            .collect()
    };
    LineChart {
        title: "Throughput per flow (dumbbell, 10 Mbit/s bottleneck)".into(),
        x_label: "time (s)".into(),
        y_label: "throughput (Mbit/s)".into(),
        series: vec![
            Series::line("flow 1: h1 → h4 TCP", flow(4.2, 0.0, 0.0, Some(11.5))),
            Series::line("flow 2: h2 → h5 TCP", flow(3.1, 1.0, 2.0, None)),
            Series::step(
                "flow 3: h3 → h6 UDP 2 Mbit/s",
                flow(2.0, 2.0, 5.0, Some(10.5)),
            ),
        ],
        bands: vec![Band::new(10.0, 15.0, "R2-R4 down")],
        ..Default::default()
    }
}

/// Losses per second, stacked by cause.
fn losses_chart() -> StackedAreaChart {
    let x: Vec<f64> = (0..30).map(f64::from).collect();
    let layer =
        |f: &dyn Fn(f64) -> f64| x.iter().map(|&t| f(t).max(0.0).round()).collect::<Vec<_>>();
    StackedAreaChart {
        title: "Packet losses by cause".into(),
        x_label: "time (s)".into(),
        y_label: "losses (packets/s)".into(),
        layers: vec![
            (
                "queue overflow".into(),
                layer(&|t| 12.0 + 8.0 * wiggle(t, 0.3)),
            ),
            (
                "random loss (1%)".into(),
                layer(&|t| 4.0 + 2.0 * wiggle(t, 1.3)),
            ),
            (
                "link down".into(),
                layer(&|t| {
                    if (10.0..15.0).contains(&t) {
                        35.0 - 4.0 * (t - 10.0)
                    } else {
                        0.0
                    }
                }),
            ),
            (
                "TTL expired".into(),
                layer(&|t| if (10.0..12.0).contains(&t) { 3.0 } else { 0.0 }),
            ),
        ],
        bands: vec![Band::new(10.0, 15.0, "R2-R4 down")],
        x,
    }
}

/// Losses by cause, packet versus circuit switching.
fn causes_chart() -> BarChart {
    BarChart {
        title: "Losses by cause: packet vs circuit switching".into(),
        x_label: "loss cause".into(),
        y_label: "lost (packets)".into(),
        groups: vec![
            "queue overflow".into(),
            "random loss".into(),
            "link down".into(),
            "TTL expired".into(),
            "circuit blocked (no free slot)".into(),
        ],
        series: vec![
            ("packet".into(), vec![412.0, 88.0, 130.0, 6.0, 0.0]),
            ("circuit".into(), vec![0.0, 91.0, 245.0, 0.0, 37.0]),
        ],
    }
}

/// A TCP connection: handshake, four data segments (the third lost and
/// retransmitted after a 200 ms RTO), ACKs, and the four-way close.
fn tcp_ladder() -> Ladder {
    const ONE_WAY: f64 = 0.010; // propagation
    const SER: f64 = 0.0012; // 1448-byte segment at 10 Mbit/s
    let mut arrows = Vec::new();
    let mut send = |depart: f64, left_to_right: bool, label: &str, lost: bool| {
        let arrive = depart
            + ONE_WAY
            + if label.contains("len=1448") {
                SER
            } else {
                0.0001
            };
        arrows.push(LadderArrow {
            depart,
            arrive,
            left_to_right,
            label: label.into(),
            lost,
        });
        arrive
    };
    let t = send(0.0, true, "SYN seq=0 win=65535 len=0", false);
    let t = send(t, false, "SYN-ACK seq=0 ack=1 win=65535 len=0", false);
    let t = send(t, true, "ACK seq=1 ack=1 win=65535 len=0", false);
    let a1 = send(t, true, "seq=1 ack=1 len=1448", false);
    let a2 = send(t + SER, true, "seq=1449 ack=1 len=1448", false);
    send(t + 2.0 * SER, true, "seq=2897 ack=1 len=1448", true);
    let a4 = send(t + 3.0 * SER, true, "seq=4345 ack=1 len=1448", false);
    send(a1, false, "ACK seq=1 ack=1449", false);
    send(a2, false, "ACK seq=1 ack=2897", false);
    send(a4, false, "ACK seq=1 ack=2897 (dup)", false);
    let r = send(
        t + 2.0 * SER + 0.2,
        true,
        "seq=2897 ack=1 len=1448 (RTO retransmission)",
        false,
    );
    let t = send(r, false, "ACK seq=1 ack=5793", false);
    let t = send(t + 0.005, true, "FIN-ACK seq=5793 ack=1", false);
    let t = send(t, false, "ACK seq=1 ack=5794", false);
    let t = send(t + 0.002, false, "FIN-ACK seq=1 ack=5794", false);
    send(t, true, "ACK seq=5794 ack=2", false);
    Ladder {
        title: "TCP connection h1:40000 → h4:80".into(),
        left: "h1 (10.0.0.1)".into(),
        right: "h4 (10.0.1.4)".into(),
        arrows,
    }
}

// ---------------------------------------------------------------- the charts

#[test]
fn line_chart_files() {
    let s = Scratch::new("line");
    let chart = throughput_chart();
    check_outputs(&s.dir, "throughput", &chart.title, |d| {
        write_line_chart(&chart, d, "throughput")
    });
}

#[test]
fn stacked_area_files() {
    let s = Scratch::new("area");
    let chart = losses_chart();
    check_outputs(&s.dir, "losses", &chart.title, |d| {
        write_stacked_area(&chart, d, "losses")
    });
}

#[test]
fn bar_chart_files() {
    let s = Scratch::new("bar");
    let chart = causes_chart();
    check_outputs(&s.dir, "causes", &chart.title, |d| {
        write_bar_chart(&chart, d, "causes")
    });
}

#[test]
fn ladder_files() {
    let s = Scratch::new("ladder");
    let ladder = tcp_ladder();
    check_outputs(&s.dir, "tcp", &ladder.title, |d| {
        write_ladder(&ladder, d, "tcp")
    });
    let svg = fs::read_to_string(s.dir.join("tcp.svg")).unwrap();
    assert!(
        svg.contains("SYN seq=0 win=65535 len=0"),
        "arrow labels are text in the SVG"
    );
}

#[test]
fn many_flows_reduced_with_top_n() {
    let s = Scratch::new("top_n");
    let series = (0..40)
        .map(|i| {
            let rate = 0.2 + f64::from(i % 7) * 0.3 + f64::from(i) * 0.01;
            Series::line(
                format!("flow {i}"),
                (0..=60)
                    .map(|k| {
                        (
                            f64::from(k) * 0.5,
                            rate + 0.1 * wiggle(f64::from(k), f64::from(i)),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let chart = LineChart {
        title: "Throughput, 5 largest of 40 flows".into(),
        x_label: "time (s)".into(),
        y_label: "throughput (Mbit/s)".into(),
        series: top_n(series, 5),
        ..Default::default()
    };
    assert_eq!(chart.series.len(), 6);
    assert_eq!(chart.series[5].name, "other (35 flows)");
    check_outputs(&s.dir, "top_n", &chart.title, |d| {
        write_line_chart(&chart, d, "top_n")
    });
}

#[test]
fn series_styles_and_fixed_ranges() {
    let s = Scratch::new("styles");
    let rtt: Vec<(f64, f64)> = (0..200)
        .map(|i| {
            (
                f64::from(i) * 0.05,
                20.0 + 15.0 * wiggle(f64::from(i) * 0.05, 0.5).abs(),
            )
        })
        .collect();
    let cwnd: Vec<(f64, f64)> = (0..40)
        .map(|i| (f64::from(i) * 0.25, f64::from((i % 13) * 4 + 10)))
        .collect();
    let chart = LineChart {
        title: "Styles, a fixed range clipping data, overlapping bands".into(),
        x_label: "time (s)".into(),
        y_label: "value".into(),
        series: vec![
            Series::points("RTT sample (ms)", rtt, Marker::Circle),
            Series::step("cwnd (segments)", cwnd.clone()),
            Series::new(
                "cwnd, squares",
                cwnd.iter().map(|p| (p.0, p.1 * 0.5)).collect(),
                SeriesStyle::LinePoints(Marker::Square),
            ),
            Series::points(
                "drops",
                vec![(2.0, 5.0), (4.5, 5.0), (7.0, 5.0)],
                Marker::Cross,
            ),
            Series::points("marks", vec![(3.0, 8.0), (6.0, 8.0)], Marker::Triangle),
        ],
        bands: vec![
            Band::new(2.0, 3.0, "slow start after RTO"),
            Band::new(2.5, 4.0, "R1-R2 down"),
            Band::new(6.0, 6.0, "route change"),
        ],
        x_range: Some((1.0, 9.0)),
        y_range: Some((0.0, 40.0)),
    };
    check_outputs(&s.dir, "styles", "Styles, a fixed range", |d| {
        write_line_chart(&chart, d, "styles")
    });
}

// ---------------------------------------------------------------- hostile data

fn hostile_series() -> Vec<Vec<Series>> {
    vec![
        vec![],
        vec![Series::line("empty", vec![])],
        vec![Series::line("one point", vec![(3.0, 7.0)])],
        vec![Series::step("one point", vec![(3.0, 7.0)])],
        vec![Series::line(
            "all zero",
            (0..10).map(|i| (f64::from(i), 0.0)).collect(),
        )],
        vec![Series::line(
            "same x",
            vec![(5.0, 1.0), (5.0, 2.0), (5.0, 3.0)],
        )],
        vec![Series::line(
            "nan/inf",
            vec![
                (f64::NAN, 1.0),
                (1.0, f64::INFINITY),
                (2.0, 3.0),
                (f64::NEG_INFINITY, f64::NAN),
                (3.0, 4.0),
                (4.0, 5.0),
            ],
        )],
        vec![Series::line("only nan", vec![(f64::NAN, f64::NAN); 5])],
        vec![Series::line(
            "huge",
            vec![
                (-1e308, -1e308),
                (0.0, 0.0),
                (1e308, 1e308),
                (f64::MAX, f64::MIN),
            ],
        )],
        vec![Series::line(
            "tiny",
            vec![(1e-300, 1e-300), (2e-300, 3e-300)],
        )],
        vec![Series::line(
            "flat big",
            vec![(1e15, 1e15), (1e15 + 1.0, 1e15 + 0.5)],
        )],
        vec![
            Series::line("a", vec![(0.0, 1.0)]),
            Series::points("b", vec![(f64::NAN, 0.0)], Marker::Square),
        ],
    ]
}

#[test]
fn hostile_line_charts_do_not_panic() {
    let s = Scratch::new("hostile_line");
    let ranges = [
        None,
        Some((5.0, 5.0)),
        Some((10.0, 0.0)),
        Some((f64::NAN, 1.0)),
        Some((0.0, f64::INFINITY)),
        Some((-1e300, 1e300)),
    ];
    let mut k = 0;
    for series in hostile_series() {
        for (x_range, y_range) in ranges.iter().zip(ranges.iter().rev()) {
            let chart = LineChart {
                title: format!("hostile {k}"),
                x_label: "x".into(),
                y_label: String::new(),
                series: series.clone(),
                bands: vec![
                    Band::new(f64::NAN, 1.0, "nan band"),
                    Band::new(2.0, 2.0, ""),
                    Band::new(
                        9.0,
                        1.0,
                        "reversed band with a very long label that is wider than the band",
                    ),
                ],
                x_range: *x_range,
                y_range: *y_range,
            };
            write_line_chart(&chart, &s.dir, &format!("line{k}")).unwrap();
            k += 1;
        }
    }
    // An empty chart still says so.
    let svg = fs::read_to_string(s.dir.join("line0.svg")).unwrap();
    assert!(svg.contains("no data"));
}

#[test]
fn hostile_other_charts_do_not_panic() {
    let s = Scratch::new("hostile_other");
    let columns = [
        vec![],
        vec![1.0],
        vec![f64::NAN, 2.0, 1.0],
        vec![0.0, 0.0, 0.0],
    ];
    for (k, x) in columns.iter().enumerate() {
        for (j, layers) in [
            vec![],
            vec![("a".to_string(), vec![])],
            vec![
                ("a".to_string(), vec![f64::NAN, -3.0, f64::INFINITY]),
                ("b".to_string(), vec![0.0; 7]),
            ],
            vec![("z".to_string(), vec![0.0; 3])],
        ]
        .into_iter()
        .enumerate()
        {
            let chart = StackedAreaChart {
                title: "hostile area".into(),
                x: x.clone(),
                layers,
                bands: vec![Band::new(1.5, 1.5, "instant")],
                ..Default::default()
            };
            write_stacked_area(&chart, &s.dir, &format!("area{k}_{j}")).unwrap();
        }
    }
    for (k, (groups, series)) in [
        (vec![], vec![]),
        (vec!["a".to_string()], vec![]),
        (vec!["a".to_string(), "b".to_string()], vec![("s".to_string(), vec![f64::NAN, f64::INFINITY, 3.0])]),
        (vec!["neg".to_string(), "zero".to_string()], vec![("s".to_string(), vec![-5.0, 0.0]), ("t".to_string(), vec![0.0])]),
        (vec!["averyveryverylongcategorynamewithoutanyspaces_averyveryverylongcategorynamewithoutanyspaces".to_string()], vec![("s".to_string(), vec![1e300])]),
    ]
    .into_iter()
    .enumerate()
    {
        let chart = BarChart {
            title: "hostile bars".into(),
            groups,
            series,
            ..Default::default()
        };
        write_bar_chart(&chart, &s.dir, &format!("bar{k}")).unwrap();
    }
    let arrow = |depart: f64, arrive: f64, lost: bool| LadderArrow {
        depart,
        arrive,
        left_to_right: true,
        label: "x".into(),
        lost,
    };
    for (k, arrows) in [
        vec![],
        vec![arrow(1.0, 1.0, false)],
        vec![arrow(f64::NAN, 1.0, false), arrow(2.0, f64::INFINITY, true)],
        vec![arrow(2.0, 1.0, true), arrow(1e300, -1e300, false)],
        vec![
            arrow(1e296, 1e296 + 1e282, false),
            arrow(1e296 + 2e282, 1e296 + 3e282, true),
        ],
        vec![arrow(-5.0, -4.99, false), arrow(-4.99, -4.98, false)],
        (0..500)
            .map(|i| arrow(f64::from(i) * 1e-4, f64::from(i) * 1e-4 + 0.01, i % 7 == 0))
            .collect(),
    ]
    .into_iter()
    .enumerate()
    {
        let ladder = Ladder {
            title: String::new(),
            left: String::new(),
            right: "a very long endpoint name that cannot possibly fit above its time line at all"
                .into(),
            arrows,
        };
        write_ladder(&ladder, &s.dir, &format!("ladder{k}")).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_numbers_give_a_chart(
        points in prop::collection::vec((any::<f64>(), any::<f64>()), 0..20),
        x_range in prop::option::of((any::<f64>(), any::<f64>())),
        y_range in prop::option::of((any::<f64>(), any::<f64>())),
        band in (any::<f64>(), any::<f64>()),
    ) {
        let s = Scratch::new("proptest");
        let bands = vec![Band::new(band.0, band.1, "band")];
        let chart = LineChart {
            title: "any".into(),
            series: vec![Series::line("a", points.clone()), Series::step("b", points.iter().map(|p| (p.1, p.0)).collect())],
            bands: bands.clone(),
            x_range,
            y_range,
            ..Default::default()
        };
        prop_assert!(write_line_chart(&chart, &s.dir, "line").is_ok());
        let area = StackedAreaChart {
            title: "any".into(),
            x: points.iter().map(|p| p.0).collect(),
            layers: vec![("a".into(), points.iter().map(|p| p.1).collect()), ("b".into(), points.iter().map(|p| p.0).collect())],
            bands,
            ..Default::default()
        };
        prop_assert!(write_stacked_area(&area, &s.dir, "area").is_ok());
        let bars = BarChart {
            title: "any".into(),
            groups: points.iter().map(|p| format!("{}", p.0)).collect(),
            series: vec![("a".into(), points.iter().map(|p| p.1).collect())],
            ..Default::default()
        };
        prop_assert!(write_bar_chart(&bars, &s.dir, "bars").is_ok());
        let ladder = Ladder {
            title: "any".into(),
            left: "a".into(),
            right: "b".into(),
            arrows: points
                .iter()
                .enumerate()
                .map(|(i, p)| LadderArrow { depart: p.0, arrive: p.1, left_to_right: i % 2 == 0, label: format!("{p:?}"), lost: i % 3 == 0 })
                .collect(),
        };
        prop_assert!(write_ladder(&ladder, &s.dir, "ladder").is_ok());
    }
}

#[test]
fn a_long_legend_is_cut_short() {
    let s = Scratch::new("long_legend");
    let chart = LineChart {
        title: "Forty flows without top_n".into(),
        x_label: "time (s)".into(),
        y_label: "throughput (Mbit/s)".into(),
        series: (0..40)
            .map(|i| {
                Series::line(
                    format!(
                        "flow {i} with a rather long descriptive name h{i} → h{}",
                        i + 40
                    ),
                    vec![(0.0, f64::from(i)), (10.0, f64::from(i) + 1.0)],
                )
            })
            .collect(),
        ..Default::default()
    };
    write_line_chart(&chart, &s.dir, "legend").unwrap();
    let svg = fs::read_to_string(s.dir.join("legend.svg")).unwrap();
    assert!(
        svg.contains("more"),
        "the legend says how many entries it left out"
    );
}

// ---------------------------------------------------------------- top_n, errors

#[test]
fn top_n_keeps_the_largest_in_order_and_sums_the_rest() {
    let flat = |name: &str, y: f64| Series::line(name, vec![(0.0, y), (1.0, y), (2.0, y)]);
    let series = vec![
        flat("a", 1.0),
        flat("b", 5.0),
        flat("c", 3.0),
        flat("d", 4.0),
        flat("e", 2.0),
    ];
    let top = top_n(series.clone(), 2);
    let names: Vec<&str> = top.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["b", "d", "other (3 flows)"]);
    assert_eq!(top[2].points, vec![(0.0, 6.0), (1.0, 6.0), (2.0, 6.0)]);

    // Nothing to gain from aggregating a single series.
    assert_eq!(top_n(series.clone(), 4), series);
    assert_eq!(top_n(series.clone(), 10), series);

    // Different x grids: interpolated, zero outside a series' range.
    let other = top_n(
        vec![
            flat("big", 100.0),
            Series::line("p", vec![(0.0, 0.0), (2.0, 2.0)]),
            Series::step("q", vec![(1.0, 10.0), (3.0, 20.0)]),
        ],
        1,
    );
    assert_eq!(
        other[1].points,
        vec![(0.0, 0.0), (1.0, 11.0), (2.0, 12.0), (3.0, 20.0)]
    );

    // NaN counts as absent, in the ranking and in the sum.
    let other = top_n(
        vec![
            Series::line("nan", vec![(0.0, f64::NAN)]),
            flat("x", 1.0),
            flat("y", 2.0),
        ],
        1,
    );
    assert_eq!(other[0].name, "y");
    assert_eq!(other[1].points, vec![(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
}

#[test]
fn errors_name_the_file() {
    let s = Scratch::new("errors");
    fs::create_dir_all(&s.dir).unwrap();
    let blocker = s.dir.join("not-a-folder");
    fs::write(&blocker, b"x").unwrap();
    let err = write_line_chart(&throughput_chart(), &blocker, "t").unwrap_err();
    assert_eq!(err.path(), blocker);
    assert!(err.to_string().contains("not-a-folder"), "{err}");

    // The SVG cannot be written where a folder of that name exists.
    fs::create_dir_all(s.dir.join("taken").join("t.svg")).unwrap();
    let err = write_line_chart(&throughput_chart(), &s.dir.join("taken"), "t").unwrap_err();
    assert_eq!(err.path(), s.dir.join("taken").join("t.svg"));
}
