#!/usr/bin/env python3
"""Run a command; print its wall time and the peak resident memory of that process alone (VmHWM from
/proc/PID/status, sampled until it exits), not of its FFmpeg children. Usage: peak_rss.py CMD ARGS..."""
import subprocess
import sys
import time

t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
peak = 0
while p.poll() is None:
    try:
        for line in open(f"/proc/{p.pid}/status"):
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.05)
if p.returncode != 0:
    sys.exit(f"command failed ({p.returncode}): {' '.join(sys.argv[1:])}")
print(f"{time.monotonic() - t0:.3f} {peak}")
