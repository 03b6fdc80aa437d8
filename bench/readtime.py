#!/usr/bin/python3
"""readtime.py FILE REPS: the median time (ms) to open FILE, read it to the
end in 128 KiB reads (as cat does) and close it, over REPS runs in this one
process, so that starting a program does not hide the read time.  Prints
"MEDIAN_MS BYTES"."""
import os
import sys
import time


def main():
    path, reps = sys.argv[1], int(sys.argv[2])
    times, size = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        fd = os.open(path, os.O_RDONLY)
        size = 0
        while True:
            b = os.read(fd, 131072)
            if not b:
                break
            size += len(b)
        os.close(fd)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print("%.3f %d" % (times[len(times) // 2], size))


if __name__ == "__main__":
    main()
