/*
 * SVG text, markers, palette and counts for the charts (handlers/svg.h).
 * Everything that reaches the document from outside goes through
 * svg_escape(), so a name can never open an element or an attribute, nor
 * make the document something an XML parser refuses.
 */
#include "handlers/svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static size_t svg_next(const char *s, uint32_t *cp);
static bool svg_bidi_control(uint32_t cp);
static double svg_glyph_width(uint32_t cp);

/*
 * The Okabe-Ito hues (Okabe & Ito, "Color Universal Design"): blue,
 * vermillion, bluish green, reddish purple, orange, sky blue, black and
 * yellow, the four light ones darkened (same hue) until they keep 3:1
 * against white, the contrast WCAG 2.1 asks of graphical objects (1.4.11).
 */
static const char *const svg_palette[SVG_SHAPES] = { "#0072B2", "#D55E00", "#009E73", "#C870A1", "#BB8100", "#1C95D9",
	"#000000", "#978E0C" };

/* The code point at s and its length in bytes; a byte that starts no UTF-8 character is U+FFFD, one byte long. */
static size_t
svg_next(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;

	if (n == 1) {
		*cp = *p;
		return 1;
	}
	if (n == 0 || !utf8_valid(s, strnlen(s, n)) || strnlen(s, n) < n) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = *p & (0x7F >> n);
	for (size_t i = 1; i < n; i++)
		*cp = *cp << 6 | (p[i] & 0x3F);
	return n;
}

/* The embeddings, overrides and isolates of Unicode's bidirectional algorithm, and the marks. */
static bool
svg_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
	    cp == 0x061C;
}

void
svg_escape(struct buf *out, const char *s, size_t maxcp)
{
	size_t n = 0;

	while (*s != '\0') {
		uint32_t cp;
		size_t len = svg_next(s, &cp);

		if (svg_bidi_control(cp)) {
			s += len;
			continue;
		}
		if (maxcp > 0 && n + 1 == maxcp && s[len] != '\0') {
			buf_puts(out, "\xE2\x80\xA6"); /* … */
			return;
		}
		n++;
		switch (cp) {
		case '&':
			buf_puts(out, "&amp;");
			break;
		case '<':
			buf_puts(out, "&lt;");
			break;
		case '>':
			buf_puts(out, "&gt;");
			break;
		case '"':
			buf_puts(out, "&quot;");
			break;
		case '\'':
			buf_puts(out, "&apos;");
			break;
		case 0xFFFD:
			buf_puts(out, "\xEF\xBF\xBD");
			break;
		default:
			/* XML 1.0 holds no C0 control but tab and line ends, nor U+FFFE, U+FFFF: a label is one line. */
			if (cp < 0x20 || cp == 0x7F || cp == 0xFFFE || cp == 0xFFFF)
				buf_puts(out, " ");
			else
				buf_append(out, s, len);
			break;
		}
		s += len;
	}
}

bool
svg_rtl(const char *s)
{
	while (*s != '\0') {
		uint32_t cp;

		s += svg_next(s, &cp);
		if ((cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF))
			return true;
		/* Latin, Greek, Cyrillic and the rest: a strong left-to-right letter ends the search too. */
		if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
		    (cp >= 0xC0 && cp < 0x0590 && cp != 0xD7 && cp != 0xF7) || (cp >= 0x0900 && cp < 0x2000) ||
		    cp >= 0x3000)
			return false;
	}
	return false;
}

/*
 * A glyph's advance in ems, on the wide side of the common sans-serif faces
 * (DejaVu Sans is wider than Arial or Roboto): a label given too much room
 * looks fine, one given too little runs into the next.
 */
static double
svg_glyph_width(uint32_t cp)
{
	if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || svg_bidi_control(cp))
		return 0;
	if (cp == ' ' || cp == 0x202F || cp == 0xA0)
		return 0.32;
	if (cp >= '0' && cp <= '9')
		return 0.64;
	if ((cp >= 'A' && cp <= 'Z') || cp == 'm' || cp == 'w' || cp == 0x2014)
		return 0.75;
	if (cp == 'i' || cp == 'l' || cp == 'j' || cp == 'f' || cp == 't' || cp == 'r' || cp == '.' || cp == ',' ||
	    cp == ':' || cp == '\'' || cp == '(' || cp == ')')
		return 0.36;
	if (cp >= 0x3000)
		return 1.0;
	return 0.6;
}

