//! Constants from the fact sheets, each with its source. Values marked UNCONFIRMED there stay
//! marked here.

/// Residence card DF1 (images), `D392F0004F02` + ten zero bytes. docs/spec/residence-card.md §1
/// (ERG, SWR, PYB, LJI; CONFIRMED).
pub const RESIDENCE_DF1: [u8; 16] = [
    0xD3, 0x92, 0xF0, 0x00, 0x4F, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// Residence card DF2 (address, permissions), docs/spec/residence-card.md §1 (CONFIRMED).
pub const RESIDENCE_DF2: [u8; 16] = [
    0xD3, 0x92, 0xF0, 0x00, 0x4F, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// Residence card DF3 (check code and certificate), docs/spec/residence-card.md §1 (CONFIRMED).
pub const RESIDENCE_DF3: [u8; 16] = [
    0xD3, 0x92, 0xF0, 0x00, 0x4F, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// 在留AP of a specified residence card or SPR certificate (特定在留カード等, card types `07`/`08`):
/// `D392F0004F01` + ten zero bytes, a sub-application on a My Number card chip, selected before
/// DF1–DF3; its EF01 (`C0`) and EF02 (`C1`) are read before any authentication.
/// docs/spec/next-wave.md §1.2 (ERG-SP, LJI).
pub const RESIDENCE_SPECIFIED_AP: [u8; 16] = [
    0xD3, 0x92, 0xF0, 0x00, 0x4F, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
// The short EF ids of MF/EF01 and EF02 and the card-type tag live with the residence files in
// jpid_model::residence.

/// 公的個人認証AP (JPKI-AP). docs/spec/mynumber-card.md §1 (OSC, MYNA, JRS, TRET, MC, AOKI).
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// 券面事項入力補助AP ("text AP"). docs/spec/mynumber-card.md §1.
pub const TEXT_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// 券面事項確認AP ("card-face AP"). docs/spec/mynumber-card.md §1.
pub const CARD_FACE_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
/// 住基AP (naming UNCONFIRMED), docs/spec/mynumber-card.md §5 (MC `ap/juki.rs`).
pub const JUKI_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01];
/// 共通AP / 住基 (naming UNCONFIRMED: MC calls it common, TRET Juki), docs/spec/mynumber-card.md §5.
pub const COMMON_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];
/// JPKI-AP EF 0006, token information; its first 32 bytes are a space-padded ASCII label.
/// docs/spec/mynumber-card.md §2 (TRET, MYNA, AND, MC).
pub const JPKI_EF_TOKEN_INFO: u16 = 0x0006;
/// Token label of a plastic My Number card. docs/spec/mynumber-card.md §2.
pub const TOKEN_MYNUMBER_CARD: &str = "JPKIAPICCTOKEN2";
/// Token label of the old Basic Resident Register (住基) card. docs/spec/mynumber-card.md §2.
pub const TOKEN_JUKI_CARD: &str = "JPKIAPICCTOKEN";
/// Token label of smartphone JPKI on Android. docs/spec/mynumber-card.md §2 (MYNA, MC).
pub const TOKEN_ANDROID: &str = "JPKIAPGPSETOKEN";
/// Token label of smartphone JPKI on iPhone. docs/spec/mynumber-card.md §2 (MC only: UNCONFIRMED).
pub const TOKEN_IOS: &str = "JPKIAPIOSTOKEN";
