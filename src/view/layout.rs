//! Where the viewer draws each node: computed here, once, deterministically,
//! so a page shows the same picture every time it is written.
//!
//! - Layered networks (every link joins adjacent tiers counted in hops from the
//!   hosts, three router tiers or more: fat-trees, trees) are drawn as tiers, hosts at
//!   the bottom, each tier ordered by the barycentre of its neighbours below.
//! - Anything else up to `FORCE_LIMIT` nodes gets a force-directed layout
//!   (Fruchterman and Reingold) started from a circle in declaration order:
//!   dumbbells, diamonds, rings and meshes come out in their familiar shapes.
//! - Larger irregular networks are drawn on a circle.

use crate::scenario::{NodeKind, Scenario};

/// The drawing area the coordinates fill (the page scales it).
pub const WIDTH: f64 = 1000.0;
pub const HEIGHT: f64 = 620.0;
const MARGIN: f64 = 40.0;
const FORCE_LIMIT: usize = 500;
const FORCE_ROUNDS: usize = 400;

/// How the layout was chosen (stated on the page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Tiers,
    Force,
    Circle,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Tiers => "tiers by hops from the hosts",
            Method::Force => "force-directed",
            Method::Circle => "circle",
        }
    }
}

/// Node positions in `[0, WIDTH] x [0, HEIGHT]`, in node order.
pub fn layout(sc: &Scenario) -> (Vec<(f64, f64)>, Method) {
    let n = sc.nodes.len();
    let edges: Vec<(usize, usize)> = sc.links.iter().map(|l| (l.a, l.b)).collect();
    if n == 0 {
        return (Vec::new(), Method::Circle);
    }
    if let Some(tiers) = tiers(sc, &edges) {
        return (tiered(&tiers, n, &edges), Method::Tiers);
    }
    if n <= FORCE_LIMIT {
        let hosts: Vec<usize> = (0..n)
            .filter(|&i| sc.nodes[i].kind == NodeKind::Host)
            .collect();
        let pos = force_directed(by_distance(n, &edges, hosts.first().copied()), &edges);
        (fit(level(pos, &hosts)), Method::Force)
    } else {
        (fit(circle(n)), Method::Circle)
    }
}

/// A start for the force layout: columns by hops from `origin` (the first
/// host), so that the relaxation begins untangled, a path's ends apart.
/// Without an origin, or for nodes it does not reach, the circle.
fn by_distance(n: usize, edges: &[(usize, usize)], origin: Option<usize>) -> Vec<(f64, f64)> {
    let mut pos = circle(n);
    let Some(origin) = origin else {
        return pos;
    };
    let mut adj = vec![Vec::new(); n];
    for &(a, b) in edges {
        adj[a].push(b);
        adj[b].push(a);
    }
    let mut hops = vec![usize::MAX; n];
    hops[origin] = 0;
    let mut queue = std::collections::VecDeque::from([origin]);
    while let Some(u) = queue.pop_front() {
        for &v in &adj[u] {
            if hops[v] == usize::MAX {
                hops[v] = hops[u] + 1;
                queue.push_back(v);
            }
        }
    }
    let far = hops
        .iter()
        .filter(|&&h| h != usize::MAX)
        .max()
        .copied()
        .unwrap_or(0);
    if far == 0 {
        return pos;
    }
    let mut columns = vec![Vec::new(); far + 1];
    for (i, &h) in hops.iter().enumerate() {
        if h != usize::MAX {
            columns[h].push(i);
        }
    }
    for (h, column) in columns.iter().enumerate() {
        for (k, &i) in column.iter().enumerate() {
            let x = 2.0 * h as f64 / far as f64 - 1.0;
            let y = 2.0 * (k as f64 + 0.5) / column.len() as f64 - 1.0;
            pos[i] = (x, y);
        }
    }
    pos
}

