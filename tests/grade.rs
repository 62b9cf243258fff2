//! The grade through real FFmpeg: the trip YUV → RGB → YUV with the source's matrix loses nothing beyond 4:2:0
//! resampling, FFmpeg's `lut3d` computes what `Lut::apply` computes, and what comes out is tagged `yuv420p`.

use std::path::{Path, PathBuf};
use std::process::Command;

use cinecut::media::parse_probe_json;
use cinecut::render::{Colour, Lut, Matrix, Range};
use cinecut::story::Vibe;

fn ffmpeg(args: &[&str]) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg on PATH");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg {args:?}\n{stderr}");
    stderr
}

/// A colourful test pattern drawn in RGB and written as `yuv420p` with `matrix`, tagged `tag`, lossless.
fn source(dir: &Path, name: &str, size: &str, matrix: &str, tag: &str, range: Range) -> PathBuf {
    let out = dir.join(name);
    let r = range.name();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size={size}:rate=24:duration=0.25,format=rgb24"),
        "-vf",
        &format!("scale=out_color_matrix={matrix}:out_range={r},format=yuv420p"),
        "-c:v",
        "ffv1",
        "-colorspace",
        tag,
        "-color_primaries",
        tag,
        "-color_trc",
        tag,
        "-color_range",
        r,
        out.to_str().unwrap(),
    ]);
    out
}

/// The colour the program decides for a file, from real ffprobe output.
fn colour_of(path: &Path) -> Colour {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(path)
        .output()
        .expect("ffprobe on PATH");
    assert!(out.status.success());
    let probe = parse_probe_json(path, &out.stdout).unwrap();
    Colour::from_stream(probe.video().unwrap())
}

/// PSNR (average of Y, U, V as FFmpeg weighs them) of `[0:v]` through `chain` against `[1:v]` through `reference`.
fn psnr(src: &Path, chain: &str, reference: &str) -> f64 {
    let s = src.to_str().unwrap();
    let graph = format!("[0:v]{chain}[a];[1:v]{reference}[b];[a][b]psnr");
    let log = ffmpeg(&["-i", s, "-i", s, "-filter_complex", &graph, "-f", "null", "-"]);
    let avg = log.rsplit("average:").next().unwrap();
    let v = avg.split_whitespace().next().unwrap();
    if v == "inf" { f64::INFINITY } else { v.parse().unwrap() }
}

fn write_lut(dir: &Path, name: &str, lut: &Lut) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, lut.to_cube()).unwrap();
    p
}

#[test]
fn identity_lut_round_trips_bt709_and_bt601() {
    let dir = tempfile::tempdir().unwrap();
    let id = write_lut(dir.path(), "identity.cube", &Lut::identity(33));
    for (name, size, matrix, tag, want) in [
        ("hd.mkv", "1280x720", "bt709", "bt709", Matrix::Bt709),
        ("sd.mkv", "640x480", "bt601", "smpte170m", Matrix::Bt601),
    ] {
        let src = source(dir.path(), name, size, matrix, tag, Range::Tv);
        let colour = colour_of(&src);
        assert_eq!(colour.matrix, want, "{name}");
        let db = psnr(&src, &colour.grade_filters(&id), "null");
        eprintln!("{name}: identity grade PSNR {db:.2} dB");
        assert!(db >= 40.0, "{name}: {db:.2} dB");
        // (A wrong matrix both ways would nearly cancel here; the patches test below catches it.)
    }
}

#[test]
fn full_range_sources_round_trip_after_the_size_scale_and_within_it() {
    let dir = tempfile::tempdir().unwrap();
    let id = write_lut(dir.path(), "identity.cube", &Lut::identity(33));
    let src = source(dir.path(), "pc.mkv", "1280x720", "bt709", "bt709", Range::Pc);
    let colour = colour_of(&src);
    assert_eq!((colour.matrix, colour.range), (Matrix::Bt709, Range::Pc));
    // The renderer's own size scale turns full range into tv range; the grade reads that from the frames.
    let sized = "scale=960:540:flags=bicubic,setsar=1,format=yuv420p";
    let db = psnr(&src, &format!("{sized},{}", colour.grade_filters(&id)), sized);
    eprintln!("full range, graded after the size scale: {db:.2} dB");
    assert!(db >= 40.0, "{db:.2} dB");
    let db = psnr(&src, &colour.grade_filters_with_scale(960, 540, &id), sized);
    eprintln!("full range, graded within the size scale: {db:.2} dB");
    assert!(db >= 40.0, "{db:.2} dB");
}

