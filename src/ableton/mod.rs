//! Reaching Ableton Live: the AbletonOSC client, the tool catalog mapped to OSC,
//! MIDI out, and `livegate sim`, a simulated Live speaking the same protocol.

pub mod link;
pub mod midi;
pub mod osc;
pub mod sim;
pub mod tools;
