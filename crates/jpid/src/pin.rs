//! Where PINs come from: a no-echo prompt on the terminal, one line on stdin (`--pin-stdin`),
//! or an environment variable (`JPID_PIN`, `JPID_SIGN_PASSWORD`). Never from argv.

use std::io::{BufRead, IsTerminal};

use jpid_card::jpki::{KeyKind, Pin};
use zeroize::Zeroizing;

use crate::error::{CliError, Kind};

/// Environment variable holding the user-authentication PIN.
pub const ENV_PIN: &str = "JPID_PIN";
/// Environment variable holding the signature password.
pub const ENV_SIGN_PASSWORD: &str = "JPID_SIGN_PASSWORD";

/// Reads a secret of the text AP: its PIN (`JPID_TEXT_PIN`), or 照合番号A / B (prompt or stdin).
pub fn read_secret(
    what: &str,
    env: Option<&str>,
    from_stdin: bool,
) -> Result<Zeroizing<String>, CliError> {
    // From here on this process holds a secret: no core dump may write it to disk.
    no_core_dumps();
    if from_stdin {
        // Pre-sized: read_line then never reallocates and leaves no unwiped copy behind.
        let mut line = Zeroizing::new(String::with_capacity(256));
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::new(Kind::Io, format!("cannot read the {what} from stdin: {e}"))
        })?;
        return Ok(line);
    }
    if let Some(v) = env.and_then(|e| std::env::var(e).ok()) {
        return Ok(Zeroizing::new(v));
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("{what}: "))
            .map(Zeroizing::new)
            .map_err(|e| CliError::new(Kind::Io, format!("cannot read the {what}: {e}")));
    }
    Err(
        CliError::new(Kind::Usage, format!("the {what} is needed")).hint(format!(
            "type it at the prompt (run in a terminal) or pipe it with --pin-stdin{}",
            env.map(|e| format!(", or set {e}")).unwrap_or_default()
        )),
    )
}

/// Environment variable holding the text AP's PIN.
pub const ENV_TEXT_PIN: &str = "JPID_TEXT_PIN";

/// Reads the PIN for `kind`.
pub fn read(kind: KeyKind, from_stdin: bool) -> Result<Pin, CliError> {
    let env = match kind {
        KeyKind::Auth => ENV_PIN,
        KeyKind::Sign => ENV_SIGN_PASSWORD,
    };
    let text: Zeroizing<String> = if from_stdin {
        // Pre-sized: read_line then never reallocates and leaves no unwiped copy behind.
        let mut line = Zeroizing::new(String::with_capacity(256));
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::new(Kind::Io, format!("cannot read the PIN from stdin: {e}")))?;
        line
    } else if let Ok(v) = std::env::var(env) {
        Zeroizing::new(v)
    } else if std::io::stdin().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password(format!("{}: ", kind.pin_name()))
                .map_err(|e| CliError::new(Kind::Io, format!("cannot read the PIN: {e}")))?,
        )
    } else {
        return Err(
            CliError::new(Kind::Usage, format!("the {} is needed", kind.pin_name())).hint(format!(
                "type it at the prompt (run in a terminal), pipe it with --pin-stdin, or set {env}"
            )),
        );
    };
    Pin::new(kind, &text)
        .map_err(|e| CliError::new(Kind::Usage, e.to_string()).hint("nothing was sent to the card"))
}

/// Turns core dumps off for the rest of the process: the core-file size limit goes to zero
/// (hard and soft) and, on Linux, the process is marked not dumpable, which also keeps other
/// processes of the same user from attaching a debugger to read its memory. Called before any
/// PIN is read and by `jpid serve` (which receives PINs from the counter page).
pub fn no_core_dumps() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass and touches no Rust-owned memory.
        let _ = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
        #[cfg(target_os = "linux")]
        // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes plain integers.
        let _ = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    }
}
