//! The synthetic pictures behind the fixtures: a cartoon face and card layouts drawn from
//! geometric shapes and a 5×7 bitmap font written for this file. They depict no real person and
//! no real card. Shared by the `draw` example (which writes them out for `fixtures/generate.sh`)
//! and the tests (which check that each fixture decodes to exactly, or for JPEG 2000 nearly,
//! these pixels).
//!
//! Everything here is deterministic: integer geometry, or fixed-order `f64` arithmetic.

/// A bi-level picture, `true` = black.
pub struct Bilevel {
    pub width: u32,
    pub height: u32,
    pub black: Vec<bool>,
}

impl Bilevel {
    fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            black: vec![false; (width * height) as usize],
        }
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        self.black[(y * self.width + x) as usize]
    }

    fn set(&mut self, x: i64, y: i64) {
        if x >= 0 && y >= 0 && x < i64::from(self.width) && y < i64::from(self.height) {
            let i = (y as u32 * self.width + x as u32) as usize;
            self.black[i] = true;
        }
    }

    fn clear(&mut self, x: i64, y: i64) {
        if x >= 0 && y >= 0 && x < i64::from(self.width) && y < i64::from(self.height) {
            let i = (y as u32 * self.width + x as u32) as usize;
            self.black[i] = false;
        }
    }

    fn fill_rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.set(x, y);
            }
        }
    }

    fn clear_rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.clear(x, y);
            }
        }
    }

    /// A rectangle outline `t` pixels thick, inside `x0..x1 × y0..y1`.
    fn frame(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, t: i64) {
        self.fill_rect(x0, y0, x1, y0 + t);
        self.fill_rect(x0, y1 - t, x1, y1);
        self.fill_rect(x0, y0, x0 + t, y1);
        self.fill_rect(x1 - t, y0, x1, y1);
    }

    /// An ellipse outline: points whose normalised radius is within `t` pixels of 1.
    fn ellipse_outline(
        &mut self,
        cx: f64,
        cy: f64,
        rx: f64,
        ry: f64,
        t: f64,
        keep: impl Fn(f64, f64) -> bool,
    ) {
        let (x0, x1) = ((cx - rx - t).floor() as i64, (cx + rx + t).ceil() as i64);
        let (y0, y1) = ((cy - ry - t).floor() as i64, (cy + ry + t).ceil() as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                let outer = (dx / (rx + t / 2.0)).powi(2) + (dy / (ry + t / 2.0)).powi(2);
                let inner = (dx / (rx - t / 2.0)).powi(2) + (dy / (ry - t / 2.0)).powi(2);
                if outer <= 1.0 && inner >= 1.0 && keep(dx, dy) {
                    self.set(x, y);
                }
            }
        }
    }

    fn ellipse_fill(&mut self, cx: f64, cy: f64, rx: f64, ry: f64) {
        let (x0, x1) = ((cx - rx).floor() as i64, (cx + rx).ceil() as i64);
        let (y0, y1) = ((cy - ry).floor() as i64, (cy + ry).ceil() as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                if (dx / rx).powi(2) + (dy / ry).powi(2) <= 1.0 {
                    self.set(x, y);
                }
            }
        }
    }

    /// Writes `text` in the built-in font, each font pixel `scale` × `scale`, from the top-left
    /// corner (`x`, `y`). Returns the x after the last character.
    fn text(&mut self, x: i64, y: i64, scale: i64, text: &str) -> i64 {
        let mut pen = x;
        for c in text.chars() {
            let rows = glyph(c);
            for (gy, row) in rows.iter().enumerate() {
                for gx in 0..5 {
                    if row & (0b10000 >> gx) != 0 {
                        let px = pen + gx as i64 * scale;
                        let py = y + gy as i64 * scale;
                        self.fill_rect(px, py, px + scale, py + scale);
                    }
                }
            }
            pen += 6 * scale;
        }
        pen
    }
}

/// Width in pixels of `text` at `scale` (without the last column of spacing).
fn text_width(text: &str, scale: i64) -> i64 {
    (text.chars().count() as i64 * 6 - 1) * scale
}

