//! Command-line definitions (clap), kept apart from the command bodies in `cmd/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Readers (--reader SPEC, or the JPID_READER environment variable):
  pcsc                  the first PC/SC reader holding a card (default)
  pcsc:NAME             the PC/SC reader whose name contains NAME (case-insensitive)
  sim:KIND[,key=value]  a built-in simulated card; `jpid sim list` shows the kinds
                        (residence, residence-gen2, spr, spr-gen2, mynumber, jpki-smartphone)
                        keys: card-number=AB12345678CD, tamper=face|front|address|
                        signature|certificate, photo=no (residence kinds);
                        tamper=basic|mynumber|cvc|face-photo|face-dob|face-expiry|
                        birth-record|my-number-image|surface-cvc|surface-cvc-issuer|other-card|clone,
                        auth-tries=N, sign-tries=N, text-tries=N (mynumber);
                        expiry=YYYY-MM-DD (residence-gen2, spr-gen2, mynumber); ext=on|off

Trust:
  Production roots (JPKI 2015 and 2023) are built in. Add roots with --trust-anchor FILE
  (the ZairyuCard CA files from the Immigration Services Agency are checked against their
  published fingerprints). Test roots are used only with --trust test, or automatically for
  sim: readers; every output then says \"test trust\".

Examples:
  jpid demo                                 run every simulated card through jpid (no reader)
  jpid residence read --out card1           read a residence card, prove it genuine, export images
  jpid residence verify card1/card.json     check a saved read again, offline
  jpid --reader sim:residence detect        identify a simulated residence card
  jpid readers                              list PC/SC readers and whether they hold a card
  jpid detect --json                        identify the card on the first reader, as JSON
  jpid --reader pcsc:sony detect            use the reader whose name contains \"sony\"
  jpid sim attach --card mynumber           put a simulated card behind pcscd (vsmartcard-vpcd)
  jpid mynumber check                       PIN-less counter check: asks for 照合番号B, authenticates
                                            the chip, checks the JPKI authentication certificate

Verdict: 真正 / GENUINE (exit 0), 真正・有効期限切れ / GENUINE BUT EXPIRED (exit 9: the
signed data is genuine but the card, its period of stay or a certificate has expired), or NOT
GENUINE (exit 7). When the chip does not prove the card valid today (it records no expiry, or
only an unsigned one no chip vouched for), GENUINE reads 真正・有効期限は券面で確認 / GENUINE:
CHECK THE EXPIRY ON THE CARD (still exit 0; in JSON validity_proven is false). Beside it, three facets: which fields the issuer signed (every field shown
that is not signed is marked 署名対象外 / NOT SIGNED), whether the card is valid on the day (or
at --at), and whether the chip itself proved it holds the card's key (yes, no, not possible
for this card type, not applicable to an offline dump). docs/json.md has the details.

