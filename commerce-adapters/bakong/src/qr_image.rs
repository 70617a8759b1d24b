//! QR images of a KHQR (or any text): SVG for web pages, PNG for web and print.
//!
//! Both carry a quiet zone (4 modules by default, as ISO/IEC 18004 asks) and black modules on
//! white. The default 8 px per module gives a KHQR of about 450 to 500 px square, right for a
//! checkout page; for print, use 16 px or more per module, or the SVG, which scales freely.
//!
//! ```
//! use commerce_bakong::qr_image::{QrImage, QrImageOptions};
//! let qr = "00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6010Phnom Penh6304856B";
//! let image = QrImage::encode(qr, QrImageOptions::default())?;
//! let svg = image.to_svg();
//! assert!(svg.starts_with("<svg"));
//! let png = image.to_png()?;
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//! # Ok::<(), commerce_bakong::qr_image::QrImageError>(())
//! ```

use std::fmt::Write as _;

/// Error correction: how much of the symbol may be damaged and still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EcLevel {
    /// About 7%.
    L,
    /// About 15% (the default).
    #[default]
    M,
    /// About 25%.
    Q,
    /// About 30%.
    H,
}

/// How to draw the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct QrImageOptions {
    /// Error correction level.
    pub ec_level: EcLevel,
    /// Pixels per module in the PNG (and the SVG's nominal size).
    pub module_px: u32,
    /// Light modules around the symbol on each side.
    pub quiet_zone: u32,
}

impl Default for QrImageOptions {
    fn default() -> Self {
        QrImageOptions { ec_level: EcLevel::M, module_px: 8, quiet_zone: 4 }
    }
}

impl QrImageOptions {
    /// Sets the pixels per module (at least 1).
    pub fn module_px(mut self, px: u32) -> Self {
        self.module_px = px.max(1);
        self
    }

    /// Sets the quiet zone in modules.
    pub fn quiet_zone(mut self, modules: u32) -> Self {
        self.quiet_zone = modules;
        self
    }

    /// Sets the error correction level.
    pub fn ec_level(mut self, level: EcLevel) -> Self {
        self.ec_level = level;
        self
    }
}

/// Why an image could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrImageError {
    /// The text does not fit in a QR code at this error correction level.
    #[error("{length} bytes do not fit in a QR code at error correction level {level:?}")]
    TooLong {
        /// Bytes of text.
        length: usize,
        /// The level asked for.
        level: EcLevel,
    },
    /// The image is too large to encode (a huge module size).
    #[error("image of {side} px per side is too large")]
    TooLarge {
        /// Pixels per side.
        side: u64,
    },
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// A QR symbol: the module matrix, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    width: usize,
    dark: Vec<bool>,
    options: QrImageOptions,
}

impl QrImage {
    /// Encodes `text` (UTF-8, byte mode) with `options`.
    pub fn encode(text: &str, options: QrImageOptions) -> Result<Self, QrImageError> {
        let level = match options.ec_level {
            EcLevel::L => qrcode::EcLevel::L,
            EcLevel::M => qrcode::EcLevel::M,
            EcLevel::Q => qrcode::EcLevel::Q,
            EcLevel::H => qrcode::EcLevel::H,
        };
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), level)
            .map_err(|_| QrImageError::TooLong { length: text.len(), level: options.ec_level })?;
        let width = code.width();
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Ok(QrImage { width, dark, options })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark (`false` outside the symbol).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Modules per side including the quiet zone on both sides.
    pub fn side_modules(&self) -> u64 {
        self.width as u64 + 2 * u64::from(self.options.quiet_zone)
    }

    /// Pixels per side of the PNG.
    pub fn side_px(&self) -> u64 {
        self.side_modules() * u64::from(self.options.module_px.max(1))
    }

    /// An SVG document: one path of dark modules on a white square, in module units
    /// (`viewBox`), nominally [`side_px`](Self::side_px) wide, with crisp edges.
    pub fn to_svg(&self) -> String {
        let n = self.side_modules();
        let q = self.options.quiet_zone as usize;
        let px = self.side_px();
        let mut svg = String::with_capacity(64 * self.width);
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{px}" height="{px}" viewBox="0 0 {n} {n}" shape-rendering="crispEdges"><rect width="{n}" height="{n}" fill="#ffffff"/><path fill="#000000" d=""##
        );
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    let run = x - start;
                    let _ = write!(svg, "M{} {}h{run}v1h-{run}z", start + q, y + q);
                } else {
                    x += 1;
                }
            }
        }
        svg.push_str(r#""/></svg>"#);
        svg.push('\n');
        svg
    }

    /// A 1-bit greyscale PNG, [`side_px`](Self::side_px) square.
    pub fn to_png(&self) -> Result<Vec<u8>, QrImageError> {
        let side = self.side_px();
        let too_large = QrImageError::TooLarge { side };
        let side32 = u32::try_from(side).map_err(|_| too_large.clone())?;
        if side > 20_000 {
            return Err(too_large);
        }
        let side = side as usize;
        let module = self.options.module_px.max(1) as usize;
        let q = self.options.quiet_zone as usize;
        let stride = side.div_ceil(8);
        let mut data = vec![0xFF_u8; stride * side];
        for py in 0..side {
            let my = (py / module).checked_sub(q);
            for px in 0..side {
                let mx = (px / module).checked_sub(q);
                if let (Some(mx), Some(my)) = (mx, my)
                    && self.is_dark(mx, my)
                {
                    data[py * stride + px / 8] &= !(0x80 >> (px % 8));
                }
            }
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side32, side32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let png_error = |e: png::EncodingError| QrImageError::Png(e.to_string());
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(&data).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
        Ok(out)
    }
}

/// An SVG of `text` with the default options.
pub fn svg(text: &str) -> Result<String, QrImageError> {
    Ok(QrImage::encode(text, QrImageOptions::default())?.to_svg())
}

/// A PNG of `text` with the default options.
pub fn png(text: &str) -> Result<Vec<u8>, QrImageError> {
    QrImage::encode(text, QrImageOptions::default())?.to_png()
}
