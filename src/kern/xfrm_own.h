/* xfrm_own.h: what marks an XFRM object as ours (DESIGN.md decision 4),
 * and the policy priority we give a selector pair.
 *
 * Two tags, both XFRM-only: a reqid band for our states and the templates
 * of our policies, and a policy-priority band.  charon uses priorities of
 * about 68,000..600,000; libreswan's (e.g. 1,042,407) fall inside ours, so
 * the reqid, not the priority, tells a templated policy is ours.  A
 * template-less (shunt) policy is ours only when also recorded in our
 * shunt record (shuntrec.h).  The config's `priority` key is checked
 * against the same band (cfg.h CFG_PRIORITY_MIN..MAX).
 *
 * The model's `tunnel mode` flag of an SA is read here, in one place
 * (xfrm_sa_tunnel_mode()).
 */
#ifndef SPIGRP_XFRM_OWN_H
#define SPIGRP_XFRM_OWN_H

#include <stdbool.h>
#include <stdint.h>

#include "sadb.h"
#include "xfrm_msg.h"

#define XFRM_OWN_REQID_BASE 0x53400000u /* our reqids: 0x53400000 ... */
#define XFRM_OWN_REQID_COUNT 0x100000u  /* ... 0x534fffff (2^20) */
#define XFRM_OWN_PRIO_BASE 1000000u     /* our policy priorities: 1,000,000 ... */
#define XFRM_OWN_PRIO_MAX 1999999u      /* ... 1,999,999 */

static inline bool xfrm_own_reqid(uint32_t reqid)
{
	return reqid >= XFRM_OWN_REQID_BASE && reqid - XFRM_OWN_REQID_BASE < XFRM_OWN_REQID_COUNT;
}

static inline bool xfrm_own_priority(uint32_t prio)
{
	return prio >= XFRM_OWN_PRIO_BASE && prio <= XFRM_OWN_PRIO_MAX;
}

/**
 * xfrm_own_tmpl_policy() - is templated policy @p ours: every template's
 * reqid in our band (at least one template)?  Its priority says nothing:
 * libreswan's (1,042,407, 1,757,393 were seen) fall inside our priority
 * band.  A template-less policy is ours only when also in our shunt
 * record (shuntrec.h); this says false for it.
 */
static inline bool xfrm_own_tmpl_policy(const struct xm_policy *p)
{
	unsigned i;

	for (i = 0; i < p->ntmpl; i++)
		if (!xfrm_own_reqid(p->tmpl[i].reqid))
			return false;
	return p->ntmpl > 0;
}

/* Does @sa follow a tun SA, so that XFRM holds it in tunnel mode?  The one
 * place that reads the model's field. */
static inline bool xfrm_sa_tunnel_mode(const struct sadb_sa *sa)
{
	return sa->tunnel_mode;
}

/**
 * xfrm_policy_priority() - the XFRM priority of @g's policy for the
 * selector pair @src -> @dst (either may be NULL: /0).  The group's
 * configured `priority` when it has one; otherwise XFRM_OWN_PRIO_BASE +
 * 0x10100, minus 256 per prefix bit of @src and @dst, minus 128 with a
 * protocol, minus 64 with a port: more specific selectors get lower values,
 * which XFRM tries first (as charon's formula).  The computed value always
 * lies in XFRM_OWN_PRIO_BASE + 64 .. XFRM_OWN_PRIO_BASE + 0x10100.
 */
uint32_t xfrm_policy_priority(const struct sadb_group *g, const struct ip_prefix *src,
			      const struct ip_prefix *dst);

#endif
