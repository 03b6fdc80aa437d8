/* util/reason.h: the one reason type.  A module that fails returns -errno
 * and, where a person needs to know why, fills a struct reason; the
 * orchestrator (the daemon) logs it once and keeps it for the status.
 * One size everywhere, so a reason is never cut when it is handed on. */
#ifndef SPIGRP_UTIL_REASON_H
#define SPIGRP_UTIL_REASON_H

#define REASON_LEN 256

struct reason {
	char text[REASON_LEN]; /* NUL-terminated; "" = no reason given */
};

/* Set @r (NULL is a no-op); a text longer than REASON_LEN - 1 bytes is cut
 * and ends in "...". */
void reason_set(struct reason *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix @r's current text with @fmt's text and ": ". */
void reason_prefix(struct reason *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
