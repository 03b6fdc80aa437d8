/* route.h: routes and rules for outbound groups (libnl-route).
 *
 * A packet for an outbound kernel group's dst-ts must find a route before
 * xfrm_lookup() sees it; the policy then replaces its destination with the
 * SA bundle.  So each dst-ts prefix gets a route in our own table (default
 * 2336, `route-table`) through the device (and gateway, same family only)
 * that the main routing uses towards the group's outer destination, with a
 * preferred source inside src-ts when the host has one (from the address
 * monitor).  An outbound group of the userspace datapath gets its dst-ts
 * routed into the datapath's TUN device instead, with `mtu lock` set to the
 * largest inner packet the group sends whole (the kernel then fragments
 * or answers "too big" before the TUN).  One rule per family at priority
 * ROUTE_RULE_PRIO sends every lookup through that table first, except for
 * packets carrying the datapath's mark ("not fwmark M/MASK"): the
 * datapath's own ESP/AH packets never loop back into its TUN.  Routes shared by several groups are
 * counted by group name (a reload hands unchanged groups to new sadb
 * objects), and deleted when the last group lets go.
 *
 * The handle owns its rtnetlink request socket and the list of routes it
 * installed; the daemon owns the handle.  Main thread only.  Failures come
 * back as -errno with a struct reason; nothing here logs.
 */
#ifndef SPIGRP_ROUTE_H
#define SPIGRP_ROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include "reason.h"
#include "sadb.h"

/* Priority of our "lookup TABLE" rules: after the local table (0) and
 * charon's 220, well before main (32766).  Documented in spigrpd.conf(5). */
#define ROUTE_RULE_PRIO 9000u

struct route;
struct addrmon;

/**
 * route_open() - a handle for routes in @table (1..2^32-1 except the
 * kernel's 253-255; the config checks it); our rules skip packets marked
 * @fwmark under @fwmask (@fwmark 0: rules without that condition).  @am (may be NULL: no preferred
 * sources) is borrowed and must outlive the handle.  Sends nothing yet.
 * Return: 0 and *@out, or -errno (-ENOMEM, netlink socket errors).
 */
int route_open(struct route **out, uint32_t table, uint32_t fwmark, uint32_t fwmask,
	       struct addrmon *am);

/* Free the handle; routes and rules stay in the kernel (keep-on-exit, or
 * route_remove_all() first).  NULL is a no-op. */
void route_close(struct route *r);

/**
 * route_wanted() - the one rule for "does this installed group have
 * routes", in either datapath: routes are on (@r is not NULL), @g is
 * outbound, neither a shunt nor an SA in no group (implicit), and has an
 * outer destination.
 */
bool route_wanted(const struct route *r, const struct sadb_group *g);

/**
 * route_install_group() - for a kernel group that route_wanted() (others:
 * 0 at once): a route per dst-ts prefix and the family's rule (added once;
 * one left by an earlier run in the same form is taken over, one in
 * another form -- without the mark condition -- replaced).  All or
 * nothing: on failure @g's claims so far are released.  Installing twice
 * claims once.  A prefix routed into the TUN for a userspace group is a
 * conflict (-EEXIST, the group named in @why).
 * Return: 0, or -errno with the reason in @why (no route to the outer
 * destination: -ENETUNREACH or the lookup's errno; the kernel's refusal of
 * a route or rule).
 */
int route_install_group(struct route *r, const struct sadb_group *g, struct reason *why);

/**
 * route_install_dev() - for a userspace group that route_wanted(): as
 * route_install_group(), but each dst-ts prefix routed into device
 * @ifindex (the TUN) with `mtu lock` @mtu (bytes; 0: no metric).  Groups
 * sharing a prefix share the route, with the smallest MTU asked.  A prefix
 * routed for a kernel group is a conflict (-EEXIST).
 */
int route_install_dev(struct route *r, const struct sadb_group *g, int ifindex, uint32_t mtu,
		      struct reason *why);

/**
 * route_path_mtu() - the MTU of the path towards @g's outer destination
 * (the destination of its outermost header): the main routing's route's
 * mtu metric, else its device's MTU, bytes.
 * Return: 0 and *@mtu, -ENOENT (no outer destination, or @r NULL), or
 * -errno with @why.
 */
int route_path_mtu(struct route *r, const struct sadb_group *g, uint32_t *mtu,
		   struct reason *why);

/**
 * route_remove_group() - release @g's claims (by group name); routes no
 * other group claims are deleted (a route already gone is not an error).
 * A group without claims is a no-op.  @r NULL: no-op.
 * Return: 0 or the first -errno.
 */
int route_remove_group(struct route *r, const struct sadb_group *g);

/**
 * route_remove_all() - at exit: delete every route still claimed, and our
 * rules in both families, also those an earlier run left (up to 16 copies
 * each).  Errors are not reported: the table is ours, what is left does no
 * harm beyond a lookup.  @r NULL: no-op.
 */
void route_remove_all(struct route *r);

/* Number of routes installed through @r (for tests and status). */
size_t route_count(const struct route *r);

#endif
