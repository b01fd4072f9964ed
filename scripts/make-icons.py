#!/usr/bin/env python3
"""Writes the dashboard's app icons (web/public/icons/*.png): the bolt of the top bar, white on
the accent blue. `maskable` keeps the bolt inside the central 60 % (the maskable safe zone is
the central 80 % circle). Only the standard library: run it again after changing the design."""
import struct, zlib, os

BOLT = [(9.5, 0), (3, 9), (7, 9), (6, 16), (13, 6.5), (9, 6.5)]  # Icons.tsx 'bolt', 16x16 box
BG = (0x0A, 0x58, 0xA8)
FG = (0xFF, 0xFF, 0xFF)

def inside(x, y, poly):
    c = False
    for i in range(len(poly)):
        (x1, y1), (x2, y2) = poly[i], poly[i - 1]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            c = not c
    return c

def png(size, scale, path):
    box = size * scale
    off = (size - box) / 2
    poly = [(off + px / 16 * box, off + py / 16 * box) for px, py in BOLT]
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # 2x2 supersampling for smoother edges
            n = sum(inside(x + dx, y + dy, poly) for dx in (0.25, 0.75) for dy in (0.25, 0.75))
            row += bytes(round(b + (f - b) * n / 4) for b, f in zip(BG, FG))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)

out = os.path.join(os.path.dirname(__file__), "..", "web", "public", "icons")
os.makedirs(out, exist_ok=True)
png(192, 0.75, os.path.join(out, "icon-192.png"))
png(512, 0.75, os.path.join(out, "icon-512.png"))
png(512, 0.55, os.path.join(out, "icon-maskable-512.png"))
png(180, 0.7, os.path.join(out, "apple-touch-icon.png"))
