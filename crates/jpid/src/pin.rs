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

/// Reads the PIN for `kind`.
pub fn read(kind: KeyKind, from_stdin: bool) -> Result<Pin, CliError> {
    let env = match kind {
        KeyKind::Auth => ENV_PIN,
        KeyKind::Sign => ENV_SIGN_PASSWORD,
    };
    let text: Zeroizing<String> = if from_stdin {
        let mut line = Zeroizing::new(String::new());
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
