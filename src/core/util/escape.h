/* util/escape.h: text that is safe to put on a terminal or into a log.
 *
 * Anything a config file, a control client or a peer sent may end up in a
 * message.  escape_text() keeps printable ASCII and valid printable UTF-8
 * and writes everything else visibly: C0 controls, DEL and bytes that are
 * not valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points
 * above U+10FFFF) as "\xNN"; C1 controls (U+0080..U+009F) as the "\xNN" of
 * each of their bytes; Unicode characters that reorder, hide or break text
 * (bidi embeddings, overrides, isolates and marks, zero-width and other
 * invisible format characters U+200B..U+200F, U+2060..U+206F, U+00AD,
 * U+180E, U+FEFF, U+FFF9..U+FFFB, the line and paragraph separators
 * U+2028/U+2029, tags U+E0000..U+E007F) as "\u{XXXX}".  Pure; no I/O.
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
