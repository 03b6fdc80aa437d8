/* view.h: the read-only FUSE file system that serves the KLIPS views
 * at the configured mount point: the tree ipsec/ (eroute/all, spi/all,
 * spigrp/all, tncfg, version, klipsdebug, natt) and, at the top, the
 * compatibility links ipsec_eroute, ipsec_spi, ipsec_spigrp, ipsec_tncfg,
 * ipsec_version and ipsec_klipsdebug into it, as KLIPS laid out /proc/net.
 *
 * The daemon's main thread publishes a complete rendering per file as a
 * refcounted snapshot (snap.h); a reader gets the snapshot current at open()
 * and keeps it until release(), so it never sees a torn line.  FUSE runs in its own thread. */
#ifndef SPIGRP_VIEW_H
#define SPIGRP_VIEW_H

#include <stdbool.h>
#include <stddef.h>

struct snap;

struct pe_view;

/**
 * pe_view_mount() - mount the view at @mountpoint (created if missing; a
 * stale FUSE mount left by a killed daemon is lazily unmounted first) with
 * allow_other,default_permissions, files mode 0444, and start serving.
 * Return: 0 or -errno, with a message in @err.
 */
int pe_view_mount(struct pe_view **out, const char *mountpoint, char *err, size_t errlen);

/**
 * pe_view_publish() - replace the content of file @name (a path in the
 * mount, links followed: "ipsec_spigrp", "ipsec/spigrp/all", "ipsec/natt")
 * with snapshot @s (snap.h; its bytes, no NUL needed).  Takes over the
 * caller's reference (also on error); readers that already opened the file
 * keep the snapshot they opened.  Return: 0, -ENOENT for an unknown @name,
 * -EINVAL for a NULL @s.  Thread-safe.
 */
int pe_view_publish(struct pe_view *v, const char *name, struct snap *s);

/**
 * pe_view_invalidate() - drop file @name's content: it is rendered on
 * demand.  The next open() of it waits (in the kernel, without holding the
 * FUSE thread) for the next pe_view_publish() of @name, which the owner
 * is asked for through pe_view_refresh_fd(); readers that already opened
 * the file keep the snapshot they opened.  For files one line per SA or
 * policy (ipsec_spi, ipsec_eroute) that most readers never open: their
 * text then costs no memory.  Return: 0, or -ENOENT for an unknown @name.
 * Thread-safe.
 */
int pe_view_invalidate(struct pe_view *v, const char *name);

/*
 * pe_view_refresh_fd() - an eventfd that becomes readable when a reader
 * opens a file whose content was dropped (pe_view_invalidate()), or a file
 * whose content changes by itself (the counters of ipsec_spi and
 * ipsec_eroute) and its rendering is more than a second old.  The owner
 * reads it (8 bytes), then renders and publishes the files
 * pe_view_wanted() names.  An opener with an older rendering to fall back
 * on waits a quarter of a second at most, one without waits for the new
 * one.  -1 for a NULL @v.
 */
int pe_view_refresh_fd(const struct pe_view *v);

/* Does an open() of file @name wait for a new rendering?  Thread-safe. */
bool pe_view_wanted(struct pe_view *v, const char *name);

/* Unmount and stop the FUSE thread; NULL is a no-op. */
void pe_view_unmount(struct pe_view *v);

/* Names pe_view_publish() takes (one per file), NULL-terminated. */
extern const char *const pe_view_files[];

#endif
