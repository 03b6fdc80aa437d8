/* util/strbuf.h: one growable text buffer.
 *
 * A failed allocation sets `oom` and makes every later append a no-op, so a
 * caller can build a whole text and check once at the end.  The text is
 * always NUL-terminated when s is not NULL.  No I/O.
 */
#ifndef SPIGRP_UTIL_STRBUF_H
#define SPIGRP_UTIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
	bool secret; /* keys inside: growing wipes the old room (OPENSSL_cleanse),
			so does strbuf_free(); strbuf_take()'s caller wipes */
};

#define STRBUF_INIT { NULL, 0, 0, false, false }

/* Make room for @more bytes plus the NUL.  0, or -ENOMEM (oom set). */
int strbuf_reserve(struct strbuf *b, size_t more);
void strbuf_add(struct strbuf *b, const void *p, size_t len);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* @len bytes at @p as lowercase hex digits, two per byte. */
void strbuf_hex(struct strbuf *b, const void *p, size_t len);
/* @s as a JSON string (quotes included; ", \ and control bytes escaped). */
void strbuf_json_str(struct strbuf *b, const char *s);
/* Hand the text over (the caller frees it; *@len set when not NULL) and
 * reset @b.  NULL when oom (the buffer is freed then). */
char *strbuf_take(struct strbuf *b, size_t *len);
void strbuf_free(struct strbuf *b);

#endif
