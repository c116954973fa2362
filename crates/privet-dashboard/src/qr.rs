//! QR codes for authenticator enrolment, drawn as SVG (no image crates, no network).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code of `text` (an `otpauth://` URL), about 240 px wide, with an accessible label.
pub fn qr_svg(text: &str) -> String {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => code
            .render::<svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build()
            .replacen(
                "<svg ",
                "<svg role=\"img\" aria-label=\"QR code to scan with your authenticator app\" ",
                1,
            ),
        Err(_) => String::new(),
    }
}
