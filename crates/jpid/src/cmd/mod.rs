pub mod bench;
pub mod demo;
pub mod detect;
pub mod jpki;
pub mod readers;
pub mod residence;
pub mod sim;
pub mod surface;
