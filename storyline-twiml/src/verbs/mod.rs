//! The verbs, one file each, and the enums that hold them.

mod gather;
mod hangup;
mod pause;
mod play;
mod record;
mod redirect;
mod say;

use std::fmt;

use crate::element::{Render, display};

pub use gather::Gather;
pub use hangup::Hangup;
pub use pause::Pause;
pub use play::Play;
pub use record::Record;
pub use redirect::Redirect;
pub use say::Say;

/// A verb directly inside `<Response>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Pause>`.
    Pause(Pause),
    /// `<Record>`.
    Record(Record),
    /// `<Gather>`.
    Gather(Gather),
    /// `<Redirect>`.
    Redirect(Redirect),
    /// `<Hangup>`.
    Hangup(Hangup),
}

/// A verb nested inside `<Gather>`, which only takes these three.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GatherVerb {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Pause>`.
    Pause(Pause),
}

macro_rules! verb_enum {
    ($enum:ident: $($verb:ident),*) => {
        $(impl From<$verb> for $enum {
            fn from(verb: $verb) -> Self {
                Self::$verb(verb)
            }
        })*

        impl Render for $enum {
            fn render_into(&self, out: &mut String) {
                match self {
                    $(Self::$verb(verb) => verb.render_into(out),)*
                }
            }
        }

        impl fmt::Display for $enum {
            /// Renders the element alone, without the XML declaration.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                display(self, f)
            }
        }
    };
}
verb_enum!(Verb: Say, Play, Pause, Record, Gather, Redirect, Hangup);
verb_enum!(GatherVerb: Say, Play, Pause);

impl From<GatherVerb> for Verb {
    fn from(verb: GatherVerb) -> Self {
        match verb {
            GatherVerb::Say(say) => Self::Say(say),
            GatherVerb::Play(play) => Self::Play(play),
            GatherVerb::Pause(pause) => Self::Pause(pause),
        }
    }
}
