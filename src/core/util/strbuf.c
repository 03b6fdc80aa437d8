/* util/strbuf.c: the growable text buffer (strbuf.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "strbuf.h"

int strbuf_reserve(struct strbuf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -ENOMEM;
	if (more > SIZE_MAX - b->len - 1)
		goto oom;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->secret) {
		/* not realloc(): it would free the old room unwiped */
		p = malloc(cap);
		if (!p)
			goto oom;
		if (b->s) {
			memcpy(p, b->s, b->len + 1);
			OPENSSL_cleanse(b->s, b->cap);
			free(b->s);
		}
	} else {
		p = realloc(b->s, cap);
		if (!p)
			goto oom;
	}
	p[b->len] = '\0';
	b->s = p;
	b->cap = cap;
	return 0;
oom:
	b->oom = true;
	return -ENOMEM;
}

void strbuf_add(struct strbuf *b, const void *p, size_t len)
{
	if (strbuf_reserve(b, len) < 0)
		return;
	memcpy(b->s + b->len, p, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

/* Formats once into the room there is (most calls fit), a second time
 * only after growing. */
void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (b->oom || (!b->cap && strbuf_reserve(b, 64) < 0))
		return;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->s[b->len] = '\0';
		b->oom = true;
		return;
	}
	if ((size_t)n >= room) {
		if (strbuf_reserve(b, (size_t)n) < 0) {
			b->s[b->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void strbuf_json_str(struct strbuf *b, const char *s)
{
	strbuf_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_printf(b, "\\u%04x", c);
		else
			strbuf_add(b, s, 1);
	}
	strbuf_add(b, "\"", 1);
}

char *strbuf_take(struct strbuf *b, size_t *len)
{
	char *s = NULL;

	if (!b->oom) {
		if (strbuf_reserve(b, 0) == 0) {
			s = b->s;
			if (len)
				*len = b->len;
			b->s = NULL;
		}
	}
	strbuf_free(b);
	return s;
}

void strbuf_free(struct strbuf *b)
{
	if (b->secret && b->s)
		OPENSSL_cleanse(b->s, b->cap);
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void strbuf_hex(struct strbuf *b, const void *p, size_t len)
{
	static const char digit[] = "0123456789abcdef";
	const unsigned char *c = p;

	if (strbuf_reserve(b, 2 * len) < 0)
		return;
	for (size_t i = 0; i < len; i++) {
		b->s[b->len++] = digit[c[i] >> 4];
		b->s[b->len++] = digit[c[i] & 15];
	}
	b->s[b->len] = '\0';
}
