/* kview_own.h: our own part of the KLIPS view (kview.h), from the model.
 *
 * The daemon's groups are rendered from its model and runtime only
 * (sadb.h, runtime.h), never from what the kernel mirror sees, so that no
 * object of ours shows twice.  Pure: reads the sadb, its runtime and the
 * datapath's live objects (salive.h, atomics read relaxed); appends to a
 * kview.  No I/O.
 */
#ifndef SPIGRP_KVIEW_OWN_H
#define SPIGRP_KVIEW_OWN_H

#include <stddef.h>
#include <stdint.h>

#include "kview.h"
#include "runtime.h"
#include "sadb.h"

/**
 * kview_add_own() - append the groups of @db that @rt says are
 * RT_INSTALLED (kernel or userspace placement) to @v, in creation order
 * (sadb_group.order), all marked ours and labelled with the group's name:
 * - per group its SAs, inside -> outside (a tun SA included, with
 *   `policy=` the first src-ts -> dst-ts pair when the group is inbound),
 *   parameters from the config (algorithms, key lengths, window,
 *   lifetimes; never keys), counters from rt_sa.ctr (the daemon's
 *   reconcile_read_counters() fills them, from the kernel or the live
 *   objects), the outbound sequence number of a userspace SA from its
 *   live object;
 * - one kv_group per group with SAs (a shunt group has none: it shows in
 *   ipsec_spigrp from the model, see render_spigrp());
 * - one kv_eroute per src-ts x dst-ts pair of an outbound group (shunts
 *   included, with their magic SAID), the count being the packets of the
 *   group's first SA.  Inbound and implicit groups have no eroute (KLIPS
 *   eroutes are outbound).
 * A NULL @db or @rt appends nothing.
 * Return: 0, or -ENOMEM (@v then holds part of it: kview_clear() it).
 */
int kview_add_own(struct kview *v, const struct sadb *db, const struct runtime *rt);

/* Sort keys beside the pointers, as render.c does. */
struct own_ref {
	uint64_t order;
	size_t i;
};

/* The same in parts (a few groups at a time, so that a rendering of ours
 * at 100,000 groups never holds all of them as kview records):
 * kview_own_begin() orders the groups (0 or -ENOMEM), kview_own_next()
 * appends the next @max of them to @v (1: more follow, 0: that was the
 * last, -ENOMEM), kview_own_end() frees the order.  @db and @rt must not
 * change in between. */
struct kview_own_iter {
	const struct sadb *db;
	const struct runtime *rt;
	struct own_ref *ref;
	size_t n, next;
};
int kview_own_begin(struct kview_own_iter *it, const struct sadb *db, const struct runtime *rt);
int kview_own_next(struct kview_own_iter *it, struct kview *v, size_t max);
void kview_own_end(struct kview_own_iter *it);

#endif
