#!/usr/bin/env python3
"""Shot detection: CineCut against PySceneDetect (`detect-content`, default settings) on the same files, in the
same run. Prints F1 (cuts within ±1 frame, gradual transitions within ±half their length) and the speed ratio.

Ground truth:
  * synthetic films built here with FFmpeg: hard cuts, dissolves, fades through black, white flashes inside shots
    (must NOT count), static shots and a camera pan (must not count either), at known frames;
  * PySceneDetect's own test clip (../shared/media/shot_boundary/pyscenedetect): its published ContentDetector
    golden, and the transitions read off the clip by eye (fade-through-black centred on frames 201 and 382, a
    dissolve over frames ~535-565 that the golden misses).

Usage: bench/shots.py CINECUT_BIN SCENEDETECT_BIN WORKDIR
"""
import json
import os
import subprocess
import sys
import time

FPS = 24
SIZE = "480x270"

SOURCES = [
    "testsrc2=s={s}:r={r}",
    "mandelbrot=s={s}:r={r}",
    "sierpinski=s={s}:r={r}",
    "cellauto=s={s}:r={r}:rule=30",
    "life=s={s}:r={r}:mold=10:ratio=0.1:life_color=#ffcc00:death_color=#002266",
    "gradients=s={s}:r={r}:speed=0.02",
    "smptehdbars=s={s}:r={r}",  # static
    "testsrc=s={s}:r={r}",
    "rgbtestsrc=s={s}:r={r}",  # static
    "pal75bars=s={s}:r={r}",  # static
]
# A camera pan over a wide test pattern: continuous motion, no boundary.
PAN = "testsrc2=s=1440x270:r={r},crop=480:270:x='min(n*6\\,960)':y=0"


def film(path, plan):
    """plan: list of (source, frames, transition_into_next, transition_frames). Returns truth [(centre, tol)]."""
    args, graph = [], ""
    for i, (src, frames, _, _) in enumerate(plan):
        args += ["-f", "lavfi", "-i", src.format(s=SIZE, r=FPS)]
        graph += f"[{i}:v]trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p,setsar=1,settb=1/{FPS}[s{i}];"
    truth, cur, length = [], "s0", plan[0][1]
    for i in range(1, len(plan)):
        kind, tf = plan[i - 1][2], plan[i - 1][3]
        out = f"j{i}"
        if kind == "cut":
            graph += f"[{cur}][s{i}]concat=n=2,settb=1/{FPS}[{out}];"
            truth.append((length, 1, "cut"))
            length += plan[i][1]
        else:
            offset = (length - tf) / FPS
            xf = "fade" if kind == "dissolve" else "fadeblack"
            graph += f"[{cur}][s{i}]xfade=transition={xf}:duration={tf / FPS}:offset={offset}[{out}];"
            truth.append((length - tf + tf // 2, max(1, tf // 2), kind))
            length += plan[i][1] - tf
        cur = out
    # White flashes (2 frames) inside shots: not boundaries.
    flashes = [f for f in (40, 400, 760) if f < length]
    enable = "+".join(f"between(n\\,{f}\\,{f + 1})" for f in flashes)
    graph += f"[{cur}]drawbox=c=white:t=fill:enable='{enable}'[v]"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, "-filter_complex", graph, "-map", "[v]",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-r", str(FPS), path],
        check=True,
    )
    return [(c, tol) for c, tol, _ in truth], length


def plans():
    srcs = SOURCES
    hard = [(srcs[i % len(srcs)], 30 + (i * 17) % 50, "cut", 0) for i in range(24)]
    mixed, kinds = [], ["cut", "dissolve", "cut", "fadeblack", "cut", "dissolve"]
    for i in range(18):
        k = kinds[i % len(kinds)]
        mixed.append((srcs[(i * 3) % len(srcs)], 60 + (i * 13) % 40, k, 0 if k == "cut" else 12 + (i % 3) * 6))
    mixed.insert(5, (PAN, 72, "cut", 0))
    return {"synthetic_hard_cuts": hard, "synthetic_gradual": mixed}


def f1(truth, found):
    used, hits = set(), 0
    for centre, tol in truth:
        for j, f in enumerate(found):
            if j not in used and abs(f - centre) <= tol:
                used.add(j)
                hits += 1
                break
    p = hits / len(found) if found else (1.0 if not truth else 0.0)
    r = hits / len(truth) if truth else 1.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def run_cinecut(binary, video, work):
    t0 = time.monotonic()
    subprocess.run([binary, video, "-v", "action", "--until", "proxy", "--fresh", "--quiet", "--work-dir", work,
                    "-o", os.path.join(os.path.dirname(work), "unused.mp4")], check=True)
    dt = time.monotonic() - t0
    shots = json.load(open(os.path.join(work, "analysis", "shots.json")))
    return [s["start_frame"] for s in shots["shots"][1:]], dt


def run_scenedetect(binary, video, out):
    os.makedirs(out, exist_ok=True)
    t0 = time.monotonic()
    subprocess.run([binary, "-q", "-i", video, "-o", out, "detect-content", "list-scenes", "-q", "-f", "scenes.csv"],
                   check=True)
    dt = time.monotonic() - t0
    rows = open(os.path.join(out, "scenes.csv")).read().splitlines()
    # Row 0 is the timecode list, row 1 the header; then one row per scene with its start frame (1-based).
    header = rows[1].split(",")
    col = header.index("Start Frame")
    starts = [int(r.split(",")[col]) - 1 for r in rows[2:]]
    return starts[1:], dt


def main():
    cinecut, scenedetect, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    cases = []
    for name, plan in plans().items():
        path = os.path.join(work, name + ".mp4")
        truth, _ = film(path, plan)
        cases.append((name, path, truth))
    tv = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "media", "shot_boundary", "pyscenedetect",
                      "testvideo.mp4")
    if os.path.exists(tv):
        cases.append(("pyscenedetect_testvideo (by eye)", tv, [(201, 16), (382, 18), (550, 15)]))
        golden = json.load(open(os.path.join(os.path.dirname(tv), "goldens",
                                             "testvideo.mp4.ContentDetector.default.json")))["cuts"]
        cases.append(("pyscenedetect_testvideo (golden)", tv, [(c, 1) for c in golden]))
    print(f"{'file':38} {'truth':>5} {'cinecut F1':>10} {'pyscenedetect F1':>16} {'time ratio (cinecut/psd)':>25}")
    totals = [0.0, 0.0]
    for name, path, truth in cases:
        ours, t_ours = run_cinecut(cinecut, path, os.path.join(work, "w_" + name.split()[0]))
        theirs, t_theirs = run_scenedetect(scenedetect, path, os.path.join(work, "psd_" + name.split()[0]))
        totals[0] += t_ours
        totals[1] += t_theirs
        print(f"{name:38} {len(truth):5} {f1(truth, ours):10.3f} {f1(truth, theirs):16.3f} {t_ours / t_theirs:25.2f}")
        if os.environ.get("VERBOSE"):
            print("   truth", [c for c, _ in truth], "\n   cinecut", ours, "\n   pyscenedetect", theirs)
    print(f"total time: cinecut (whole proxy stage, incl. proxy encode and audio) / PySceneDetect detect-content "
          f"= {totals[0] / totals[1]:.2f}x")


if __name__ == "__main__":
    main()
