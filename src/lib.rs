pub mod sim;
pub mod wire;