/// Each node's tier (hops from the nearest host), if the network is layered.
fn tiers(sc: &Scenario, edges: &[(usize, usize)]) -> Option<Vec<usize>> {
    let n = sc.nodes.len();
    let mut adj = vec![Vec::new(); n];
    for &(a, b) in edges {
        adj[a].push(b);
        adj[b].push(a);
    }
    let mut tier = vec![usize::MAX; n];
    let mut frontier: Vec<usize> = (0..n)
        .filter(|&i| sc.nodes[i].kind == NodeKind::Host)
        .collect();
    frontier.iter().for_each(|&i| tier[i] = 0);
    let mut depth = 0;
    while !frontier.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for &u in &frontier {
            for &v in &adj[u] {
                if tier[v] == usize::MAX {
                    tier[v] = depth;
                    next.push(v);
                }
            }
        }
        frontier = next;
    }
    let top = *tier.iter().filter(|&&t| t != usize::MAX).max()?;
    let adjacent = edges.iter().all(|&(a, b)| tier[a].abs_diff(tier[b]) == 1);
    // Two router tiers (a diamond, four parallel paths) read better as a
    // force layout; three or more (trees, fat-trees) as rows.
    (top >= 3 && adjacent && tier.iter().all(|&t| t != usize::MAX)).then_some(tier)
}

/// Tiers as rows (hosts at the bottom), ordered by barycentre sweeps.
fn tiered(tier: &[usize], n: usize, edges: &[(usize, usize)]) -> Vec<(f64, f64)> {
    let top = *tier.iter().max().unwrap_or(&0);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); top + 1];
    for (i, &t) in tier.iter().enumerate() {
        rows[t].push(i);
    }
    let mut slot = vec![0.0; n];
    let place = |rows: &Vec<Vec<usize>>, slot: &mut Vec<f64>| {
        for row in rows {
            for (k, &i) in row.iter().enumerate() {
                slot[i] = (k as f64 + 0.5) / row.len() as f64;
            }
        }
    };
    place(&rows, &mut slot);
    let mut adj = vec![Vec::new(); n];
    for &(a, b) in edges {
        adj[a].push(b);
        adj[b].push(a);
    }
    // One sweep up from the hosts (kept in declaration order), each row
    // ordered by the row below: a fat-tree's pods come out side by side, as
    // it is drawn in papers. (Sweeping down again would order the
    // aggregation switches by core group and scatter the pods.)
    for (t, by) in (1..=top).map(|t| (t, t - 1)) {
        let mut keyed: Vec<(f64, usize, usize)> = rows[t]
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let near: Vec<f64> = adj[i]
                    .iter()
                    .filter(|&&j| tier[j] == by)
                    .map(|&j| slot[j])
                    .collect();
                let centre = if near.is_empty() {
                    slot[i]
                } else {
                    near.iter().sum::<f64>() / near.len() as f64
                };
                (centre, k, i)
            })
            .collect();
        keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        rows[t] = keyed.into_iter().map(|(_, _, i)| i).collect();
        place(&rows, &mut slot);
    }
    (0..n)
        .map(|i| {
            let x = MARGIN + slot[i] * (WIDTH - 2.0 * MARGIN);
            let y = HEIGHT - MARGIN - tier[i] as f64 / top as f64 * (HEIGHT - 2.0 * MARGIN);
            (x, y)
        })
        .collect()
}

fn circle(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            (a.cos(), a.sin())
        })
        .collect()
}

/// Fruchterman-Reingold on the unit square with a cooling step; pure
/// arithmetic in a fixed order, so the result is the same on every machine.
fn force_directed(mut pos: Vec<(f64, f64)>, edges: &[(usize, usize)]) -> Vec<(f64, f64)> {
    let n = pos.len();
    let k = (4.0 / n as f64).sqrt();
    let mut step = 0.2;
    for _ in 0..FORCE_ROUNDS {
        let mut disp = vec![(0.0f64, 0.0f64); n];
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let d2 = (dx * dx + dy * dy).max(1e-6);
                let f = k * k / d2;
                disp[i].0 += dx * f;
                disp[i].1 += dy * f;
                disp[j].0 -= dx * f;
                disp[j].1 -= dy * f;
            }
        }
        for &(a, b) in edges {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(1e-3);
            let f = d / k;
            disp[a].0 -= dx * f;
            disp[a].1 -= dy * f;
            disp[b].0 += dx * f;
            disp[b].1 += dy * f;
        }
        for i in 0..n {
            let (dx, dy) = disp[i];
            let len = (dx * dx + dy * dy).sqrt();
            if len > 0.0 {
                let m = len.min(step) / len;
                pos[i].0 += dx * m;
                pos[i].1 += dy * m;
            }
        }
        step *= 0.985;
    }
    pos
}

