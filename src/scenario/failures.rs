//! Checking what happens to the network itself: `[[failure]]` tables (and the
//! failure-time files they name), `[routing]` and `[circuit]`.
//!
//! A failure names a link (`link = ["R2", "R4"]`) or a router (`node = "R3"`),
//! and says when: `down` (and optionally `up`), or `mtbf` and `mttr` for a
//! random process. A failure can instead name a `file` of lines
//! `TIME,down|up,link:A-B|node:R` (comments start with `#`), read relative to
//! the scenario file. Scheduled intervals on one element must not overlap.

use super::schema::{RawCircuit, RawFailure, RawRouting};
use super::{CircuitSpec, Element, FailureSpec, NodeKind, RoutingSpec, Scenario, Validator};
use crate::error::{Error, Location, Result};
use crate::sim::SimTime;
use crate::units::Duration;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// The largest side file (failure times, flow sizes) read, bytes.
const MAX_SIDE_FILE: u64 = 64 << 20;

impl Validator<'_> {
    pub(super) fn routing(&self, raw: Option<&RawRouting>) -> RoutingSpec {
        let d = RoutingSpec::default();
        RoutingSpec {
            detection: raw.and_then(|r| r.detection).map_or(d.detection, |x| x.0),
            convergence: raw
                .and_then(|r| r.convergence)
                .map_or(d.convergence, |x| x.0),
            multipath: raw.and_then(|r| r.multipath).unwrap_or(d.multipath),
        }
    }

    pub(super) fn circuit(&self, raw: Option<&RawCircuit>) -> CircuitSpec {
        let d = CircuitSpec::default();
        CircuitSpec {
            hop_processing: raw
                .and_then(|c| c.hop_processing)
                .map_or(d.hop_processing, |x| x.0),
            retries: raw.and_then(|c| c.retries).unwrap_or(d.retries),
            backoff: raw.and_then(|c| c.backoff).map_or(d.backoff, |x| x.0),
        }
    }

    pub(super) fn failures(
        &self,
        raw: &[RawFailure],
        index: &BTreeMap<&str, usize>,
        sc: &Scenario,
    ) -> Result<Vec<FailureSpec>> {
        let mut out = Vec::new();
        // Scheduled intervals per element, with the offset that declared each.
        let mut intervals: BTreeMap<Element, Vec<(SimTime, SimTime, usize)>> = BTreeMap::new();
        for f in raw {
            if let Some(file) = &f.file {
                if f.link.is_some() || f.node.is_some() || f.down.is_some() || f.mtbf.is_some() {
                    return self.err(file.span(), "a failure with `file` takes no other keys; the file names elements and times");
                }
                for (element, down, up) in self.failure_file(file, index, sc)? {
                    intervals.entry(element).or_default().push((
                        down,
                        up.unwrap_or(SimTime::MAX),
                        file.span().start,
                    ));
                    out.push(FailureSpec::Scheduled { element, down, up });
                }
                continue;
            }
            let element = self.element(f, index, sc)?;
            let time = |t: &Spanned<Duration>, what: &str| -> Result<SimTime> {
                if t.get_ref().0 > sc.duration {
                    return self.err(t.span(), format!("{what} {} is past the end of the simulation; expected a time from 0s to {}", t.get_ref(), Duration(sc.duration)));
                }
                Ok(t.get_ref().0)
            };
            match (&f.down, &f.mtbf) {
                (Some(down), None) => {
                    if f.mttr.is_some() {
                        return self.err(down.span(), "`down` and `mttr` do not go together; expected `down` (and `up`) or `mtbf` and `mttr`");
                    }
                    let d = time(down, "down")?;
                    let u = match &f.up {
                        Some(up) => {
                            let u = time(up, "up")?;
                            if u <= d {
                                return self.err(
                                    up.span(),
                                    format!(
                                        "up {} is not after down {}; expected up > down",
                                        up.get_ref(),
                                        down.get_ref()
                                    ),
                                );
                            }
                            Some(u)
                        }
                        None => None,
                    };
                    intervals.entry(element).or_default().push((
                        d,
                        u.unwrap_or(SimTime::MAX),
                        down.span().start,
                    ));
                    out.push(FailureSpec::Scheduled {
                        element,
                        down: d,
                        up: u,
                    });
                }
                (None, Some(mtbf)) => {
                    let Some(mttr) = &f.mttr else {
                        return self.err(
                            mtbf.span(),
                            "`mtbf` needs `mttr` (the mean time to repair), e.g. mttr = \"2s\"",
                        );
                    };
                    if let Some(up) = &f.up {
                        return self.err(up.span(), "`up` does not go with `mtbf`; a random failure process draws its own repair times from `mttr`");
                    }
                    for t in [mtbf, mttr] {
                        if t.get_ref().0 == SimTime::ZERO {
                            return self.err(
                                t.span(),
                                "a mean time must be longer than zero, e.g. \"10s\"",
                            );
                        }
                    }
                    out.push(FailureSpec::Random {
                        element,
                        mtbf: mtbf.get_ref().0,
                        mttr: mttr.get_ref().0,
                    });
                }
                (Some(down), Some(_)) => {
                    return self.err(down.span(), "`down` and `mtbf` do not go together; expected a scheduled failure (`down`, `up`) or a random one (`mtbf`, `mttr`)");
                }
                (None, None) => {
                    let span = f
                        .link
                        .as_ref()
                        .map(|l| l.span())
                        .or(f.node.as_ref().map(|n| n.span()))
                        .unwrap_or(0..0);
                    return self.err(span, "a failure needs a time: `down` (and optionally `up`), or `mtbf` and `mttr`");
                }
            }
        }
        for list in intervals.values_mut() {
            list.sort();
            for pair in list.windows(2) {
                let ((_, end, _), (start, _, at)) = (pair[0], pair[1]);
                if start < end {
                    return self.err(at..at, "this failure overlaps an earlier one of the same element; expected the element to be up again (`up`) before it fails again");
                }
            }
        }
        Ok(out)
    }

    fn element(
        &self,
        f: &RawFailure,
        index: &BTreeMap<&str, usize>,
        sc: &Scenario,
    ) -> Result<Element> {
        match (&f.link, &f.node) {
            (Some(link), None) => self.link_between(link, index, sc),
            (None, Some(node)) => {
                let n = self.node_ref(node, index)?;
                if sc.nodes[n].kind != NodeKind::Router {
                    return self.err(node.span(), format!("`{}` is a host; expected a router (a failing host's link can be failed with `link`)", node.get_ref()));
                }
                Ok(Element::Node(n))
            }
            (Some(link), Some(_)) => self.err(
                link.span(),
                "a failure names either a `link` or a `node`, not both",
            ),
            (None, None) => self.err(
                f.down
                    .as_ref()
                    .or(f.mtbf.as_ref())
                    .map_or(0..0, |d| d.span()),
                "a failure needs `link = [\"A\", \"B\"]` or `node = \"R\"` (or `file`)",
            ),
        }
    }

    fn link_between(
        &self,
        link: &Spanned<Vec<Spanned<String>>>,
        index: &BTreeMap<&str, usize>,
        sc: &Scenario,
    ) -> Result<Element> {
        let ends = link.get_ref();
        if ends.len() != 2 {
            return self.err(link.span(), format!("`link` names {} nodes; expected the two ends of a link, e.g. link = [\"R2\", \"R4\"]", ends.len()));
        }
        let (a, b) = (
            self.node_ref(&ends[0], index)?,
            self.node_ref(&ends[1], index)?,
        );
        match links_joining(sc, a, b).as_slice() {
            [i] => Ok(Element::Link(*i)),
            [] => self.err(link.span(), format!("no link joins `{}` and `{}`; expected the ends of a declared [[link]]", ends[0].get_ref(), ends[1].get_ref())),
            found => self.err(link.span(), format!("{} links join `{}` and `{}`; a failure must name exactly one (fail a router with `node` instead)", found.len(), ends[0].get_ref(), ends[1].get_ref())),
        }
    }

    /// Reads a failure-time file into (element, down, up) intervals.
    /// The text of a file a scenario names (relative to the scenario), and
    /// its path as shown in messages.
    pub(super) fn side_file(&self, file: &Spanned<String>, what: &str) -> Result<(String, String)> {
        let base = Path::new(self.map.file).parent().unwrap_or(Path::new("."));
        let path = base.join(file.get_ref());
        let shown = path.display().to_string();
        // Only a regular file of bounded size: a device such as /dev/zero, a
        // FIFO or /dev/stdin would never end, or exhaust memory.
        let cannot = |e: std::io::Error| format!("cannot read {what} `{shown}`: {e}");
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => return self.err(file.span(), cannot(e)),
        };
        match f.metadata() {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return self.err(
                    file.span(),
                    format!("{what} `{shown}` is not a regular file; expected a text file"),
                );
            }
            Err(e) => return self.err(file.span(), cannot(e)),
        }
        let mut text = String::new();
        let read = std::io::Read::read_to_string(
            &mut std::io::Read::take(&mut f, MAX_SIDE_FILE + 1),
            &mut text,
        );
        match read {
            Ok(n) if n as u64 > MAX_SIDE_FILE => self.err(
                file.span(),
                format!("{what} `{shown}` is larger than 64 MiB; expected a smaller text file"),
            ),
            Ok(_) => Ok((shown, text)),
            Err(e) => self.err(file.span(), cannot(e)),
        }
    }

    fn failure_file(
        &self,
        file: &Spanned<String>,
        index: &BTreeMap<&str, usize>,
        sc: &Scenario,
    ) -> Result<Vec<(Element, SimTime, Option<SimTime>)>> {
        let (shown, text) = self.side_file(file, "failure file")?;
        let at =
            |line: usize, column: usize, message: String| side_error(&shown, line, column, message);
        // Open downs per element, and the finished intervals.
        let mut open: BTreeMap<Element, SimTime> = BTreeMap::new();
        let mut out = Vec::new();
        for (i, raw_line) in text.lines().enumerate() {
            let line = raw_line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let col = |k: usize| {
                raw_line
                    .find(fields.get(k).copied().unwrap_or(""))
                    .unwrap_or(0)
                    + 1
            };
            let [time, action, element] = fields[..] else {
                return Err(at(
                    i + 1,
                    1,
                    format!(
                        "expected three fields TIME,ACTION,ELEMENT such as `5s,down,link:R2-R4`; found {}",
                        fields.len()
                    ),
                ));
            };
            let t = crate::units::parse_duration(time).map_err(|e| at(i + 1, col(0), e))?;
            if t > sc.duration {
                return Err(at(
                    i + 1,
                    col(0),
                    format!(
                        "time {time} is past the end of the simulation ({})",
                        Duration(sc.duration)
                    ),
                ));
            }
            let el = self
                .parse_element(element, index, sc)
                .map_err(|m| at(i + 1, col(2), m))?;
            match action {
                "down" => {
                    if open.insert(el, t).is_some() {
                        return Err(at(
                            i + 1,
                            col(1),
                            format!(
                                "`{element}` is already down; expected `up` before the next `down`"
                            ),
                        ));
                    }
                }
                "up" => match open.remove(&el) {
                    Some(d) if t > d => out.push((el, d, Some(t))),
                    Some(_) => {
                        return Err(at(
                            i + 1,
                            col(0),
                            format!(
                                "`{element}` comes up at {time}, not after it went down; expected a later time"
                            ),
                        ));
                    }
                    None => {
                        return Err(at(
                            i + 1,
                            col(1),
                            format!("`{element}` is not down; expected `down` before `up`"),
                        ));
                    }
                },
                other => {
                    return Err(at(
                        i + 1,
                        col(1),
                        format!("unknown action `{other}`; expected `down` or `up`"),
                    ));
                }
            }
        }
        out.extend(open.into_iter().map(|(el, d)| (el, d, None)));
        Ok(out)
    }

    /// `link:A-B` or `node:R`.
    fn parse_element(
        &self,
        s: &str,
        index: &BTreeMap<&str, usize>,
        sc: &Scenario,
    ) -> std::result::Result<Element, String> {
        let node = |name: &str| {
            index
                .get(name)
                .copied()
                .ok_or_else(|| format!("unknown node `{name}`"))
        };
        if let Some(r) = s.strip_prefix("node:") {
            let n = node(r)?;
            return if sc.nodes[n].kind == NodeKind::Router {
                Ok(Element::Node(n))
            } else {
                Err(format!("`{r}` is a host; expected a router"))
            };
        }
        let Some(pair) = s.strip_prefix("link:") else {
            return Err(format!(
                "`{s}` is not an element; expected `link:A-B` or `node:R`"
            ));
        };
        // Names may contain '-': take the split whose two halves are both nodes.
        let splits: Vec<(usize, usize)> = pair
            .match_indices('-')
            .filter_map(|(i, _)| Some((*index.get(&pair[..i])?, *index.get(&pair[i + 1..])?)))
            .collect();
        let [(a, b)] = splits[..] else {
            return Err(format!(
                "`{pair}` does not name two declared nodes joined by '-'; expected `link:A-B`"
            ));
        };
        match links_joining(sc, a, b).as_slice() {
            [i] => Ok(Element::Link(*i)),
            [] => Err(format!(
                "no link joins `{}` and `{}`",
                sc.nodes[a].name, sc.nodes[b].name
            )),
            _ => Err(format!(
                "several links join `{}` and `{}`; expected exactly one",
                sc.nodes[a].name, sc.nodes[b].name
            )),
        }
    }
}

/// Indices of the links joining `a` and `b`, in either direction.
fn links_joining(sc: &Scenario, a: usize, b: usize) -> Vec<usize> {
    sc.links
        .iter()
        .enumerate()
        .filter(|(_, l)| (l.a, l.b) == (a, b) || (l.a, l.b) == (b, a))
        .map(|(i, _)| i)
        .collect()
}

/// An error at a line and column of a file the scenario names.
pub(super) fn side_error(file: &str, line: usize, column: usize, message: String) -> Error {
    Error::Input {
        location: Location {
            file: file.to_string(),
            line,
            column,
        },
        message,
    }
}
