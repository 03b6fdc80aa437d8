/* ipip.h: the tun SA: an outer IPv4/IPv6 header around an IP packet
 * (4in4, 6in6, 4in6, 6in4), and its removal, as XFRM's tunnel mode builds
 * and strips it.
 *
 * Outer header (xfrm4/6_tunnel_encap_add): addresses from the SA, TTL /
 * hop limit 64, DSCP copied from the inner packet, ECN per RFC 6040's
 * normal mode (INET_ECN_encapsulate(): the inner ECN field copied, CE sent
 * as ECT(0)), DF copied from an IPv4 inner header and set for an IPv6 one
 * (as the kernel), flow label copied from an IPv6 inner header (0 for an
 * IPv4 one).  IPv4 identification: the value the caller gives, also with
 * DF set.  The kernel's ip_select_ident() takes a hashed per-destination
 * counter, or 0 for a DF packet that may not be fragmented locally
 * (ignore_df clear: a forwarded one; a local socket's packet in the
 * default PMTU mode gets the counter): which case a packet from the TUN
 * is cannot be told here, and a receiver does not care (RFC 6864 section
 * 4.1: the identification of an atomic datagram has no meaning).
 * Decapsulation combines ECN per RFC 6040 section 4.2 (stricter than the
 * kernel, which only copies CE into an ECN-capable inner packet): CE
 * outside a Not-ECT inner packet is a drop.  Pure: no I/O, no allocation.
 */
#ifndef SPIGRP_IPIP_H
#define SPIGRP_IPIP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "said.h"

/**
 * ipip_encap() - put an outer header from @src to @dst (same family, the
 * SA's) in front of the IP packet in @p (whole datagram; its family from
 * its version nibble).  @id is the IPv4 identification (host order).  The outer protocol / next header is 4 or 41.
 * Return: 0, or -DP_DROP_MALFORMED when @p is no IP packet or the
 * headroom or the 64 KiB limit is short (@p unchanged).
 */
int ipip_encap(struct pkt *p, const struct ip_addr *src, const struct ip_addr *dst, uint16_t id);

/**
 * ipip_decap() - strip the first @hlen bytes of @p (the outer header and
 * what the caller walked past), leaving the inner packet whose protocol
 * the outer header named @nh (4 or 41): its version must agree, its length
 * field must fit (bytes past it, TFC padding, are trimmed), and the outer
 * ECN field (@outer_ds, its DSCP/ECN byte) is combined into it (RFC 6040).
 * Return: 0, or -DP_DROP_MALFORMED (bad inner header, or the RFC 6040
 * drop: CE outside, Not-ECT inside).
 */
int ipip_decap(struct pkt *p, size_t hlen, uint8_t nh, uint8_t outer_ds);

/* The RFC 6040 section 4.2 combination of an arriving inner ECN field
 * @inner with the outer @outer (both 0..3): the ECN field to forward, or
 * -1 for a drop. */
int ipip_ecn_decap(uint8_t inner, uint8_t outer);

/* Bytes an outer header of @family adds. */
size_t ipip_overhead(uint8_t family);

#endif
