/*
 * Writing SVG by hand, safely, for charts: text escaped for XML and cleaned
 * of what XML cannot hold, its direction taken from its first strong
 * character (as HTML's dir="auto"), marker shapes and a colour-blind-safe
 * palette that keeps 3:1 against white, counts with their digits grouped,
 * and text widths estimated for layout (no font is known here). Pure.
 */
#ifndef AMUDDU_SVG_H
#define AMUDDU_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/buf.h"

/* Where a text's x is: its left edge, its middle or its right edge, whatever its direction. */
enum svg_align { SVG_LEFT, SVG_MIDDLE, SVG_RIGHT };

/* The marker shapes and palette colours there are; series past them combine the two. */
#define SVG_SHAPES 8

/*
 * Appends s as XML text (or an attribute value): & < > " ' escaped, bytes
 * that are not UTF-8 as U+FFFD, line ends and other control characters as
 * spaces, bidirectional controls (which could reorder what follows them)
 * left out. At most maxcp characters, the last one "…" when s was cut (0:
 * no limit).
 */
void svg_escape(struct buf *out, const char *s, size_t maxcp);
/* True when the first strong character of s is right-to-left (Arabic, Hebrew, Syriac, Thaana). */
bool svg_rtl(const char *s);
/* The width of s at font size fs, estimated from average glyph widths; at most maxcp characters (0: all). */
double svg_text_width(const char *s, double fs, size_t maxcp);
/*
 * A <text> at x, y (its baseline) of size fs in colour fill, bold or not,
 * aligned as align says at x; right-to-left text gets direction="rtl" and
 * the text-anchor that keeps it where align says. s as svg_escape() with
 * maxcp.
 */
void svg_text(struct buf *out, double x, double y, double fs, const char *fill, bool bold, enum svg_align align,
    const char *s, size_t maxcp);
/* Marker shape (0..SVG_SHAPES-1) centred on x, y, of radius rad: fill, and a stroke of 1.5 around it. */
void svg_marker(struct buf *out, int shape, double x, double y, double rad, const char *fill, const char *stroke);
/* The colour of palette entry i (0..SVG_SHAPES-1), "#rrggbb". */
const char *svg_colour(size_t i);
/* v with its thousands grouped as lang writes them ("12 500" in fr and ar, "12,500" in en). */
void svg_count(long long v, const char *lang, char *out, size_t len);

#endif
