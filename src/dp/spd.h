/* spd.h: the datapath's lookup tables, built once per commit from the
 * groups to publish and read by the workers without locks (immutable).
 *
 * Outbound (SPD): an inner packet's flow (family, source, destination,
 * protocol, ports) -> the group whose selectors match it best.  Every
 * (src-ts, dst-ts) pair of a group of the same family is one rule; rules
 * are hashed on their (destination length, source length) class and the
 * masked addresses, so a lookup probes one hash per class present, most
 * specific first, and stops as soon as no class left can beat the best
 * match: it never scans the groups.  "Best" is the kernel placement's
 * policy priority (the same value kern/ gives the group's XFRM policies:
 * a configured `priority`, else more prefix bits, then a protocol, then
 * ports win), ties to the group created first, so a flow goes to the same
 * group whichever datapath holds it.
 *
 * Inbound (SAD): (family, protocol, SPI/CPI, outer destination) -> group
 * and SA index, for the outermost SA of each inbound group and, below an
 * outermost IPComp SA, the SA it may leave bare (RFC 3173: small packets
 * go uncompressed); an IPIP/IPv6-in-IP "tun" SA (no SPI on the wire) is
 * found by its outer (source, destination) instead.
 *
 * The tables borrow the struct xf_group objects they point at (the caller
 * keeps them alive until spd_free()).  Pure: no I/O, no threads; the
 * lookups allocate nothing.
 */
#ifndef SPIGRP_DP_SPD_H
#define SPIGRP_DP_SPD_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "said.h"
#include "xform.h"

/* The selector fields of an inner packet (XFRM's flow: for ICMP and
 * ICMPv6 the type and code stand in the ports, as in the kernel). */
struct spd_flow {
	struct ip_addr src, dst;
	uint8_t proto;          /* upper-layer protocol (after IPv6 extension headers) */
	uint16_t sport, dport;  /* host order; 0 when the packet has none (a
				   non-first fragment, a protocol without ports) */
};

/**
 * spd_flow_parse() - the flow of the IP packet at @p (@len bytes, as read
 * from the TUN).  IPv6 extension headers (hop-by-hop, routing, fragment,
 * destination options) are walked to the upper-layer header.
 * Return: 0, or -1 when the packet is not IPv4/IPv6 or its headers are cut
 * short (count it malformed).
 */
int spd_flow_parse(const uint8_t *p, size_t len, struct spd_flow *f);

/* Same flow (all fields)? */
bool spd_flow_equal(const struct spd_flow *a, const struct spd_flow *b);

struct spd;

/**
 * spd_build() - tables for the @n groups @groups[] (borrowed; shunt
 * groups and groups without SAs are refused).  Outbound groups give
 * rules, inbound groups inbound keys.
 * Return: 0 and *@out, or -errno with @why: -EEXIST when two groups claim
 * one inbound key (named in @why), -EINVAL for a group the datapath cannot
 * run, -ENOMEM.
 */
int spd_build(struct spd **out, const struct xf_group *const *groups, size_t n,
	      struct reason *why);
void spd_free(struct spd *t); /* NULL: no-op */

/* The outbound group for @f, or NULL (no group's selectors match). */
const struct xf_group *spd_out_lookup(const struct spd *t, const struct spd_flow *f);

/**
 * spd_in_lookup() - the inbound group and SA for @k (from xf_peek()):
 * ESP, AH and IPComp by (family, proto, SPI/CPI, dst), IPIP (4, 41) by
 * (family, src, dst).  Return: the group with *@sa set to the index of the
 * SA in it, or NULL ("not ours").
 */
const struct xf_group *spd_in_lookup(const struct spd *t, const struct xf_key *k,
				     unsigned *sa);

/* Rules and inbound keys held (for tests and the status). */
size_t spd_out_rules(const struct spd *t);
size_t spd_in_keys(const struct spd *t);

#endif
