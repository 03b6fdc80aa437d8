/* xfrm_plan.h: one group of the model -> the XFRM states and policies
 * that express it, as plain structs (xfrm_msg.h), and the requests that
 * add or delete them.  Pure: no socket, no logging.
 *
 * Mapping (spec/xfrm-notes.md §1.2-1.3): one state per ESP/AH/COMP SA, all
 * with the group's reqid; a tun SA is tunnel mode on the SA after it
 * (tunnel-mode states: AF_UNSPEC flag, empty selector); policies out (an
 * outbound group) or in + fwd (an inbound one, COMP templates optional),
 * templates inside first, SPIs pinned on out templates only; a shunt
 * (%pass / %drop / %reject) is a template-less allow/block policy in all
 * three directions; an SA in no group, and a group without traffic
 * selectors (a KLIPS runtime group no eroute routes into yet), are their
 * states only.  Lifetimes default to XFRM_INF, template algorithm masks
 * to ~0, priorities come from xfrm_policy_priority() (xfrm_own.h).
 */
#ifndef SPIGRP_XFRM_PLAN_H
#define SPIGRP_XFRM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "sadb.h"
#include "xfrm_msg.h"

enum xfrm_obj_kind { XFRM_OBJ_STATE, XFRM_OBJ_POLICY };

/* One kernel object, planned or read back from the kernel. */
struct xfrm_obj {
	enum xfrm_obj_kind kind;
	union {
		struct xm_state sa;
		struct xm_policy sp;
	};
};

/* A group's objects in install order: states, then in and fwd policies,
 * out policies last (so that no packet meets an out policy whose states
 * are not there yet); deleted in the reverse order.  A state's keys are
 * borrowed from the group's cfg_sa: the plan must not outlive the sadb. */
struct xfrm_plan {
	struct xfrm_obj *obj;
	size_t n;
};

/**
 * xfrm_plan_group() - the objects of @g (no kernel involved).
 * Return: 0; -EINVAL when XFRM cannot express @g (only tun SAs, a trailing
 * tun, two tuns in a row, a protocol that is no XFRM state, a CPI above 16
 * bits, families that do not fit, AH without auth, a replay window above
 * 4096, a shunt XFRM has no action for or without traffic selectors, no
 * reqid, no direction of a group with selectors), the reason in @why; -ENOMEM.  @plan is empty on error.
 */
int xfrm_plan_group(const struct sadb_group *g, struct xfrm_plan *plan, struct reason *why);
void xfrm_plan_free(struct xfrm_plan *plan); /* NULL is a no-op */

/**
 * xfrm_obj_add_request() - the NEWSA / NEWPOLICY request for @o, with
 * NLM_F_CREATE | NLM_F_EXCL (never replace what is there).
 * xfrm_obj_del_request() - the DELSA / DELPOLICY request for @o: a state by
 * its key (with its mark), a policy by selector and direction, or with
 * @by_index by its kernel index (a dumped one), its type, mark and if_id
 * included.
 * Return: 0 with *@out to free with xm_free(), or -errno (xm_build()).
 */
int xfrm_obj_add_request(const struct xfrm_obj *o, struct nlmsghdr **out);
int xfrm_obj_del_request(const struct xfrm_obj *o, bool by_index, struct nlmsghdr **out);

/* @o's SAD/SPD key (xm_state_key() / xm_policy_key()); same key? */
void xfrm_obj_key(const struct xfrm_obj *o, struct xm_key *k);
bool xfrm_obj_same_key(const struct xfrm_obj *a, const struct xfrm_obj *b);

/* "esp.187a101b@192.0.2.1" / "policy out 10.0.1.0/24 -> 10.0.2.0/24", for
 * reasons. */
void xfrm_obj_describe(const struct xfrm_obj *o, char *buf, size_t len);

#endif
