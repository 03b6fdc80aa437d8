/* labels.h: names that others give the kernel groups we do not own, keyed
 * by XFRM reqid (`spigrp --set-label NAME --reqid N`; strongSwan's updown
 * hook in contrib/strongswan/ sets its CHILD_SA's name this way).
 *
 * A label is metadata only: setting one never touches the kernel.  The
 * table lives in the daemon beside the kernel mirror, outside the config's
 * model, so a reload keeps it; it holds at most LABELS_MAX entries, sorted
 * by reqid, so the derivation of foreign groups (kern/'s mirror, filling
 * kv_sa.label and kv_group.label) finds one with labels_get() in
 * O(log n).  Who may set what (root or control-group; a reqid outside our
 * own band) is the caller's to check.  Pure: no I/O, no logging; the
 * functions that add allocate.
 *
 * A label is 1 .. LABEL_SIZE - 1 bytes of printable ASCII (0x21 .. 0x7e)
 * without the quote characters " ' ` and the backslash, and does not start
 * with '-': one word that needs no quoting in the view, in JSON or on a
 * shell command line, and never looks like an option.  strongSwan's
 * connection and CHILD_SA names (swanctl.conf section names: no white
 * space, '.', '{', '}' or '#') and libreswan's connection names with their
 * instance suffixes ("rw[3]", "net/1x0") fit.
 */
#ifndef SPIGRP_LABELS_H
#define SPIGRP_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define LABEL_SIZE 64       /* bytes of a label, its NUL included (KV_LABEL) */
#define LABELS_MAX 65536    /* labels a table holds at most */

struct label {
	uint32_t reqid;
	char name[LABEL_SIZE];
};

struct labels {
	struct label *e;    /* sorted by reqid, no two alike */
	size_t n, cap;
};

#define LABELS_INIT { NULL, 0, 0 }

/**
 * label_check() - is @name a valid label (the rules above)?
 * Return: 0, or -EINVAL with @why saying which byte is wrong (quoted
 * escaped) or that it is empty or too long.
 */
int label_check(const char *name, struct reason *why);

/**
 * label_parse_reqid() - a reqid from @s: decimal or 0x hex, 1 .. 2^32 - 1
 * (0 means "no reqid" to XFRM and is refused).
 * Return: 0 with *@reqid set, or -EINVAL with @why.
 */
int label_parse_reqid(const char *s, uint32_t *reqid, struct reason *why);

/**
 * labels_set() - give the group of @reqid the label @name (checked with
 * label_check()), replacing its old one.
 * Return: 0 (added), 1 (replaced, or the same again), -EINVAL (@name, or
 * @reqid 0) and -ENOSPC (LABELS_MAX labels already) with @why, -ENOMEM.
 */
int labels_set(struct labels *t, uint32_t reqid, const char *name, struct reason *why);

/* Remove the label of @reqid.  0, or -ENOENT when it has none. */
int labels_del(struct labels *t, uint32_t reqid);

/* The label of @reqid (borrowed: valid until the table changes), or NULL.
 * O(log n). */
const char *labels_get(const struct labels *t, uint32_t reqid);

struct kview;

/**
 * labels_fill() - the labels of @t onto the foreign SAs of @v from index
 * @sa_from on and the foreign groups from @grp_from on (the part the
 * mirror's derivation appended): an SA gets its reqid's label, a group the
 * label of its first SA that has one (libreswan's bundles carry a reqid
 * per template).  Our own SAs and groups are left alone; so is a label
 * already set.  O(n log labels).
 */
void labels_fill(const struct labels *t, struct kview *v, size_t sa_from, size_t grp_from);

/* Free the entries (the struct itself is the caller's); it is empty
 * afterwards.  NULL is a no-op. */
void labels_clear(struct labels *t);

#endif