/// The 5×7 font: each row's 5 low bits, the leftmost pixel the most significant. Unknown
/// characters draw as a filled box.
fn glyph(c: char) -> [u8; 7] {
    const fn g(rows: [&str; 7]) -> [u8; 7] {
        let mut out = [0u8; 7];
        let mut i = 0;
        while i < 7 {
            let b = rows[i].as_bytes();
            let mut j = 0;
            while j < 5 {
                if b[j] == b'#' {
                    out[i] |= 0b10000 >> j;
                }
                j += 1;
            }
            i += 1;
        }
        out
    }
    match c.to_ascii_uppercase() {
        ' ' => [0; 7],
        'A' => g([
            ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ]),
        'B' => g([
            "####.", "#...#", "#...#", "####.", "#...#", "#...#", "####.",
        ]),
        'C' => g([
            ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###.",
        ]),
        'D' => g([
            "####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####.",
        ]),
        'E' => g([
            "#####", "#....", "#....", "####.", "#....", "#....", "#####",
        ]),
        'F' => g([
            "#####", "#....", "#....", "####.", "#....", "#....", "#....",
        ]),
        'G' => g([
            ".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####",
        ]),
        'H' => g([
            "#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ]),
        'I' => g([
            ".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###.",
        ]),
        'J' => g([
            "..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##..",
        ]),
        'K' => g([
            "#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#",
        ]),
        'L' => g([
            "#....", "#....", "#....", "#....", "#....", "#....", "#####",
        ]),
        'M' => g([
            "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#",
        ]),
        'N' => g([
            "#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#",
        ]),
        'O' => g([
            ".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.",
        ]),
        'P' => g([
            "####.", "#...#", "#...#", "####.", "#....", "#....", "#....",
        ]),
        'Q' => g([
            ".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#",
        ]),
        'R' => g([
            "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#",
        ]),
        'S' => g([
            ".####", "#....", "#....", ".###.", "....#", "....#", "####.",
        ]),
        'T' => g([
            "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..",
        ]),
        'U' => g([
            "#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.",
        ]),
        'V' => g([
            "#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#..",
        ]),
        'W' => g([
            "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#.",
        ]),
        'X' => g([
            "#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#",
        ]),
        'Y' => g([
            "#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#..",
        ]),
        'Z' => g([
            "#####", "....#", "...#.", "..#..", ".#...", "#....", "#####",
        ]),
        '0' => g([
            ".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###.",
        ]),
        '1' => g([
            "..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###.",
        ]),
        '2' => g([
            ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####",
        ]),
        '3' => g([
            "#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###.",
        ]),
        '4' => g([
            "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#.",
        ]),
        '5' => g([
            "#####", "#....", "####.", "....#", "....#", "#...#", ".###.",
        ]),
        '6' => g([
            "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###.",
        ]),
        '7' => g([
            "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#...",
        ]),
        '8' => g([
            ".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###.",
        ]),
        '9' => g([
            ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##..",
        ]),
        '.' => g([
            ".....", ".....", ".....", ".....", ".....", ".##..", ".##..",
        ]),
        ',' => g([
            ".....", ".....", ".....", ".....", ".##..", "..#..", ".#...",
        ]),
        ':' => g([
            ".....", ".##..", ".##..", ".....", ".##..", ".##..", ".....",
        ]),
        '-' => g([
            ".....", ".....", ".....", "#####", ".....", ".....", ".....",
        ]),
        '/' => g([
            ".....", "....#", "...#.", "..#..", ".#...", "#....", ".....",
        ]),
        '(' => g([
            "...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#.",
        ]),
        ')' => g([
            ".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#...",
        ]),
        _ => [0b11111; 7],
    }
}

/// Gen-1 residence card front (DF1/EF01 `D0`): the printed card as a bi-level scan. The real
/// image is a scan of the ID-1 card (85.6 × 54 mm); 1000 × 632 keeps that aspect ratio.
pub fn residence_front() -> Bilevel {
    let (w, h) = (1000i64, 632i64);
    let mut img = Bilevel::new(w as u32, h as u32);
    // Card edge and an inner rule.
    img.frame(4, 4, w - 4, h - 4, 4);
    img.frame(14, 14, w - 14, h - 14, 1);

    // Guilloche-like background waves across the header band.
    for k in 0..4 {
        let phase = f64::from(k) * 0.9;
        let base = 28.0 + f64::from(k) * 20.0;
        for x in 16..(w - 16) {
            let y = base + 6.0 * ((x as f64) / 37.0 + phase).sin();
            img.set(x, y.round() as i64);
        }
    }

    // Title and card number.
    img.clear_rect(26, 26, 26 + text_width("ZAIRYU TEST", 5) + 8, 26 + 35 + 8);
    img.text(30, 30, 5, "ZAIRYU TEST");
    img.clear_rect(
        26,
        80,
        26 + text_width("SIMULATED CARD - NOT VALID", 3) + 8,
        80 + 21 + 8,
    );
    img.text(30, 84, 3, "SIMULATED CARD - NOT VALID");
    let number = "AB12345678CD";
    let nx = w - 30 - text_width(number, 4);
    img.clear_rect(nx - 6, 30, w - 24, 30 + 28 + 10);
    img.text(nx, 35, 4, number);
    img.frame(nx - 6, 30, w - 24, 30 + 28 + 10, 2);

    // Field boxes on the left: label (scale 2) over value (scale 3).
    let fields: [(&str, &str); 7] = [
        ("NAME", "TEST TARO SIMULATED"),
        ("DATE OF BIRTH / SEX", "1990.01.01  M"),
        ("NATIONALITY/REGION", "UTOPIA"),
        ("ADDRESS", "1-2-3 TEST-CHO, SAMPLE-SHI"),
        ("STATUS OF RESIDENCE", "ENGINEER/SPECIALIST"),
        (
            "PERIOD OF STAY (DATE OF EXPIRATION)",
            "5 YEARS (2030.03.31)",
        ),
        ("WORK PERMISSION", "NO RESTRICTION"),
    ];
    let (fx0, fx1) = (24i64, 690i64);
    let mut y = 124i64;
    for (label, value) in fields {
        let y1 = y + 62;
        img.frame(fx0, y, fx1, y1, 2);
        img.text(fx0 + 8, y + 7, 2, label);
        img.text(fx0 + 16, y + 28, 3, value);
        y = y1 + 4;
    }

    // Photo area with a line-drawn placeholder face.
    let (px0, py0, px1, py1) = (720i64, 124i64, 970i64, 434i64);
    img.frame(px0, py0, px1, py1, 3);
    let cx = (px0 + px1) as f64 / 2.0;
    img.ellipse_outline(cx, 250.0, 62.0, 80.0, 3.0, |_, _| true); // head
    img.ellipse_fill(cx - 24.0, 235.0, 7.0, 5.0); // eyes
    img.ellipse_fill(cx + 24.0, 235.0, 7.0, 5.0);
    img.ellipse_outline(cx, 270.0, 26.0, 18.0, 3.0, |_, dy| dy > 4.0); // smile
    img.ellipse_outline(cx, 440.0, 110.0, 90.0, 3.0, |_, dy| dy < 0.0); // shoulders
    img.clear_rect(px0 + 3, py1, px1 - 3, py1 + 40);
    img.frame(px0, py0, px1, py1, 3);
    img.text(px0 + 20, py1 + 10, 2, "PHOTO (SYNTHETIC)");

    // Footer: expiry, issuing office and a notice.
    img.frame(720, 470, 970, 566, 2);
    img.text(730, 478, 2, "VALID UNTIL");
    img.text(730, 502, 4, "2030.03.31");
    img.text(730, 544, 2, "TEST IMMIGRATION");
    img.text(
        24,
        592,
        3,
        "THIS IS A TEST IMAGE. IT DEPICTS NO REAL PERSON.",
    );
    img
}

/// A text image such as the gen-2 name (DF1/EF03 `D0`) or address (DF1/EF04 `DFD1`) image, or
/// the My Number name (`DF25`) and address (`DF26`) images: `lines` at `scale`, left-aligned
/// with a margin, on a `width` × `height` white field.
pub fn text_image(width: u32, height: u32, scale: i64, lines: &[&str]) -> Bilevel {
    let mut img = Bilevel::new(width, height);
    let line_height = 10 * scale;
    let top = (i64::from(height) - line_height * lines.len() as i64 + 3 * scale) / 2;
    for (i, line) in lines.iter().enumerate() {
        img.text(2 * scale, top + i as i64 * line_height, scale, line);
    }
    img
}

/// Gen-2 residence card name image (DF1/EF03 `D0`, ≤ 2500 bytes as MMR TIFF).
pub fn residence_name() -> Bilevel {
    text_image(640, 64, 5, &["TEST TARO SIMULATED"])
}

/// Gen-2 residence card address image (DF1/EF04 `DFD1`, ≤ 2500 bytes as MMR TIFF).
pub fn residence_address() -> Bilevel {
    text_image(
        800,
        112,
        4,
        &[
            "1-2-3 TEST-CHO, SAMPLE-SHI,",
            "EXAMPLE-KEN 100-0000 (SIMULATED)",
        ],
    )
}

/// My Number card-face AP name image (`DF25`, 1-bit PNG).
pub fn mynumber_name() -> Bilevel {
    text_image(400, 40, 3, &["TEST HANAKO SIMULATED"])
}

/// One line of digits in the 5×7 font at scale 1, from the left edge, 2 rows down: the
/// My Number card-face AP's small rendered numbers.
fn digits_image(width: u32, height: u32, text: &str) -> Bilevel {
    let mut img = Bilevel::new(width, height);
    img.text(0, 2, 1, text);
    img
}

/// My Number card-face AP security-code image (EF 0002 `DF2A`, 1-bit PNG). 24 × 12 as on the
/// card MC surveyed (mynumber-card.md §4); the code is the simulated card's synthetic `1234`.
pub fn mynumber_security_code() -> Bilevel {
    digits_image(24, 12, "1234")
}

/// My Number card-face AP My Number image (EF 0005 `DF41`, 1-bit PNG). 72 × 12 as MC gives it
/// (mynumber-card.md §4); the number is the simulated card's synthetic `999900000001`.
pub fn mynumber_my_number() -> Bilevel {
    digits_image(72, 12, "999900000001")
}

/// My Number card-face AP address image (`DF26`, 1-bit PNG).
pub fn mynumber_address() -> Bilevel {
    text_image(
        600,
        72,
        3,
        &[
            "4-5-6 SAMPLE-MACHI, TEST-KU,",
            "EXAMPLE-TO 100-0001 (SIMULATED)",
        ],
    )
}

/// An 8-bit RGB picture.
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[u8; 3]>,
}

impl Rgb {
    /// ITU-R BT.601 luma of each pixel.
    pub fn to_grey(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .map(|[r, g, b]| {
                let y = 299 * u32::from(*r) + 587 * u32::from(*g) + 114 * u32::from(*b);
                ((y + 500) / 1000) as u8
            })
            .collect()
    }
}

/// The colour of the face scene at the normalised point (`u`, `v`), `u` across, `v` down, both
/// 0..1 over a 4:5 portrait. Shapes are painted back to front.
fn face_colour(u: f64, v: f64) -> [f64; 3] {
    let inside = |cx: f64, cy: f64, rx: f64, ry: f64| {
        ((u - cx) / rx).powi(2) + ((v - cy) / ry).powi(2) <= 1.0
    };
    let background = [196.0, 212.0, 228.0];
    let jacket = [44.0, 58.0, 96.0];
    let shirt = [240.0, 240.0, 236.0];
    let skin = [236.0, 196.0, 166.0];
    let skin_shade = [214.0, 170.0, 140.0];
    let hair = [62.0, 42.0, 30.0];
    let eye_white = [250.0, 250.0, 250.0];
    let iris = [70.0, 90.0, 60.0];
    let pupil = [20.0, 20.0, 20.0];
    let lips = [190.0, 80.0, 80.0];

    let mut c = background;
    // Neck, then shoulders and jacket over its lower end, with a shirt collar V.
    if (u - 0.5).abs() < 0.085 && v > 0.60 {
        c = skin_shade;
    }
    if inside(0.5, 1.18, 0.50, 0.40) {
        c = jacket;
        if v > 0.80 && (u - 0.5).abs() < (v - 0.80) * 0.55 + 0.02 {
            c = shirt;
        }
    }
    // Hair behind the head.
    if inside(0.5, 0.40, 0.265, 0.30) && v < 0.52 {
        c = hair;
    }
    // Ears.
    if inside(0.265, 0.44, 0.04, 0.065) || inside(0.735, 0.44, 0.04, 0.065) {
        c = skin_shade;
    }
    // Head.
    if inside(0.5, 0.45, 0.225, 0.27) {
        c = skin;
        // Fringe.
        if inside(0.5, 0.27, 0.25, 0.13) && v < 0.30 + 0.02 * ((u - 0.5) * 40.0).sin() {
            c = hair;
        }
        // Eyebrows.
        for ex in [0.40, 0.60] {
            if (u - ex).abs() < 0.05 && (v - 0.375).abs() < 0.008 {
                c = hair;
            }
        }
        // Eyes.
        for ex in [0.40, 0.60] {
            if inside(ex, 0.42, 0.045, 0.022) {
                c = eye_white;
                if inside(ex, 0.42, 0.020, 0.018) {
                    c = iris;
                }
                if inside(ex, 0.42, 0.009, 0.008) {
                    c = pupil;
                }
            }
        }
        // Nose: a small shaded wedge.
        if v > 0.45 && v < 0.53 && (u - 0.5).abs() < (v - 0.45) * 0.3 {
            c = skin_shade;
        }
        // Mouth: the lower half of an ellipse ring.
        if inside(0.5, 0.575, 0.075, 0.035) && !inside(0.5, 0.565, 0.065, 0.022) && v > 0.575 {
            c = lips;
        }
    }
    c
}

/// The synthetic face photo, `width` × `height`, each pixel the average of 4 × 4 samples.
pub fn face(width: u32, height: u32) -> Rgb {
    let mut pixels = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            let mut acc = [0.0f64; 3];
            for sy in 0..4 {
                for sx in 0..4 {
                    let u = (f64::from(x) + (f64::from(sx) + 0.5) / 4.0) / f64::from(width);
                    let v = (f64::from(y) + (f64::from(sy) + 0.5) / 4.0) / f64::from(height);
                    let c = face_colour(u, v);
                    for (a, c) in acc.iter_mut().zip(c) {
                        *a += c;
                    }
                }
            }
            pixels.push(acc.map(|a| (a / 16.0).round().clamp(0.0, 255.0) as u8));
        }
    }
    Rgb {
        width,
        height,
        pixels,
    }
}

/// Face photo dimensions used for both cards' fixtures.
pub const FACE_SIZE: (u32, u32) = (200, 250);
