/* routelist.h: the routes of one routing table as text, one line per
 * route as `ip -4 route show table N` then `ip -6 route show table N`
 * (iproute2 6.x) print them -- the ROUTING TABLES part of `ipsec look`
 * (look.h) for spigrpd's own table (route.h, `route-table`).
 *
 * route_list() dumps the table over a netlink socket of its own (libnl
 * core; main thread, the caller's network namespace) and formats each
 * route with routelist_format(), which is pure and unit-tested against
 * iproute2's output.  What is printed: the type when not unicast, the
 * destination ("default", a host address without its length), tos, the
 * gateway ("via"), the device, the protocol (iproute2's built-in names)
 * unless "boot", the scope unless global, the preferred source ("src"),
 * the metric, the flags, the metrics (with "lock"), "expires Nsec" and
 * IPv6's "pref"; each item followed by one space, as iproute2 does, except
 * "pref". Not printed (spigrpd makes no such routes): source prefixes
 * ("from"), multipath next hops, encapsulation, marks, realms, the
 * congestion-control metric.  Routes cached by the kernel (RTM_F_CLONED)
 * are skipped, as `ip route show` does.
 */
#ifndef SPIGRP_ROUTELIST_H
#define SPIGRP_ROUTELIST_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "reason.h"
#include "said.h"
#include "strbuf.h"

/* One route, from an RTM_NEWROUTE message. */
struct rl_route {
	uint8_t family, dst_len, tos, type, protocol, scope;
	uint32_t flags;                 /* rtm_flags */
	struct ip_addr dst, gw, prefsrc; /* family 0: absent */
	char dev[IF_NAMESIZE + 16];     /* "" without RTA_OIF; "ifN" if unknown */
	bool has_priority, has_pref;
	uint32_t priority;              /* "metric" */
	uint8_t pref;                   /* IPv6 router preference */
	uint32_t metric[RTAX_MAX + 1];  /* RTA_METRICS, by RTAX_* index */
	uint32_t metric_set;            /* bit i: metric[i] present */
	uint32_t lock;                  /* RTAX_LOCK: bit i locks metric i */
	int32_t expires;                /* seconds (RTA_CACHEINFO), 0: none */
};

/* Append @r's line, '\n' included, to @out. */
void routelist_format(const struct rl_route *r, struct strbuf *out);

/**
 * route_list() - append the IPv4 then the IPv6 routes of @table (in the
 * kernel's dump order) to @out as routelist_format() lines.
 * Return: 0, or -errno with the reason in @why (netlink socket, dump,
 * -ENOMEM).
 */
int route_list(uint32_t table, struct strbuf *out, struct reason *why);

#endif
