/* place.h: where a group runs, the kernel's XFRM or the userspace
 * datapath: the one placement rule, with its one reason text.
 *
 * Three inputs, combined here and nowhere else: what XFRM can express (a
 * pure rule on the group's SA chain, DESIGN.md decision 3), the config's
 * wish (`datapath` = auto / kernel / userspace, the group's own or
 * [daemon]'s) and, for auto, the running kernel's verdict (a probe the
 * caller supplies: the daemon asks kern/, tests pass a fake).  A group goes
 * to the kernel as a whole or not at all.  Pure: no I/O, no logging.
 */
#ifndef SPIGRP_PLACE_H
#define SPIGRP_PLACE_H

#include <stdbool.h>
#include "cfg.h"
#include "reason.h"

struct sadb_group;

enum place_where { PLACE_KERNEL = 0, PLACE_USERSPACE };

/**
 * place_xfrm_expressible() - can XFRM express @g?  In XFRM a tun SA is the
 * tunnel mode of the SA after it (spec/xfrm-notes.md §1.2 rule 3), so a
 * group of only tun SAs, one that ends in a tun, or one with two tuns in a
 * row cannot be expressed.  A shunt (no SAs) always can.  kern/'s planner
 * relies on this rule: it never sees such a group.
 * Return: true, or false with the reason in @why (NULL: not wanted).
 */
bool place_xfrm_expressible(const struct sadb_group *g, struct reason *why);

/**
 * place_wish() - what the config asks for @g before any probe: USERSPACE
 * when XFRM cannot express it (why: the rule above), else the group's own
 * `datapath`, else [daemon]'s (why: "datapath = kernel", "datapath = auto
 * in [daemon]"...).  CFG_DP_AUTO means: ask the kernel.
 */
enum cfg_datapath place_wish(const struct sadb_group *g, struct reason *why);

/* The kernel's verdict on @g: 0 when it accepts every transform, else
 * -errno (-EPROTONOSUPPORT: transform type missing; -ENOSYS/-ENOENT:
 * algorithm missing) with the kernel's text in @why. */
typedef int (*place_probe_fn)(void *arg, const struct sadb_group *g, struct reason *why);

/* A placement decision and what it rests on. */
struct place_verdict {
	enum place_where where;
	bool probed;            /* the kernel was asked (wish auto, expressible) */
	int err;                /* its answer: 0 or -errno */
	struct reason kernel;   /* its text when it said no ("" = none) */
};

/**
 * place_decide() - the placement of @g: the wish; with auto, the kernel
 * when @probe (called only then) accepts every transform, else userspace.
 * Fills @v.  Return: v->where.
 */
enum place_where place_decide(const struct sadb_group *g, place_probe_fn probe, void *arg,
			      struct place_verdict *v);

/**
 * place_why() - the one reason text of a placement of @g, as the status
 * shows it: the wish's (see place_wish()) when the kernel was not asked,
 * else "the kernel accepts every transform" or "kernel probe: TEXT" (@text:
 * the kernel's; NULL or "": strerror(-@err)).
 */
void place_why(const struct sadb_group *g, bool probed, int err, const char *text,
	       struct reason *why);

/* Before any probe: the kernel unless the wish is userspace. */
enum place_where place_provisional(const struct sadb_group *g);

const char *place_name(enum place_where w);          /* "kernel", "userspace" */
const char *place_datapath_name(enum cfg_datapath dp); /* "auto", "kernel", ... */

#endif
