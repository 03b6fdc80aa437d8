/* xfrm_own.c: the policy priority formula (xfrm_own.h). */
#include "config.h"

#include "xfrm_own.h"

/*
 * The start is XFRM_OWN_PRIO_BASE + 0x10100, not + 0x10000, so that the
 * most specific case, /128 + /128 with a protocol and ports (256 * 256 +
 * 128 + 64 below the start), still lies in our band.
 */
uint32_t xfrm_policy_priority(const struct sadb_group *g, const struct ip_prefix *src,
			      const struct ip_prefix *dst)
{
	uint32_t bits = (src ? src->len : 0) + (dst ? dst->len : 0);
	uint32_t prio = XFRM_OWN_PRIO_BASE + 0x10100u;

	if (g->priority)
		return g->priority;
	if (bits > 256)
		bits = 256;
	prio -= 256 * bits;
	if (g->proto)
		prio -= 128;
	if (g->sport || g->dport)
		prio -= 64;
	return prio;
}
