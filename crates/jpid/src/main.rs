//! The `jpid` command.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;
mod cms;
mod context;
mod counter;
mod error;
mod logging;
mod output;
mod pdf_sign;
mod pin;
mod reader;

use cli::{
    BenchCommand, Cli, Command, JpkiCommand, KeyArg, MynumberCommand, PdfCommand, ResidenceCommand,
    SimCommand, TrustCommand,
};
use context::Ctx;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.global.verbose);
    let ctx = Ctx::new(&cli.global);
    let result = match &cli.command {
        Command::Demo => cmd::demo::run(&ctx),
        Command::Trust(TrustCommand::List) => cmd::trust::list(&ctx),
        Command::Trust(TrustCommand::Add { file, test }) => cmd::trust::add(&ctx, file, *test),
        Command::Trust(TrustCommand::Remove { sha256 }) => cmd::trust::remove(&ctx, sha256),
        Command::Readers => cmd::readers::run(&ctx),
        Command::Detect => cmd::detect::run(&ctx),
        Command::Residence(ResidenceCommand::Read { card_number, out }) => {
            cmd::residence::read(&ctx, card_number.as_deref(), out.as_deref())
        }
        Command::Residence(ResidenceCommand::Verify { dump, at, out }) => {
            cmd::residence::verify(&ctx, dump, at.as_deref(), out.as_deref())
        }
        Command::Jpki(JpkiCommand::Status) => cmd::jpki::status(&ctx),
        Command::Jpki(JpkiCommand::ChangePin {
            key,
            pin_stdin,
            force,
        }) => {
            let key = match key {
                KeyArg::Auth => jpid_card::jpki::KeyKind::Auth,
                KeyArg::Sign => jpid_card::jpki::KeyKind::Sign,
            };
            cmd::jpki::change_pin(&ctx, key, *pin_stdin, *force)
        }
        Command::Jpki(JpkiCommand::Verify(args)) => cmd::jpki::verify(&ctx, args),
        Command::Pdf(PdfCommand::Sign {
            input,
            output,
            pin_stdin,
            force,
        }) => cmd::pdf::sign(&ctx, input, output, *pin_stdin, *force),
        Command::Pdf(PdfCommand::Verify {
            input,
            revocation,
            at,
        }) => cmd::pdf::verify(&ctx, input, revocation, at.as_deref()),
        Command::Mynumber(MynumberCommand::Status) => cmd::mynumber::status(&ctx),
        Command::Mynumber(MynumberCommand::CardInfo) => cmd::mynumber::card_info(&ctx),
        Command::Mynumber(MynumberCommand::Check(args)) => cmd::mynumber::check(&ctx, args),
        Command::Age {
            over,
            method,
            with,
            at,
            pin_stdin,
            force,
        } => cmd::age::age(
            &ctx,
            *over,
            *method,
            with.map(Into::into),
            at.as_deref(),
            *pin_stdin,
            *force,
        ),
        Command::Mynumber(MynumberCommand::Text {
            with,
            pin_stdin,
            show_my_number,
            force,
            out,
        }) => cmd::mynumber::text(
            &ctx,
            *with,
            *pin_stdin,
            *show_my_number,
            *force,
            out.as_deref(),
        ),
        Command::Mynumber(MynumberCommand::Face {
            with,
            out,
            show_my_number,
            pin_stdin,
            force,
        }) => cmd::mynumber::face(
            &ctx,
            *with,
            out.as_deref(),
            *show_my_number,
            *pin_stdin,
            *force,
        ),
        Command::Mynumber(MynumberCommand::BirthDate {
            pin_stdin,
            force,
            out,
        }) => cmd::mynumber::birth_date(&ctx, *pin_stdin, *force, out.as_deref()),
        Command::Jpki(JpkiCommand::Certs {
            sign,
            pin_stdin,
            force,
            out,
        }) => cmd::jpki::certs(&ctx, *sign, *pin_stdin, *force, out.as_deref()),
        Command::Jpki(JpkiCommand::Sign {
            key,
            input,
            output,
            raw,
            pin_stdin,
            force,
        }) => {
            let key = match key {
                KeyArg::Auth => jpid_card::jpki::KeyKind::Auth,
                KeyArg::Sign => jpid_card::jpki::KeyKind::Sign,
            };
            cmd::jpki::sign(&ctx, key, input, output, *raw, *pin_stdin, *force)
        }
        Command::Sim(SimCommand::List) => cmd::sim::list(&ctx),
        Command::Serve(args) => cmd::serve::run(&ctx, args),
        Command::Bench(BenchCommand::Residence {
            overhead_ms,
            fsc,
            rounds,
        }) => cmd::bench::residence(&ctx, *overhead_ms, *fsc, *rounds),
        Command::Sim(SimCommand::Attach {
            card,
            vpcd,
            connect_timeout,
            run_for,
        }) => cmd::sim::attach(&ctx, card, vpcd, *connect_timeout, *run_for),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.reported {
                ctx.out.error(&e);
            }
            ExitCode::from(e.kind.exit_code())
        }
    }
}
