//! QR images: the PNG decodes (PNG decoder, then a QR reader) back to the exact KHQR string;
//! the SVG is a well-formed square document with the same modules.
#![cfg(feature = "qr-image")]

use std::io::Cursor;

use commerce_bakong::qr_image::{EcLevel, QrImage, QrImageOptions};

const V2: &str = "00020101021229180014jonhsmith@nbcq52045999530384054041.505802KH5910Jonh Smith6010Phnom Penh62600113INV-2026-00010211855123456780311Coffee Shop0709Counter 1993400131767225600000011317672265000006304A0BF";
const V7: &str = "00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siem Reap64280002km0108ចន ស្មីន0206សៀមរាប630438F4";

/// Decodes a PNG to 8-bit grey pixels: (side, pixels).
fn png_pixels(png: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut decoder = png::Decoder::new(Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("PNG header: {e}"));
    let size = reader.output_buffer_size().unwrap_or_else(|| panic!("PNG too large"));
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).unwrap_or_else(|e| panic!("PNG data: {e}"));
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "expanded from 1 bit");
    (info.width as usize, info.height as usize, buf[..info.buffer_size()].to_vec())
}

fn read_qr(width: usize, height: usize, pixels: &[u8]) -> Vec<String> {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    image.detect_grids().iter().filter_map(|g| g.decode().ok()).map(|(_, content)| content).collect()
}

/// (text, options, expected modules per side including the quiet zone)
fn check(text: &str, options: QrImageOptions) {
    let image = QrImage::encode(text, options).unwrap_or_else(|e| panic!("{e}"));
    let png = image.to_png().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h, pixels) = png_pixels(&png);
    let side = (image.width() as u64 + 2 * u64::from(options.quiet_zone)) * u64::from(options.module_px);
    assert_eq!((w as u64, h as u64), (side, side), "square, quiet zone included");
    // The quiet zone is white: the whole first row and column of modules.
    let quiet = options.quiet_zone as usize * options.module_px as usize;
    assert!(pixels[..quiet * w].iter().all(|&p| p == 255), "top quiet zone is white");
    assert!((0..h).all(|y| pixels[y * w..y * w + quiet].iter().all(|&p| p == 255)), "left quiet zone");
    // Top-left finder pattern: its corner module is dark.
    assert_eq!(pixels[quiet * w + quiet], 0, "finder pattern starts right after the quiet zone");
    assert_eq!(read_qr(w, h, &pixels), vec![text.to_owned()], "PNG reads back to the same text");
}

#[test]
fn png_reads_back_to_the_same_khqr() {
    let cases = [
        (V2, QrImageOptions::default()),
        (V7, QrImageOptions::default()),
        (V2, QrImageOptions::default().module_px(4).ec_level(EcLevel::H)),
        (V7, QrImageOptions::default().module_px(3).quiet_zone(6).ec_level(EcLevel::L)),
    ];
    for (text, options) in cases {
        check(text, options);
    }
}

#[test]
fn default_size_suits_a_web_page() {
    let image = QrImage::encode(V2, QrImageOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let side = image.side_px();
    assert!((300..=700).contains(&side), "{side} px");
}

#[test]
fn svg_is_well_formed_and_matches_the_modules() {
    let image = QrImage::encode(V7, QrImageOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let svg = image.to_svg();
    let n = image.side_modules();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains(&format!("viewBox=\"0 0 {n} {n}\"")));
    assert!(svg.trim_end().ends_with("</svg>"));
    // Well-formed enough for any XML parser: one root, every tag closed, quotes balanced.
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    assert_eq!(svg.matches('"').count() % 2, 0);
    // The path covers exactly the dark modules: sum of its horizontal runs.
    let dark: usize = (0..image.width())
        .flat_map(|y| (0..image.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| image.is_dark(x, y))
        .count();
    let path = svg.split(" d=\"").nth(1).unwrap_or_default();
    let runs: usize = path
        .split('h')
        .skip(1)
        .filter_map(|s| s.split('v').next())
        .filter_map(|n| n.parse::<usize>().ok())
        .sum();
    assert_eq!(runs, dark);
}

#[test]
fn too_much_text_is_an_error() {
    let text = "0".repeat(8000);
    let err = QrImage::encode(&text, QrImageOptions::default()).err();
    assert!(
        matches!(err, Some(commerce_bakong::qr_image::QrImageError::TooLong { length: 8000, .. })),
        "{err:?}"
    );
}