double
svg_text_width(const char *s, double fs, size_t maxcp)
{
	double w = 0;

	for (size_t n = 0; *s != '\0' && (maxcp == 0 || n < maxcp); n++) {
		uint32_t cp;

		s += svg_next(s, &cp);
		w += svg_glyph_width(cp);
	}
	return w * fs;
}

void
svg_text(struct buf *out, double x, double y, double fs, const char *fill, bool bold, enum svg_align align,
    const char *s, size_t maxcp)
{
	bool rtl = svg_rtl(s);
	/* text-anchor names the text's start and end, which for right-to-left text are its right and left edges. */
	const char *anchor = align == SVG_MIDDLE ? "middle" : (align == SVG_LEFT) != rtl ? "start" : "end";

	buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%g\" fill=\"%s\" text-anchor=\"%s\"%s%s>", x, y, fs,
	    fill, anchor, bold ? " font-weight=\"bold\"" : "", rtl ? " direction=\"rtl\"" : "");
	svg_escape(out, s, maxcp);
	buf_puts(out, "</text>\n");
}

void
svg_marker(struct buf *out, int shape, double x, double y, double rad, const char *fill, const char *stroke)
{
	double r = rad, h = rad * 0.9;

	switch (shape % SVG_SHAPES) {
	case 0: /* circle */
		buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", x, y, r);
		break;
	case 1: /* square */
		buf_printf(
		    out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x - h, y - h, 2 * h, 2 * h);
		break;
	case 2: /* triangle, point up */
		buf_printf(out, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y - r * 1.15, x + r * 1.1,
		    y + r * 0.85, x - r * 1.1, y + r * 0.85);
		break;
	case 3: /* diamond */
		buf_printf(out, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y - r * 1.25, x + r,
		    y, x, y + r * 1.25, x - r, y);
		break;
	case 4: /* triangle, point down */
		buf_printf(out, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y + r * 1.15, x + r * 1.1,
		    y - r * 0.85, x - r * 1.1, y - r * 0.85);
		break;
	case 5:   /* plus */
	case 6: { /* cross: the plus turned by 45 degrees */
		double a = shape % SVG_SHAPES == 6 ? M_PI / 4 : 0, t = r * 0.38, l = r * 1.15;
		/* The twelve corners of a plus, arm by arm. */
		double px[12] = { -t, t, t, l, l, t, t, -t, -t, -l, -l, -t };
		double py[12] = { -l, -l, -t, -t, t, t, l, l, t, t, -t, -t };

		buf_puts(out, "<polygon points=\"");
		for (int i = 0; i < 12; i++)
			buf_printf(out, "%s%.1f,%.1f", i > 0 ? " " : "", x + px[i] * cos(a) - py[i] * sin(a),
			    y + px[i] * sin(a) + py[i] * cos(a));
		buf_puts(out, "\"");
		break;
	}
	default: /* star, five points */
		buf_puts(out, "<polygon points=\"");
		for (int i = 0; i < 10; i++) {
			double a = -M_PI / 2 + i * M_PI / 5, d = i % 2 == 0 ? r * 1.3 : r * 0.55;

			buf_printf(out, "%s%.1f,%.1f", i > 0 ? " " : "", x + d * cos(a), y + d * sin(a));
		}
		buf_puts(out, "\"");
		break;
	}
	buf_printf(out, " fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", fill, stroke);
}

const char *
svg_colour(size_t i)
{
	return svg_palette[i % SVG_SHAPES];
}

void
svg_count(long long v, const char *lang, char *out, size_t len)
{
	/* French and Moroccan usage: a narrow no-break space, which never breaks a number across lines. */
	const char *sep = strcmp(lang, "en") == 0 ? "," : "\xE2\x80\xAF";
	char digits[32];
	size_t n, o = 0;
	int w;

	w = snprintf(digits, sizeof digits, "%lld", v < 0 ? 0 : v);
	n = w > 0 ? (size_t)w : 0;
	for (size_t i = 0; i < n && o + 4 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			size_t sl = strlen(sep);

			if (o + sl + 1 >= len)
				break;
			memcpy(out + o, sep, sl);
			o += sl;
		}
		out[o++] = digits[i];
	}
	if (len > 0)
		out[o < len ? o : len - 1] = '\0';
}
