/* util/hash.c: FNV-1a 64 and the open-addressing hash index (hash.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define FNV64_PRIME 0x100000001b3ull

uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t hash_str(uint64_t h, const char *s)
{
	return hash_bytes(h, s, strlen(s));
}

static int hidx_alloc(struct hidx *x, size_t cap)
{
	x->hash = calloc(cap, sizeof(*x->hash));
	x->val = malloc(cap * sizeof(*x->val));
	if (!x->hash || !x->val) {
		free(x->hash);
		free(x->val);
		x->hash = NULL;
		x->val = NULL;
		return -ENOMEM;
	}
	memset(x->val, 0xff, cap * sizeof(*x->val)); /* every slot SIZE_MAX: free */
	x->cap = cap;
	x->n = 0;
	return 0;
}

static void hidx_insert(struct hidx *x, uint64_t hash, size_t val)
{
	size_t mask = x->cap - 1, i = (size_t)hash & mask;

	while (x->val[i] != SIZE_MAX)
		i = (i + 1) & mask;
	x->hash[i] = hash;
	x->val[i] = val;
	x->n++;
}

int hidx_init(struct hidx *x, size_t expect)
{
	size_t cap = 16;

	while (cap < expect * 2 && cap < SIZE_MAX / 4)
		cap *= 2;
	return hidx_alloc(x, cap);
}

int hidx_put(struct hidx *x, uint64_t hash, size_t val)
{
	if (x->cap == 0 || (x->n + 1) * 2 > x->cap) {
		struct hidx old = *x;
		size_t cap = x->cap ? x->cap * 2 : 16;

		if (cap < x->cap || hidx_alloc(x, cap) < 0) {
			*x = old;
			return -ENOMEM;
		}
		for (size_t i = 0; i < old.cap; i++)
			if (old.val[i] != SIZE_MAX)
				hidx_insert(x, old.hash[i], old.val[i]);
		free(old.hash);
		free(old.val);
	}
	hidx_insert(x, hash, val);
	return 0;
}

bool hidx_next(const struct hidx *x, uint64_t hash, size_t *pos, size_t *val)
{
	size_t mask, i;

	if (x->cap == 0)
		return false;
	mask = x->cap - 1;
	/* *pos counts the slots already probed from the home slot. */
	for (; *pos < x->cap; (*pos)++) {
		i = ((size_t)hash + *pos) & mask;
		if (x->val[i] == SIZE_MAX)
			return false;
		if (x->hash[i] == hash) {
			*val = x->val[i];
			(*pos)++;
			return true;
		}
	}
	return false;
}

void hidx_reset(struct hidx *x)
{
	if (x->cap)
		memset(x->val, 0xff, x->cap * sizeof(*x->val));
	x->n = 0;
}

void hidx_free(struct hidx *x)
{
	free(x->hash);
	free(x->val);
	memset(x, 0, sizeof(*x));
}
