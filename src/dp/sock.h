/* sock.h: the datapath's sockets.
 *
 * Every socket carries the daemon's fwmark (SO_MARK: the rule into the
 * datapath's routing table skips marked packets, so what we send never
 * loops back into the TUN) and per-socket XFRM bypass policies both ways
 * (IP_XFRM_POLICY / IPV6_XFRM_POLICY with an ALLOW struct
 * xfrm_userpolicy_info, as strongSwan's charon sets on its IKE sockets: a
 * kernel policy covering the outer addresses neither transforms what we
 * send nor drops what we receive), and 4 MiB buffers (SO_SNDBUFFORCE /
 * SO_RCVBUFFORCE as root, else the sysctl-capped SO_SNDBUF / SO_RCVBUF).
 *
 * Outbound: one IPPROTO_RAW socket per family (IP_HDRINCL / IPV6_HDRINCL):
 * xf_encap() hands whole datagrams.
 *
 * Inbound, IPv4: raw sockets for ESP (50), AH (51), IPComp (108), IPIP (4)
 * and IPv6-in-IPv4 (41); the kernel gives them the reassembled datagram
 * with its IP header.
 *
 * Inbound, IPv6: an IPv6 raw socket gives the payload only, without the
 * IPv6 header and the extension headers that AH's ICV covers.  So the
 * datapath reads IPv6 with one AF_PACKET socket (SOCK_DGRAM, ETH_P_IPV6,
 * all devices, PACKET_IGNORE_OUTGOING), whose classic BPF filter accepts
 * only packets addressed to this host (PACKET_HOST) that did not come in
 * on our own TUN device and whose next header is 50, 51, 108, 4 or 41,
 * either directly or after up to four hop-by-hop, routing or destination
 * options headers.  It sees the datagram as it came off the wire (before
 * netfilter and reassembly: a fragmented outer IPv6 datagram, next header
 * 44, is not taken; part 1 leaves those to the kernel, which drops them).
 * Beside it, IPv6 raw sockets for the same five protocols with a filter
 * that drops everything: their mere presence stops the kernel from
 * answering "parameter problem, unknown next header" for protocols it has
 * no handler for (no esp6, ah6, ipcomp6 modules).
 *
 * A family the host lacks (IPv6 off) has no sockets (-1).  No threads
 * here; the workers read and write the descriptors.
 */
#ifndef SPIGRP_DP_SOCK_H
#define SPIGRP_DP_SOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "reason.h"

/* The inbound sockets the receive worker reads. */
enum dp_rx_sock {
	DP_RX_ESP4 = 0,
	DP_RX_AH4,
	DP_RX_COMP4,
	DP_RX_IPIP4,
	DP_RX_IP6IN4,
	DP_RX_IP6,        /* the AF_PACKET socket: all five over IPv6 */
	DP_RX_NR
};

#define DP_SINK6_NR 5

struct dp_socks {
	int tx4, tx6;               /* IPPROTO_RAW, header included */
	int rx[DP_RX_NR];
	int sink6[DP_SINK6_NR];     /* IPv6 raw sockets, drop-all filter */
};

struct dp_sock_params {
	uint32_t mark;              /* SO_MARK */
	int sndbuf, rcvbuf;         /* bytes */
	int tun_ifindex;            /* the AF_PACKET filter ignores this device */
};

/**
 * socks_open() - open and set up every socket above.
 * Return: 0, or -errno with @why (nothing left open).
 */
int socks_open(struct dp_socks *s, const struct dp_sock_params *p, struct reason *why);
void socks_close(struct dp_socks *s); /* safe on a closed set */

/* "esp4", "ah4", "comp4", "ipip4", "ip6in4", "ip6"; NULL out of range. */
const char *socks_rx_name(unsigned i);

#endif