Exit status: 0 success (genuine; the headline says CHECK THE EXPIRY ON THE CARD when the chip
does not prove the card valid, and --json says validity_proven: false); 2 usage or bad input file; 3 reader or PC/SC
service problem; 4 no card or card removed; 5 unsupported card; 6 the card refused (e.g.
wrong card number) or answered wrongly; 7 the card is NOT proven genuine; 8 a PIN or key
problem; 9 genuine but expired; 1 anything else.
Under --json, errors are printed on stdout as {\"error\":{\"kind\":...,\"message\":...}}.";

/// jpid reads the IC chips of Japan's Residence Card, Special Permanent Resident Certificate and
/// My Number Card, and proves they are genuine.
#[derive(Debug, Parser)]
#[command(name = "jpid", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Where the card is: pcsc, pcsc:NAME or sim:KIND[,key=value...]
    #[arg(
        long,
        global = true,
        env = "JPID_READER",
        value_name = "SPEC",
        default_value = "pcsc"
    )]
    pub reader: String,

    /// Print machine-readable JSON on stdout (schema: docs/json.md)
    #[arg(long, global = true)]
    pub json: bool,

    /// Add trusted root certificates from FILE (PEM or DER); repeatable
    #[arg(long = "trust-anchor", global = true, value_name = "FILE")]
    pub trust_anchors: Vec<PathBuf>,

    /// Also trust the simulator's TEST roots (never for real cards)
    #[arg(long, global = true, value_enum, value_name = "test")]
    pub trust: Option<TrustChoice>,

    /// More log output on stderr: -v info, -vv debug, -vvv every APDU (PINs redacted)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Extra trust the user may ask for by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrustChoice {
    /// The simulator's test PKI roots.
    Test,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every built-in simulated card through jpid: detection and every check jpid has
    /// (no reader needed)
    Demo,
    /// List PC/SC readers and whether each holds a card (ATRs: docs/spec/mynumber-card.md §6)
    Readers,
    /// Identify the card in the reader (residence card gen 1/2, SPR certificate, My Number card,
    /// smartphone JPKI token) without touching any PIN (docs/spec/residence-card.md §0,
    /// docs/spec/mynumber-card.md §2, §6)
    Detect,
    /// Residence Card / Special Permanent Resident Certificate: read the chip and prove it genuine
    #[command(subcommand)]
    Residence(ResidenceCommand),
    /// My Number card / smartphone JPKI: PIN status, certificates, signing (公的個人認証)
    #[command(subcommand)]
    Jpki(JpkiCommand),
    /// The verification service: HTTP API, counter web page and audit store (docs/service.md)
    ///
    /// With no flags it listens on 127.0.0.1:8080 and keeps its audit store in an SQLite file in
    /// your data directory. Every endpoint but /healthz needs an API key: make one first with
    /// `jpid serve keys create --name NAME --scopes SCOPES`. The counter page at / reads cards with
    /// --reader (default pcsc). Test roots are trusted only with --trust test.
    ///
    /// Examples:
    ///   jpid serve keys create --name counter-1 --scopes counter,audit
    ///   jpid serve --listen 0.0.0.0:8080 --db postgres://jpid@localhost/jpid
    ///   jpid --trust test --reader sim:residence serve      (a demo with a simulated card)
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// My Number card: every PIN's remaining tries, the text AP, the card-face AP, the common AP record
    #[command(subcommand)]
    Mynumber(MynumberCommand),
    /// PDF signatures with the My Number card's signature key, in the profile the Legal Affairs
    /// Bureau's online filing accepts (adbe.pkcs7.detached), and their verification (docs/pdf.md)
    #[command(subcommand)]
    Pdf(PdfCommand),
    /// Is the holder at least N years old? Prints only yes or no, how it was proven and that the
    /// data was genuine: no name, no My Number, no birth date (docs/spec/services.md §3).
    ///
    /// Method `text` reads the birth date from the card-face entry auxiliary AP with 照合番号B
    /// (or the PIN); method `surface-dob` reads the card-face AP's birth record with the 6-digit
    /// birth-date key (era YYMMDD; stdin, prompt or JPID_BIRTH_DATE_KEY). Either is proven signed
    /// by J-LIS. Method `jpki` reads the birth date from the JPKI signature certificate after the
    /// signature password and checks its chain.
    ///
    /// Examples:
    ///   echo 02010120351234 | jpid age --over 20 --pin-stdin
    ///   echo 020101 | jpid age --over 18 --method surface-dob --pin-stdin
    #[command(verbatim_doc_comment, after_help = PIN_HELP)]
    Age {
        /// The age to check
        #[arg(long, value_name = "N")]
        over: u32,
        /// How to prove it
        #[arg(long, value_enum, default_value = "text")]
        method: AgeMethod,
        /// The key that opens the text AP (method text): b (照合番号B, the default) or pin
        #[arg(long = "with", value_enum)]
        with: Option<AgeKeyArg>,
        /// The date at which the age counts (YYYY-MM-DD, not in the future; default today in Japan, JST)
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Read the key from one line of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
    },
    /// Simulated cards: list the kinds, or attach one to pcscd through vsmartcard-vpcd
    #[command(subcommand)]
    Sim(SimCommand),
    /// Trust roots, set up once: add the agency's residence-card roots, list what is loaded and
    /// what is missing for each card family, remove one (kept in $JPID_TRUST_DIR, else
    /// $XDG_DATA_HOME/jpid/trust or ~/.local/share/jpid/trust; JPID_TRUST_ANCHORS=FILE:FILE adds
    /// more for a deployment)
    ///
    /// Examples:
    ///   jpid trust list
    ///   jpid trust add 001460777.crt          (a ZairyuCard CA root from the agency's page)
    ///   jpid trust remove bf854466
    #[command(subcommand, verbatim_doc_comment)]
    Trust(TrustCommand),
    /// Measure what reads cost: APDUs, bytes, modelled air time, host time
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// A whole residence-card read of every simulated kind, with and without extended length.
    ///
    /// Modelled time = APDUs x overhead + 10 bits per byte (plus 4 bytes per frame) at 106, 212,
    /// 424 and 848 kbit/s. The per-APDU overhead is an assumption; set it with --overhead-ms.
    Residence {
        /// Fixed cost per APDU (card processing and reader turnaround), milliseconds
        #[arg(long, default_value_t = 5.0)]
        overhead_ms: f64,
        /// Largest frame the card and reader exchange (FSC/FSD), bytes
        #[arg(long, default_value_t = 256)]
        fsc: u64,
        /// Reads per kind for the host-time average
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResidenceCommand {
    /// Read every file of the chip, verify the issuer's signature and certificate, and export
    /// the images (docs/spec/residence-card.md §0–§4).
    ///
    /// The card number (2 letters, 8 digits, 2 letters, printed at the top right of the card)
    /// opens the chip; without --card-number jpid asks for it. Exit status 0 only when the card
    /// is proven genuine, 9 when genuine but expired, 7 when it is not proven genuine.
    ///
    /// Examples:
    ///   jpid residence read --card-number AB12345678CD --out card1
    ///   jpid --reader sim:residence,tamper=face residence read --card-number AB12345678CD --json
    #[command(verbatim_doc_comment)]
    Read {
        /// The card number printed on the card (not a secret, but the chip's access key)
        #[arg(long, value_name = "NUMBER")]
        card_number: Option<String>,
        /// Write front.png / face.png (and the raw .tif / .jp2) and card.json, the dump that
        /// `jpid residence verify` checks again offline
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Verify a dump written by `jpid residence read --out DIR` again, offline
    /// (docs/spec/residence-card.md §3, §4).
    ///
    /// Validity is checked now, unless --at says otherwise. Nothing in the dump is trusted: a
    /// dump from a simulated card needs --trust test, like any use of the test roots.
    ///
    /// Examples:
    ///   jpid residence verify card1/card.json
    ///   jpid residence verify card1/card.json --at read        (at the dump's own, unsigned, read time)
    ///   jpid --trust test residence verify sim1/card.json      (a dump from a simulated card)
    #[command(verbatim_doc_comment)]
    Verify {
        /// The card.json file
        dump: PathBuf,
        /// Check validity at this time: `read` (the dump's read_at, unsigned), YYYY-MM-DD or
        /// YYYY-MM-DDTHH:MM:SSZ
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Also export the images into DIR
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Which JPKI key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyArg {
    /// User authentication (利用者証明用), 4-digit PIN
    Auth,
    /// Digital signature (署名用), 6-16 character password
    Sign,
}

const PIN_HELP: &str = "\
PINs are never taken from the command line. jpid reads them from a no-echo prompt on the
terminal, from one line on stdin with --pin-stdin, or from the environment variables
JPID_PIN (user-authentication PIN), JPID_SIGN_PASSWORD (signature password; upper-cased),
JPID_TEXT_PIN (text-AP PIN) and JPID_BIRTH_DATE_KEY (card-face birth-date key); 照合番号A/B
come from the prompt or stdin only.
Before every VERIFY jpid reads the remaining tries without spending one, and it refuses to
spend the last try unless --force is given.";

#[derive(Debug, Subcommand)]
pub enum JpkiCommand {
    /// Change the user-authentication PIN or the signature password (docs/spec/mynumber-card.md §2)
    ///
    /// Asks for the current and the new PIN (twice) at the terminal; with --pin-stdin reads the
    /// current PIN and the new one from two lines of stdin.
    #[command(after_help = PIN_HELP)]
    ChangePin {
        /// Which key's PIN
        #[arg(long, value_enum)]
        key: KeyArg,
        /// Read the current and the new PIN from two lines of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
    },
    /// Verify a JPKI signature offline: the signature over the file, the certificate's chain to a
    /// JPKI root (built in, --trust-anchor, or --trust test), its validity, and with --crl or
    /// --crl-dir its revocation status (RFC 5280 CRLs of the root)
    /// (docs/spec/services.md §2)
    ///
    /// Examples:
    ///   jpid jpki verify --in contract.pdf --sig contract.pdf.p7s
    ///   jpid jpki verify --in contract.pdf --sig contract.pdf.p7s --crl sign.crl --require-revocation
    ///   jpid jpki verify --in doc --sig doc.sig --raw --cert auth.der --crl-dir crls/
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
    /// Show the token kind and both PINs' remaining tries, without spending any
    /// (docs/spec/mynumber-card.md §2)
    Status,
    /// Read the certificates and check their chains to the JPKI roots (revocation not checked)
    /// (docs/spec/mynumber-card.md §2)
    ///
    /// The user-authentication certificate needs no PIN; --sign also reads the signature
    /// certificate (it needs the signature password) and shows the holder's attributes.
    #[command(after_help = PIN_HELP)]
    Certs {
        /// Also read the signature certificate (asks for the signature password)
        #[arg(long)]
        sign: bool,
        /// Read the PIN from one line of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
        /// Write the certificates (DER) into DIR
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Sign a file with the card: a detached CMS signature (.p7s) carrying the signer
    /// certificate, or with --raw the bare RSA PKCS#1 v1.5 signature; SHA-256
    /// (docs/spec/mynumber-card.md §2)
    ///
    /// Examples:
    ///   jpid jpki sign --key sign --in contract.pdf --out contract.pdf.p7s
    ///   openssl cms -verify -binary -inform DER -in contract.pdf.p7s -content contract.pdf -CAfile root.pem
    ///   echo 1234 | jpid jpki sign --key auth --in doc --out doc.sig --raw --pin-stdin
    #[command(after_help = PIN_HELP)]
    Sign {
        /// Which key signs
        #[arg(long, value_enum)]
        key: KeyArg,
        /// The file to sign
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the signature
        #[arg(long = "out", value_name = "FILE")]
        output: PathBuf,
        /// Write the bare PKCS#1 v1.5 signature instead of CMS
        #[arg(long)]
        raw: bool,
        /// Read the PIN from one line of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PdfCommand {
    /// Sign a PDF with the card's signature key: an incremental update adding one invisible
    /// signature field (/SubFilter /adbe.pkcs7.detached, /Name from the certificate, /M, a
    /// /ByteRange of the whole file, a detached CMS with SHA-256 carrying the signer certificate
    /// and its CA). The input is not changed; nothing may be added to the output afterwards
    /// (the filing system refuses later modifications)
    ///
    /// Examples:
    ///   jpid pdf sign --in application.pdf --out application-signed.pdf
    ///   echo PASSWORD | jpid --reader sim:mynumber pdf sign --in doc.pdf --out signed.pdf --pin-stdin
    ///   jpid pdf verify application-signed.pdf
    #[command(verbatim_doc_comment, after_help = PIN_HELP)]
    Sign {
        /// The PDF to sign
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the signed PDF (must differ from --in)
        #[arg(long = "out", value_name = "FILE")]
        output: PathBuf,
        /// Read the signature password from one line of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
    },
    /// Check every signature in a PDF: that its /ByteRange covers a whole revision, what
    /// changed after it, the CMS signature, the certificate chain to the JPKI roots (built in,
    /// --trust-anchor, or --trust test), validity, and revocation with --crl/--crl-dir.
    /// Exit 0 only when every signature is valid and the last one covers the whole file
    ///
    /// Examples:
    ///   jpid pdf verify signed.pdf
    ///   jpid --json pdf verify signed.pdf --crl sign.crl --require-revocation
    ///   jpid --trust test pdf verify signed-by-the-simulator.pdf
    #[command(verbatim_doc_comment)]
    Verify {
        /// The PDF
        #[arg(value_name = "FILE")]
        input: PathBuf,
        #[command(flatten)]
        revocation: RevocationArgs,
        /// Check validity at this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

/// How an age is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgeMethod {
    /// The birth date of the card-face entry auxiliary AP, signed by J-LIS
    Text,
    /// The card-face AP's birth record, opened by the 6-digit birth-date key, signed by J-LIS
    SurfaceDob,
    /// The JPKI signature certificate's birth date (asks the signature password)
    Jpki,
}

/// Which key opens the text AP for an age check (照合番号A opens no birth date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgeKeyArg {
    /// 照合番号B, 14 digits (era birth date YYMMDD, expiry year, security code)
    B,
    /// The 4-digit PIN
    Pin,
}

impl From<AgeKeyArg> for TextKeyArg {
    fn from(k: AgeKeyArg) -> Self {
        match k {
            AgeKeyArg::B => Self::B,
            AgeKeyArg::Pin => Self::Pin,
        }
    }
}

/// Which key opens the text AP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextKeyArg {
    /// The 4-digit PIN: opens the My Number and the basic four
    Pin,
    /// 照合番号A, the 12-digit My Number: opens the My Number only
    A,
    /// 照合番号B, 14 digits (era birth date YYMMDD, expiry year, security code): the basic four only
    B,
}

/// Which key opens the card-face AP's card face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaceKeyArg {
    /// 照合番号A, the 12-digit My Number: the card face and the My Number image
    A,
    /// 照合番号B, 14 digits (era birth date YYMMDD, expiry year, security code): the card face
    B,
}

/// `jpki verify` arguments.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed file
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// The signature: a detached CMS file (.p7s), or with --raw a bare PKCS#1 v1.5 signature
    #[arg(long = "sig", value_name = "FILE")]
    pub signature: PathBuf,
    /// The signature is a bare PKCS#1 v1.5 signature (needs --cert)
    #[arg(long)]
    pub raw: bool,
    /// The signer certificate (DER or PEM), for --raw
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    #[command(flatten)]
    pub revocation: RevocationArgs,
    /// Check validity at this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default now)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// Where revocation comes from.
#[derive(Debug, Args)]
pub struct RevocationArgs {
    /// A CRL (DER or PEM) of the certificate's root to check revocation against; repeatable.
    /// Without --crl or --crl-dir revocation is not checked, and the result says so
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// Every *.crl, *.der and *.pem file in DIR is a CRL to check revocation against
    #[arg(long, value_name = "DIR")]
    pub crl_dir: Option<PathBuf>,
    /// An OCSP responder (RFC 6960, http://) to ask about the certificate, with a nonce; its
    /// answer must be signed by the CA or a responder the CA named. With CRLs too, a revocation
    /// either knows wins
    #[arg(long, value_name = "URL")]
    pub ocsp_url: Option<String>,
    /// Not valid unless a current CRL or OCSP answer shows the certificate is not revoked (by
    /// default an unknown status, e.g. no current CRL of that root, is valid with a warning)
    #[arg(long)]
    pub require_revocation: bool,
}

/// `jpid mynumber check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Read 照合番号B from one line of stdin
    #[arg(long)]
    pub pin_stdin: bool,
    /// Allow spending the last remaining try of 照合番号B
    #[arg(long)]
    pub force: bool,
    /// Write the face photo (face.png) into DIR
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub revocation: RevocationArgs,
}

#[derive(Debug, Subcommand)]
pub enum MynumberCommand {
    /// Every key of every application (JPKI, card-face entry auxiliary, card-face, Juki) with its
    /// remaining tries, read without spending any (docs/spec/mynumber-card.md §2–§5)
    Status,
    /// The card record of the common AP: serial, municipality code, expiry (no PIN; the layout
    /// comes from one public source and is UNCONFIRMED) (docs/spec/mynumber-card.md §5)
    CardInfo,
    /// Read the card-face entry auxiliary AP (券面事項入力補助AP): My Number, name, address, birth
    /// date, sex, and prove them signed by J-LIS (integrity record and CVC chain)
    /// (docs/spec/mynumber-card.md §3)
    ///
    /// The My Number is masked unless --show-my-number; it is never logged.
    ///
    /// Examples:
    ///   echo 1234 | jpid mynumber text --pin-stdin
    ///   jpid mynumber text --with b          (asks for 照合番号B; reads the basic four only)
    #[command(verbatim_doc_comment, after_help = PIN_HELP)]
    Text {
        /// Which key opens the AP
        #[arg(long = "with", value_enum, default_value = "pin")]
        with: TextKeyArg,
        /// Read the key from one line of stdin (the PIN can also come from JPID_TEXT_PIN)
        #[arg(long)]
        pin_stdin: bool,
        /// Show the My Number in full (and write it into the dump with --out)
        #[arg(long)]
        show_my_number: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
        /// Write text.json into DIR: the dump the verification service accepts (docs/dump.md);
        /// it holds the My Number only with --show-my-number
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Read the card-face AP (券面事項確認AP): photo, name and address images, birth date, sex,
    /// expiry and security-code image, and prove them signed by J-LIS (DF28 and the CVC chain)
    /// (docs/spec/mynumber-card.md §4)
    ///
    /// The expiry and the security-code image are NOT covered by the card's signature; the
    /// output says so. With --with a and --show-my-number the My Number image is read too and
    /// written as my-number.png (personal data: only when asked).
    ///
    /// Examples:
    ///   jpid mynumber face --out face1                (asks for 照合番号B)
    ///   echo 999900000001 | jpid mynumber face --with a --show-my-number --out face1 --pin-stdin
    #[command(verbatim_doc_comment, after_help = PIN_HELP)]
    Face {
        /// Which key opens the AP
        #[arg(long = "with", value_enum, default_value = "b")]
        with: FaceKeyArg,
        /// Write face.png (the JPEG 2000 photo converted), name.png, address.png,
        /// security-code.png (and my-number.png with --show-my-number) into DIR, and face.json,
        /// the dump the verification service accepts (docs/dump.md)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// With --with a: also read the My Number image and write it as my-number.png
        #[arg(long)]
        show_my_number: bool,
        /// Read the key from one line of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
    },
    /// Read the card-face AP's birth record with the 6-digit birth-date key (era YYMMDD) and
    /// prove it signed by J-LIS (docs/spec/mynumber-card.md §4)
    ///
    /// The key comes from the prompt, one line of stdin (--pin-stdin) or JPID_BIRTH_DATE_KEY.
    ///
    /// Example: echo 020101 | jpid mynumber birth-date --pin-stdin
    #[command(verbatim_doc_comment, after_help = PIN_HELP)]
    BirthDate {
        /// Read the key from one line of stdin
        #[arg(long)]
        pin_stdin: bool,
        /// Allow spending the last remaining try
        #[arg(long)]
        force: bool,
        /// Write birth.json into DIR: the dump the verification service accepts (docs/dump.md)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// The PIN-less counter check (docs/spec/services.md §3; JPKI FAQ Q3-6): with 照合番号B typed
    /// from the card face, the basic four and the face photo, each proven and with the chip
    /// authenticated, and the JPKI user-authentication certificate checked (chain, validity,
    /// revocation with --crl/--crl-dir). No PIN try is spent.
    ///
    /// 照合番号B is 14 digits: the birth date as era YYMMDD, the card's expiry year, and the
    /// 4-digit security code printed on the front. Exit status 0 when genuine and valid, 9 when
    /// genuine but expired, 7 when not genuine (a copy on another chip, a revoked certificate).
    ///
    /// Example:
    ///   echo 02010120351234 | jpid --reader sim:mynumber mynumber check --pin-stdin
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// For each card family, the roots loaded (and where from) and the ones missing, with the
    /// agency's file names and page
    List,
    /// Check a root file (DER or PEM) against the published fingerprints and keep it: every
    /// later command and `jpid serve` load it
    Add {
        /// The root certificate file
        file: PathBuf,
        /// Keep one of jpid's simulator TEST roots (for trying jpid on simulated cards without
        /// --trust test): while one is kept, every result says test trust
        #[arg(long)]
        test: bool,
    },
    /// Remove a kept root by its SHA-256 (at least the first 8 hex digits)
    Remove {
        /// The SHA-256 or its start
        sha256: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// List the simulated card kinds with their defaults (docs/spec/residence-card.md §5,
    /// docs/spec/mynumber-card.md §8)
    List,
    /// Connect a simulated card to pcscd's vpcd driver, so every PC/SC program sees a reader
    /// holding it (docs/spec/ecosystem.md §5.3, §5.4). Runs until interrupted or until pcscd
    /// closes the connection.
    ///
    /// Needs pcscd and vsmartcard-vpcd (Debian: apt-get install pcscd vsmartcard-vpcd).
    /// Example: jpid sim attach --card residence,card-number=AB12345678CD
    Attach {
        /// The card: KIND[,key=value...] as in sim:KIND
        #[arg(long, value_name = "KIND")]
        card: String,
        /// Where vpcd listens
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:35963")]
        vpcd: String,
        /// Give up if vpcd cannot be reached within this many seconds
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        connect_timeout: u64,
        /// Remove the card after this many seconds (default: keep it until interrupted)
        #[arg(long = "for", value_name = "SECONDS")]
        run_for: Option<u64>,
    },
}

/// `jpid serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub action: Option<ServeAction>,
    /// Address and port to listen on
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The audit store: sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    /// (default: an SQLite file in $XDG_DATA_HOME/jpid or ~/.local/share/jpid)
    #[arg(long, global = true, env = "JPID_DB", value_name = "URL")]
    pub db: Option<String>,
    /// PostgreSQL over TLS: trust only the CA certificates in FILE (PEM) for the server's
    /// certificate, and require TLS. Without it TLS follows the URL's sslmode: disable, prefer
    /// (default: TLS when the server offers it) or require, verified against the system's CAs;
    /// a certificate that does not verify, or names another host, always fails the connection
    #[arg(long, global = true, env = "JPID_DB_CA", value_name = "FILE")]
    pub db_ca: Option<std::path::PathBuf>,
    /// JPKI login challenges per second per API key (burst: five times this)
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub challenge_rate: u32,
    /// Seconds a JPKI login challenge may be answered
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub challenge_ttl: u64,
    /// A directory of the JPKI CAs' CRLs (DER or PEM; reloaded every 10 minutes). With it,
    /// revocation is required: a certificate no current CRL vouches for is refused. Without it,
    /// every JPKI answer says that revocation was NOT checked.
    #[arg(long, value_name = "DIR")]
    pub crl_dir: Option<std::path::PathBuf>,
    /// An OCSP responder for the JPKI certificates (RFC 6960, `http://…`): asked with a nonce,
    /// its answer believed only when signed by the CA or a responder the CA authorised and
    /// current; answers are cached until their nextUpdate. With it, revocation is required: an
    /// unreachable responder, a stale or wrongly signed answer (and no CRL from --crl-dir that
    /// says good) refuses the certificate; a revocation in either source wins. Every answer says
    /// whether and how revocation was checked.
    #[arg(long, value_name = "URL", value_parser = ocsp_url)]
    pub ocsp_url: Option<String>,
    /// Keep audit records this many days; older ones are purged at start and daily
    /// (default 2557: seven years, as 犯収法 Art. 6 and 7 ask)
    #[arg(long, value_name = "DAYS", default_value_t = 2557, value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_days: u32,
}

/// `jpid serve` maintenance.
#[derive(Debug, Subcommand)]
pub enum ServeAction {
    /// API keys: create (the key is shown once), list, revoke
    #[command(subcommand)]
    Keys(KeysAction),
    /// Delete audit records older than the retention period, now
    Purge {
        /// Keep this many days (default 2557: seven years)
        #[arg(long, value_name = "DAYS", default_value_t = 2557, value_parser = clap::value_parser!(u32).range(1..))]
        retention_days: u32,
    },
}

/// `jpid serve keys`.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Make a key. Scopes: residence, mynumber, mynumber:number (receive the My Number itself),
    /// jpki, age, counter (the web page's card reads), audit (read the history), or all
    Create {
        /// A name for people (who or what uses the key)
        #[arg(long)]
        name: String,
        /// Comma-separated scopes
        #[arg(long, value_name = "LIST")]
        scopes: String,
    },
    /// List keys (never their secrets)
    List,
    /// Revoke a key by id (it stops working within 5 seconds)
    Revoke {
        /// The key's id (the 12 hex digits after `jpid_`)
        id: String,
    },
    /// Make a one-time pairing code for a counter key, so that a clerk signs in to the counter
    /// page by typing 10 characters instead of pasting the key.
    ///
    /// The code works once, for a few minutes, and only while the key is valid; the session it
    /// opens lasts one shift (8 hours). jpid keeps only the code's SHA-256. Example:
    ///
    ///     jpid serve keys pair 3f9a0c1d2e4b --minutes 10
    #[command(verbatim_doc_comment)]
    Pair {
        /// The counter key's id (the 12 hex digits after `jpid_`; see `jpid serve keys list`)
        id: String,
        /// Minutes the code stays usable (1 to 60)
        #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
        minutes: u32,
    },
}

/// An OCSP responder URL: `http://host[:port][/path]` (RFC 6960 A.1: OCSP over HTTP).
fn ocsp_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("http://")
        .ok_or("an OCSP URL starts with http:// (OCSP answers are signed; TLS adds nothing)")?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains('@') {
        return Err("an OCSP URL needs a host (and no credentials)".into());
    }
    Ok(text.to_string())
}
