//! CRC-16/CCITT-FALSE (tag 63) and the MD5 payment lookup key.

use md5::{Digest, Md5};

const fn table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static TABLE: [u16; 256] = table();

/// CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no final xor) of the
/// UTF-8 bytes of `data`.
///
/// ```
/// assert_eq!(commerce_bakong::khqr::crc16(b"123456789"), 0x29B1);
/// ```
pub fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0xFFFF_u16, |crc, &b| (crc << 8) ^ TABLE[usize::from((crc >> 8) as u8 ^ b)])
}

/// [`crc16`] as the four upper-case hex digits a KHQR ends with.
pub fn crc16_hex(data: &str) -> String {
    format!("{:04X}", crc16(data.as_bytes()))
}

/// The lower-case hex MD5 of the whole KHQR string: the Bakong Open API's payment lookup key.
///
/// ```
/// let qr = "00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6010Phnom Penh6304856B";
/// assert_eq!(commerce_bakong::khqr::md5_hex(qr), "cba0b1de19ac736653267fc127e08b92");
/// ```
pub fn md5_hex(qr: &str) -> String {
    let digest = Md5::digest(qr.as_bytes());
    let mut out = String::with_capacity(32);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0F)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";
