//! Keyframe images as the analyzers read them: decoded small, straight from the JPEG's DCT. Shared by the
//! built-in analyzer (`builtin`) and the face counter (`faces`).

/// A keyframe decoded at about `SMALL_WIDTH` wide, RGB.
pub(super) struct SmallImage {
    pub rgb: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

/// Keyframes are decoded at this width or the next DCT scale above it (1/2, 1/4, 1/8 of the stored size).
pub(super) const SMALL_WIDTH: u16 = 240;

/// Decode a JPEG at reduced size straight from the DCT (no full-size decode, then no resize).
pub(super) fn decode_small(jpeg: &[u8]) -> std::result::Result<SmallImage, String> {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().map_err(|e| e.to_string())?;
    let info = d.info().ok_or("no image header")?;
    let height = (info.height as u32 * SMALL_WIDTH as u32 / info.width.max(1) as u32).max(1) as u16;
    d.scale(SMALL_WIDTH, height).map_err(|e| e.to_string())?;
    let px = d.decode().map_err(|e| e.to_string())?;
    let info = d.info().ok_or("no image header")?;
    let (width, height) = (info.width as usize, info.height as usize);
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => px,
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&l| [l, l, l]).collect(),
        other => return Err(format!("unsupported JPEG pixel format {other:?}")),
    };
    Ok(SmallImage { rgb, width, height })
}