/// Solid patches, 16×16 so 4:2:0 chroma is flat at their centres: dark, light, saturated, grey.
const PATCHES: [u32; 8] = [
    0x804020, 0x2050a0, 0xd0c0b0, 0x101418, 0x30c040, 0xe02030, 0x808080, 0xf0e060,
];

/// The patches drawn in RGB, encoded to tv-range `yuv420p` with `matrix` (the truth), then read back as RGB in
/// 0..255 twice: as they are (`plain`), and after `chain` (`graded`). Both read-backs use `matrix`.
fn patches_through(matrix: Matrix, chain: &str) -> (Vec<[u8; 3]>, Vec<[u8; 3]>) {
    let dir = tempfile::tempdir().unwrap();
    let m = matrix.swscale_name();
    let mut graph = String::new();
    for (i, c) in PATCHES.iter().enumerate() {
        graph.push_str(&format!("color=c=0x{c:06x}:s=16x16:r=25:d=0.04,format=rgb24[c{i}];"));
    }
    for i in 0..PATCHES.len() {
        graph.push_str(&format!("[c{i}]"));
    }
    // Read back through planar RGB, the way the grade converts: swscale's direct yuv420p → rgb24 path is off by
    // one or two steps in the shadows. (On a gbrp picture the scale does nothing.)
    let to_rgb = format!("scale=in_color_matrix={m}:in_range=tv:out_range=pc,format=gbrp,format=rgb24");
    graph.push_str(&format!(
        "hstack=inputs={},scale=out_color_matrix={m}:out_range=tv,format=yuv420p,split[a][b];\
         [a]{to_rgb}[plain];[b]{chain},{to_rgb}[graded]",
        PATCHES.len()
    ));
    let (plain, graded) = (dir.path().join("plain.rgb"), dir.path().join("graded.rgb"));
    #[rustfmt::skip]
    ffmpeg(&[
        "-filter_complex", &graph,
        "-map", "[plain]", "-frames:v", "1", "-f", "rawvideo", plain.to_str().unwrap(),
        "-map", "[graded]", "-frames:v", "1", "-f", "rawvideo", graded.to_str().unwrap(),
    ]);
    let centres = |p: &Path| {
        let bytes = std::fs::read(p).unwrap();
        let width = 16 * PATCHES.len();
        assert_eq!(bytes.len(), width * 16 * 3);
        (0..PATCHES.len())
            .map(|i| {
                let at = (8 * width + i * 16 + 8) * 3;
                [bytes[at], bytes[at + 1], bytes[at + 2]]
            })
            .collect::<Vec<_>>()
    };
    (centres(&plain), centres(&graded))
}

/// The largest per-channel difference, in 8-bit steps, between what FFmpeg made of each patch and `want`.
fn worst(plain: &[[u8; 3]], graded: &[[u8; 3]], want: impl Fn([f32; 3]) -> [f32; 3]) -> f32 {
    let mut worst = 0.0f32;
    for (p, g) in plain.iter().zip(graded) {
        let w = want(p.map(|v| v as f32 / 255.0));
        for i in 0..3 {
            worst = worst.max((g[i] as f32 - w[i] * 255.0).abs());
        }
    }
    worst
}

/// What the 8-bit path makes of a graded colour: `lut3d` truncates to 8 bits, then the encode to tv-range
/// `yuv420p` with `matrix` and the decode back to RGB each round to the nearest step.
fn through_8_bits(rgb: [f32; 3], matrix: Matrix) -> [f32; 3] {
    let (kr, kb) = match matrix {
        Matrix::Bt601 => (0.299, 0.114),
        Matrix::Bt709 => (0.2126, 0.0722),
        Matrix::Bt2020 => (0.2627, 0.0593),
    };
    let kg = 1.0 - kr - kb;
    let [r, g, b] = rgb.map(|v| (v * 255.0).floor() / 255.0);
    let y = kr * r + kg * g + kb * b;
    let code_y = (16.0 + 219.0 * y).round();
    let code_cb = (128.0 + 224.0 * (b - y) / (2.0 * (1.0 - kb))).round();
    let code_cr = (128.0 + 224.0 * (r - y) / (2.0 * (1.0 - kr))).round();
    let (y, cb, cr) = (
        (code_y - 16.0) / 219.0,
        (code_cb - 128.0) / 224.0,
        (code_cr - 128.0) / 224.0,
    );
    let r = y + 2.0 * (1.0 - kr) * cr;
    let b = y + 2.0 * (1.0 - kb) * cb;
    let g = (y - kr * r - kb * b) / kg;
    [r, g, b].map(|v| (v.clamp(0.0, 1.0) * 255.0).round() / 255.0)
}

