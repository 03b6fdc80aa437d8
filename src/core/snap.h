/* snap.h: refcounted immutable snapshots.
 *
 * The main thread builds a snapshot (a rendering of the view, a status
 * answer, later the SAs and keys a datapath thread needs) and publishes it;
 * readers in other threads or connections take a reference and use it for
 * as long as they like, without locks and without copies; the last
 * snap_put() frees it.  A snapshot never changes after snap_new().
 * Snapshots holding secrets are made with SNAP_SECRET: their bytes are
 * wiped (OPENSSL_cleanse) before they are freed.
 * The counts are atomic: references may be taken and dropped from any
 * thread.  No I/O.
 */
#ifndef SPIGRP_SNAP_H
#define SPIGRP_SNAP_H

#include <stddef.h>

struct snap;

enum snap_flags {
	SNAP_SECRET = 1, /* wipe the data before freeing it */
};

/**
 * snap_new() - a snapshot owning @data (@len bytes, malloc'ed; NULL with
 * @len 0 is an empty snapshot).  @free_data, when not NULL, releases data
 * that is more than one malloc block (it is called with @data and @len
 * after the wipe); NULL means free(@data).
 * Return: the snapshot with one reference, or NULL when out of memory (then
 * @data was released as the last snap_put() would have).
 */
struct snap *snap_new(void *data, size_t len, unsigned flags,
		      void (*free_data)(void *data, size_t len));

/* A snapshot holding a copy of @len bytes at @data, or NULL (no memory). */
struct snap *snap_copy(const void *data, size_t len, unsigned flags);

/* One more reference to @s (NULL stays NULL). */
struct snap *snap_get(struct snap *s);
/* Drop one reference; the last one frees the snapshot.  NULL is a no-op. */
void snap_put(struct snap *s);

const void *snap_data(const struct snap *s);
size_t snap_len(const struct snap *s);

/* Bytes held by all live snapshots of this process (for memory caps and
 * tests). */
size_t snap_bytes_live(void);

#endif
