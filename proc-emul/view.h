/* view.h: the read-only FUSE file system that serves the KLIPS views
 * (ipsec_spigrp, ipsec_version, ...) at the configured mount point.
 *
 * The daemon's main thread publishes a complete rendering per file as a
 * refcounted snapshot (snap.h); a reader gets the snapshot current at open()
 * and keeps it until release(), so it never sees a torn line.  FUSE runs in its own thread. */
#ifndef SPIGRP_VIEW_H
#define SPIGRP_VIEW_H

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
 * pe_view_publish() - replace the content of file @name ("ipsec_spigrp")
 * with snapshot @s (snap.h; its bytes, no NUL needed).  Takes over the
 * caller's reference (also on error); readers that already opened the file
 * keep the snapshot they opened.  Return: 0, -ENOENT for an unknown @name,
 * -EINVAL for a NULL @s.  Thread-safe.
 */
int pe_view_publish(struct pe_view *v, const char *name, struct snap *s);

/* Unmount and stop the FUSE thread; NULL is a no-op. */
void pe_view_unmount(struct pe_view *v);

/* Names of the files served, NULL-terminated. */
extern const char *const pe_view_files[];

#endif
