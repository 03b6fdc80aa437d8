/* util/reason.c: struct reason (reason.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reason.h"

__attribute__((format(printf, 2, 0)))
static void reason_vset(struct reason *r, const char *fmt, va_list ap)
{
	int n = vsnprintf(r->text, sizeof(r->text), fmt, ap);

	if (n >= (int)sizeof(r->text))
		memcpy(r->text + sizeof(r->text) - 4, "...", 4);
}

void reason_set(struct reason *r, const char *fmt, ...)
{
	va_list ap;

	if (!r)
		return;
	va_start(ap, fmt);
	reason_vset(r, fmt, ap);
	va_end(ap);
}

void reason_prefix(struct reason *r, const char *fmt, ...)
{
	struct reason old, pre;
	va_list ap;

	if (!r)
		return;
	old = *r;
	va_start(ap, fmt);
	reason_vset(&pre, fmt, ap);
	va_end(ap);
	reason_set(r, "%s: %s", pre.text, old.text);
}
