/* util/hash.h: the one hash function (64-bit FNV-1a) and one hash index
 * for the whole daemon.
 *
 * The index maps a 64-bit hash to a caller's value (an array index, say);
 * it stores no keys, so a lookup walks the candidates with that hash and the
 * caller compares the real keys.  Open addressing with linear probing,
 * grown to keep the load at most 1/2; entries are never removed one by one
 * (rebuild or hidx_reset() instead).  Not thread-safe; no I/O.
 */
#ifndef SPIGRP_UTIL_HASH_H
#define SPIGRP_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 0xcbf29ce484222325ull /* FNV-1a 64 offset basis */

/* Fold @len bytes at @p into @h (start with HASH_INIT).  Never 0-special. */
uint64_t hash_bytes(uint64_t h, const void *p, size_t len);
/* Fold a NUL-terminated string (without its NUL). */
uint64_t hash_str(uint64_t h, const char *s);

struct hidx {
	uint64_t *hash; /* per slot; a slot is free when val is SIZE_MAX */
	size_t *val;
	size_t cap;     /* a power of two, or 0 */
	size_t n;
};

/* An empty index sized for about @expect entries.  0 or -ENOMEM. */
int hidx_init(struct hidx *x, size_t expect);
/* Add @val under @hash (duplicates allowed; @val must not be SIZE_MAX).
 * Grows as needed.  0 or -ENOMEM (the index is unchanged then). */
int hidx_put(struct hidx *x, uint64_t hash, size_t val);
/**
 * hidx_next() - the next candidate stored under @hash.  Start with
 * *@pos = 0 (an opaque cursor); each call returns true with *@val set, or
 * false when there are no more.  Adding entries invalidates the cursor.
 */
bool hidx_next(const struct hidx *x, uint64_t hash, size_t *pos, size_t *val);
/* Forget every entry, keep the memory. */
void hidx_reset(struct hidx *x);
void hidx_free(struct hidx *x);

#endif
