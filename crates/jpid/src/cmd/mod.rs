pub mod demo;
pub mod detect;
pub mod readers;
pub mod sim;
