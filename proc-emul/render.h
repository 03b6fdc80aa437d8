/* render.h: the KLIPS /proc/net views as text, from a sadb.  Pure: no FUSE,
 * no I/O; the FUSE glue (view.c) serves what these produce. */
#ifndef SPIGRP_RENDER_H
#define SPIGRP_RENDER_H

#include <stddef.h>
#include "cfg.h"
#include "sadb.h"

/* A growable text buffer.  data is malloc'ed; after an allocation failure
 * oom is set and further appends are ignored. */
struct render_buf {
	char *data;
	size_t len, cap;
	int oom;
};
void render_buf_free(struct render_buf *b);

/**
 * render_spigrp() - append ipsec_spigrp: one line per INSTALLED group in
 * creation order; SAIDs inside -> outside, each followed by one space (the
 * last one too), then "\n".  @fmt selects the SAID form (seed '0' or
 * KLIPS-kernel 'x').  Return: 0, or -ENOMEM.
 */
int render_spigrp(const struct sadb *db, enum cfg_said_format fmt, struct render_buf *out);

/* Append ipsec_version: "spigrpd version: <VERSION>\n".  0 or -ENOMEM. */
int render_version(struct render_buf *out);

#endif
