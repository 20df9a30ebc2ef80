//! Typed ids: the index of a thing in its table, one type per kind of thing,
//! so that a node can not be passed where a link direction is meant.
//!
//! Each is a `u32` (tables stay small) with `index()` for the table lookup.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its table.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                u64::from(id.0)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                i64::from(id.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// A node (host or router), in the scenario's declaration order.
    NodeId
);
id!(
    /// A link, in the scenario's declaration order.
    LinkId
);
id!(
    /// One direction of a link: `link * 2` is a→b, `link * 2 + 1` is b→a.
    ChannelId
);
id!(
    /// A TCP connection's slot in its stack's table (reused once it is gone).
    ConnId
);
id!(
    /// An application of the run (servers first, then one per flow, then any
    /// added with `Simulation::add_app`).
    AppId
);

impl ChannelId {
    /// The link this direction belongs to.
    #[inline]
    pub const fn link(self) -> LinkId {
        LinkId(self.0 / 2)
    }
}

impl LinkId {
    /// Its two directions: a→b and b→a.
    #[inline]
    pub const fn channels(self) -> [ChannelId; 2] {
        [ChannelId(self.0 * 2), ChannelId(self.0 * 2 + 1)]
    }
}
