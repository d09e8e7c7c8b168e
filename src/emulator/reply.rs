//! What the connection does with a call: answer it, drop it, or hold it and act late.

use super::action::Effect;

/// What the connection does with a call.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Write this status line and JSON body.
    Answer(&'static str, Vec<u8>),
    /// Close the connection without writing anything.
    Lose,
    /// Write nothing; once the client gives up, wait a moment and act.
    Late(Box<Effect>),
}
