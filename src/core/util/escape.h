/* util/escape.h: text that is safe to put on a terminal or into a log.
 *
 * Anything a config file, a control client or a peer sent may end up in a
 * message.  escape_text() keeps printable ASCII and valid printable UTF-8
 * and writes everything else visibly: C0 controls, DEL and bytes that are
 * not valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points
 * above U+10FFFF) as "\xNN"; C1 controls (U+0080..U+009F) as the "\xNN" of
 * each of their bytes; Unicode format characters that reorder or hide text
 * (bidi embeddings, overrides and isolates U+202A..U+202E, U+2066..U+2069,
 * marks U+200E, U+200F, U+061C, zero-width U+200B..U+200D, U+2060, U+FEFF)
 * as "\u{XXXX}".  Pure; no I/O.
 */
#ifndef SPIGRP_UTIL_ESCAPE_H
#define SPIGRP_UTIL_ESCAPE_H

#include <stddef.h>

#define ESCAPE_NOCAP ((size_t)-1)

/**
 * escape_text() - a printable copy of the first @len bytes at @s (@len may
 * be ESCAPE_NOCAP for a NUL-terminated string; a NUL within @len is escaped
 * too).  When @cap is not ESCAPE_NOCAP and the input is longer than @cap
 * bytes, only its first @cap bytes (never half a UTF-8 sequence) are kept
 * and "..." is appended.
 * Return: malloc'ed NUL-terminated text the caller frees, or NULL when out
 * of memory.
 */
char *escape_text(const char *s, size_t len, size_t cap);

#endif