#[test]
fn ffmpeg_lut3d_computes_what_lut_apply_computes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, matrix) in [
        ("sci-fi", Matrix::Bt709),
        ("western", Matrix::Bt601),
        ("horror", Matrix::Bt709),
    ] {
        let lut = Lut::for_vibe(Vibe::parse(name).unwrap());
        let file = write_lut(dir.path(), &format!("{name}.cube"), &lut);
        let m = matrix.swscale_name();
        // lut3d alone, on the RGB the grade converts to: the same numbers as apply(), truncated to 8 bits.
        let chain = format!(
            "scale=in_color_matrix={m}:out_range=pc,format=gbrp,lut3d=file={}:interp=tetrahedral",
            file.display()
        );
        let (plain, graded) = patches_through(matrix, &chain);
        assert!(plain != graded, "{name}: the grade changed nothing");
        let d = worst(&plain, &graded, |c| lut.apply(c).map(|v| (v * 255.0).floor() / 255.0));
        eprintln!("{name}: lut3d vs apply(): {d:.2} steps");
        assert!(d <= 1.0, "{name}: lut3d and apply() differ by {d:.2} steps");

        // The whole grade, back in yuv420p: within a chroma step of apply() (one Cb step is 2.1 steps of blue),
        // and only with the right matrix.
        let colour = Colour::new(matrix, Range::Tv);
        let (plain, graded) = patches_through(matrix, &colour.grade_filters(&file));
        let d = worst(&plain, &graded, |c| through_8_bits(lut.apply(c), matrix));
        eprintln!("{name}: the whole grade vs apply(): {d:.2} steps");
        assert!(d <= 3.5, "{name}: the grade and apply() differ by {d:.2} steps");
    }
}

#[test]
fn the_lut_sees_the_sources_rgb_only_with_the_sources_matrix() {
    // Rotating the channels shows a wrong matrix: the error it makes going in is not undone coming back.
    let dir = tempfile::tempdir().unwrap();
    let rotate = Lut::from_fn("rotate", 33, |c| [c[2], c[0], c[1]]);
    let file = write_lut(dir.path(), "rotate.cube", &rotate);
    for (right, wrong) in [(Matrix::Bt709, Matrix::Bt601), (Matrix::Bt601, Matrix::Bt709)] {
        let want = |c: [f32; 3]| through_8_bits(rotate.apply(c), right);
        let (plain, graded) = patches_through(right, &Colour::new(right, Range::Tv).grade_filters(&file));
        let d = worst(&plain, &graded, want);
        eprintln!("{right:?}: rotated patches within {d:.2} steps");
        assert!(d <= 3.5, "{right:?}: {d:.2} steps");
        let (plain, graded) = patches_through(right, &Colour::new(wrong, Range::Tv).grade_filters(&file));
        let d = worst(&plain, &graded, want);
        eprintln!("{right:?} source graded as {wrong:?}: {d:.2} steps off");
        assert!(
            d > 10.0,
            "{right:?} source graded as {wrong:?} is only {d:.2} steps off"
        );
    }
}

#[test]
fn graded_output_is_yuv420p_with_the_sources_tags_from_an_awkward_path() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "sd.mkv", "640x480", "bt601", "smpte170m", Range::Tv);
    let colour = colour_of(&src);
    // Characters that the filter graph and the option parser both treat specially.
    let luts = dir.path().join("it's: a, [grade]; dir");
    std::fs::create_dir(&luts).unwrap();
    let file = write_lut(&luts, "war.cube", &Lut::for_vibe(Vibe::parse("war").unwrap()));
    let out = dir.path().join("graded.mp4");
    let mut args: Vec<String> = ["-i", src.to_str().unwrap(), "-vf", &colour.grade_filters(&file)]
        .map(String::from)
        .to_vec();
    args.extend(["-c:v", "libx264", "-preset", "ultrafast"].map(String::from));
    args.extend(colour.output_args());
    args.push(out.to_str().unwrap().to_string());
    ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let v = colour_of(&out);
    assert_eq!(v, colour, "the output is described as the source was");
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args([
            "stream=pix_fmt,color_space,color_range,color_primaries,color_transfer",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "yuv420p,tv,smpte170m,smpte170m,smpte170m"
    );
}