/// Turns the picture so that the first declared host is on the left and the
/// last on the right, level with it: sources left, sinks right, as people
/// draw a diamond or a dumbbell. (Rotation by the unit vector: no trigonometry,
/// so the same bits on every machine.)
fn level(pos: Vec<(f64, f64)>, hosts: &[usize]) -> Vec<(f64, f64)> {
    let (Some(&first), Some(&last)) = (hosts.first(), hosts.last()) else {
        return pos;
    };
    let (dx, dy) = (pos[last].0 - pos[first].0, pos[last].1 - pos[first].1);
    let len = (dx * dx + dy * dy).sqrt();
    if first == last || len < 1e-9 {
        return pos;
    }
    let (ux, uy) = (dx / len, dy / len);
    pos.into_iter()
        .map(|(x, y)| (x * ux + y * uy, -x * uy + y * ux))
        .collect()
}

/// Scales positions into the drawing area.
fn fit(pos: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in &pos {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (w, h) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
    // Fill the area, stretching one axis by at most STRETCH: a tall, narrow
    // picture would otherwise leave most of the pane empty.
    const STRETCH: f64 = 1.6;
    let (sx, sy) = ((WIDTH - 2.0 * MARGIN) / w, (HEIGHT - 2.0 * MARGIN) / h);
    let (sx, sy) = (sx.min(sy * STRETCH), sy.min(sx * STRETCH));
    let (ox, oy) = (
        (WIDTH - w * sx) / 2.0 - x0 * sx,
        (HEIGHT - h * sy) / 2.0 - y0 * sy,
    );
    pos.into_iter()
        .map(|(x, y)| (x * sx + ox, y * sy + oy))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::parse("test.toml", text, "test").expect("valid scenario")
    }

    #[test]
    fn a_fat_tree_is_drawn_in_tiers_with_hosts_at_the_bottom() {
        let sc = scenario(
            "[simulation]\nname='ft'\nduration='1s'\n[[topology]]\nkind='fat-tree'\nk=4\n",
        );
        let (pos, method) = layout(&sc);
        assert_eq!(method, Method::Tiers);
        let y = |name: &str| pos[sc.nodes.iter().position(|n| n.name == name).unwrap()].1;
        assert!(y("h0") > y("edge0") && y("edge0") > y("agg0") && y("agg0") > y("core0"));
        // Hosts of one edge switch sit next to each other.
        let x = |name: &str| pos[sc.nodes.iter().position(|n| n.name == name).unwrap()].0;
        assert!((x("h0") - x("h1")).abs() < (x("h0") - x("h15")).abs());
    }

    #[test]
    fn a_dumbbell_is_force_directed_with_its_two_sides_apart() {
        let sc = scenario(
            "[simulation]\nname='db'\nduration='1s'\n[[topology]]\nkind='dumbbell'\npairs=3\n",
        );
        let (pos, method) = layout(&sc);
        assert_eq!(method, Method::Force);
        let at = |name: &str| pos[sc.nodes.iter().position(|n| n.name == name).unwrap()];
        let d = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        // Each source is nearer its own router than the other side's.
        assert!(d(at("s0"), at("left")) < d(at("s0"), at("right")));
        assert!(d(at("d2"), at("right")) < d(at("d2"), at("left")));
        assert!(
            pos.iter()
                .all(|&(x, y)| (0.0..=WIDTH).contains(&x) && (0.0..=HEIGHT).contains(&y))
        );
        assert_eq!(pos, layout(&sc).0, "deterministic");
        // Turned so that the sources are on the left, the sinks on the right.
        assert!(
            at("s0").0 < at("left").0 && at("left").0 < at("right").0 && at("right").0 < at("d2").0
        );
    }
}
