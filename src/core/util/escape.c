/* util/escape.c: printable copies of untrusted text (escape.h). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* Length of the valid UTF-8 sequence at @s (at most @avail bytes) and its
 * code point in *@cp, or 0 when it is not valid UTF-8. */
static size_t utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	c = s[0] & (0x7f >> n); /* the lead byte's payload bits */
	min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

/* Characters that reorder, hide or break the text around them: bidi
 * controls, zero-width and invisible format characters (Unicode category
 * Cf in these ranges), the line and paragraph separators, and tags. */
static bool is_hiding_format(uint32_t cp)
{
	return cp == 0x00ad || cp == 0x061c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	       (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

char *escape_text(const char *s, size_t len, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t in = len == ESCAPE_NOCAP ? strlen(s) : len, keep = in, i = 0, n;
	bool cut = false;
	char *out, *o;
	uint32_t cp;

	if (cap != ESCAPE_NOCAP && in > cap) {
		keep = cap;
		cut = true;
	}
	/* Worst case: "\u{XXXXXX}" (10 bytes) for a 3-byte sequence, or
	 * "\xNN" (4) for one byte: at most 4 output bytes per input byte. */
	out = malloc(4 * keep + 4);
	if (!out)
		return NULL;
	o = out;
	while (i < keep) {
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			*o++ = (char)u[i++];
		} else if (u[i] >= 0x80 && (n = utf8_seq(u + i, keep - i, &cp)) != 0) {
			if (cp < 0xa0) { /* C1 control: every byte visible */
				for (size_t k = 0; k < n; k++)
					o += sprintf(o, "\\x%02x", u[i + k]);
			} else if (is_hiding_format(cp)) {
				o += sprintf(o, "\\u{%04x}", (unsigned)cp);
			} else {
				memcpy(o, u + i, n);
				o += n;
			}
			i += n;
		} else if (cut && u[i] >= 0xc2 && keep - i < 4 &&
			   utf8_seq(u + i, in - i, &cp) > keep - i) {
			break; /* do not split a sequence at the cap */
		} else {
			o += sprintf(o, "\\x%02x", u[i++]);
		}
	}
	if (cut)
		memcpy(o, "...", 3), o += 3;
	*o = '\0';
	return out;
}
