//! The `jpid` command.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;
mod context;
mod error;
mod logging;
mod output;
mod reader;
mod testroots;

use cli::{Cli, Command, SimCommand};
use context::Ctx;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.global.verbose);
    let ctx = Ctx::new(&cli.global);
    let result = match &cli.command {
        Command::Demo => cmd::demo::run(&ctx),
        Command::Readers => cmd::readers::run(&ctx),
        Command::Detect => cmd::detect::run(&ctx),
        Command::Sim(SimCommand::List) => cmd::sim::list(&ctx),
        Command::Sim(SimCommand::Attach {
            card,
            vpcd,
            connect_timeout,
        }) => cmd::sim::attach(&ctx, card, vpcd, *connect_timeout),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ctx.out.error(&e);
            ExitCode::from(e.kind.exit_code())
        }
    }
}
