/* snap.c: refcounted immutable snapshots (snap.h). */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "snap.h"

struct snap {
	atomic_uint ref;
	unsigned flags;
	void *data;
	size_t len;
	void (*free_data)(void *data, size_t len);
};

static atomic_size_t live_bytes;

static void release(void *data, size_t len, unsigned flags,
		    void (*free_data)(void *, size_t))
{
	if (data && (flags & SNAP_SECRET))
		OPENSSL_cleanse(data, len);
	if (free_data)
		free_data(data, len);
	else
		free(data);
}

struct snap *snap_new(void *data, size_t len, unsigned flags,
		      void (*free_data)(void *data, size_t len))
{
	struct snap *s = malloc(sizeof(*s));

	if (!s) {
		release(data, len, flags, free_data);
		return NULL;
	}
	atomic_init(&s->ref, 1);
	s->flags = flags;
	s->data = data;
	s->len = len;
	s->free_data = free_data;
	atomic_fetch_add(&live_bytes, len);
	return s;
}

struct snap *snap_copy(const void *data, size_t len, unsigned flags)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		return NULL;
	if (len)
		memcpy(p, data, len);
	return snap_new(p, len, flags, NULL);
}

struct snap *snap_get(struct snap *s)
{
	if (s)
		atomic_fetch_add_explicit(&s->ref, 1, memory_order_relaxed);
	return s;
}

void snap_put(struct snap *s)
{
	if (!s)
		return;
	if (atomic_fetch_sub_explicit(&s->ref, 1, memory_order_acq_rel) != 1)
		return;
	atomic_fetch_sub(&live_bytes, s->len);
	release(s->data, s->len, s->flags, s->free_data);
	free(s);
}

const void *snap_data(const struct snap *s)
{
	return s->data;
}

size_t snap_len(const struct snap *s)
{
	return s->len;
}

size_t snap_bytes_live(void)
{
	return atomic_load(&live_bytes);
}
