/* kderive.h: the foreign part of the KLIPS view (kview.h), derived from the
 * kernel mirror (mirror.h): the SA groups, SAs and eroutes of the XFRM
 * states and policies that are not ours (strongSwan's, libreswan's,
 * `ip xfrm`'s).  The rules are ipsec_spigrp(5)'s "Groups of other
 * programs":
 *
 * - ours are left out (rendered from the model): states and templated
 *   policies by our reqid band, template-less policies by our priority
 *   band plus the shunt record (@o->shunt_ours);
 * - left out too: larval states (no algorithm: ALLOCSPI, acquires),
 *   per-socket policies; the kernel's IPIP/IPv6 helpers are not mirrored;
 * - a group is a policy's templates, inside first, each resolved to
 *   foreign states: proto, mode, reqid (0 = any), the tunnel endpoints
 *   (a transport template without addresses takes those of the template
 *   before it; the first one those of a host-to-host selector, else any),
 *   the family, the policy's mark (a state's mark must match the
 *   policy's value) and if_id (equal).  A template's SPI counts only when
 *   its reqid is 0.  An optional template without a state is skipped; a
 *   required one without makes the policy a %trap eroute;
 * - several states for a template (a rekey): the candidates of every
 *   template are ordered by add time, newest last, and paired from the
 *   newest end: set k takes the k-th newest of each (the oldest one when a
 *   template has fewer), one line per set;
 * - a tun SA is synthesized before every tunnel-mode state: tun.SPI@DST
 *   with that state's SPI/CPI and destination (DESIGN.md decision 3);
 * - one line per set of states, however many policies lead to it; a
 *   foreign state in no set is a line of its own (with its tun when it is
 *   in tunnel mode);
 * - the direction of an SA is its first policy's (out: outbound, in and
 *   fwd: inbound); the tun SA of an inbound group gets `policy=` from its
 *   first inbound policy's selector;
 * - eroutes: one per out policy selector pair (the group's first SAID, the
 *   count its first state's packets; %trap when unresolved), and one per
 *   template-less policy of any direction (%pass for allow, %drop for
 *   block), the same selector pair and SAID given once.
 *
 * Pure: no I/O, no logging.  Allocates (the view's arrays, scratch
 * indexes).
 */
#ifndef SPIGRP_KDERIVE_H
#define SPIGRP_KDERIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "kview.h"
#include "mirror.h"

/* kv_group.order of foreign lines: after every group of ours, in the order
 * the mirror first saw their oldest state. */
#define KDERIVE_ORDER_BASE (1ull << 48)

struct kderive_owner {
	/* Is template-less policy @p (in our priority band) in our shunt
	 * record?  NULL: none is. */
	bool (*shunt_ours)(void *arg, const struct xm_policy *p);
	void *arg;
};

/**
 * kderive() - append the foreign SAs, groups and eroutes of @m to @v
 * (which may already hold ours: indices are @v's).  @o may be NULL (no
 * shunt record).
 * Return: 0, or -ENOMEM (@v then holds part of them: kview_clear() it).
 */
int kderive(const struct kmirror *m, const struct kderive_owner *o, struct kview *v);

#endif
