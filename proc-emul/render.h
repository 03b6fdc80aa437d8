/* render.h: the KLIPS /proc/net views as text, from a sadb and its
 * runtime.  Pure: no FUSE, no I/O; the FUSE glue (view.c) serves what these
 * produce, as snapshots (snap.h). */
#ifndef SPIGRP_RENDER_H
#define SPIGRP_RENDER_H

#include <stddef.h>
#include "cfg.h"
#include "runtime.h"
#include "sadb.h"
#include "strbuf.h"

/**
 * render_spigrp() - append ipsec_spigrp to @out: one line per group of @db
 * that @rt says is RT_INSTALLED (a NULL @rt shows none), in creation order
 * (sadb_group.order); SAIDs inside -> outside, each followed by one space
 * (the last one too), then "\n".  A shunt group shows its magic SAID
 * (%pass, ...).  @fmt selects the SAID form (seed '0' or KLIPS-kernel 'x').
 * Return: 0 (out->s NUL-terminated, also when nothing was appended),
 * -EINVAL for an unknown @fmt, -ENOMEM (out->oom set).
 */
int render_spigrp(const struct sadb *db, const struct runtime *rt, enum cfg_said_format fmt,
		  struct strbuf *out);

/* Append ipsec_version: "spigrpd version: <VERSION>\n".  0 or -ENOMEM. */
int render_version(struct strbuf *out);

#endif
