/* nft.h: the nftables table that drops cleartext look-alikes of userspace
 * groups' inbound traffic (libnftables; issue 6 part 4).
 *
 * A packet that matches an inbound userspace group's selectors (inner
 * source in src-ts, destination in dst-ts, proto and ports) must have come
 * out of the datapath, written into its TUN device; the same packet sent
 * in clear by anyone must not reach a socket or be forwarded, as the
 * kernel's in and fwd policies would refuse it for a kernel group.
 *
 * spigrpd owns one table, `table inet spigrpd` (NFT_TABLE), and never
 * touches any other.  Its chain `check`, jumped to from base chains on the
 * input and forward hooks (priority filter, policy accept), accepts first
 * what is exempt:
 *  - packets arriving on the TUN device (name given) or on "lo" (the
 *    kernel exempts loopback from its policy checks too);
 *  - packets the kernel's own XFRM decapsulated (`meta ipsec exists`);
 *  - ESP, AH and IPComp (50, 51, 108) outer packets: the datapath's
 *    sockets and the kernel groups need them; the datapath verifies them;
 *  - for a group whose outermost SA is COMP, IPIP and IPv6-in-IP (4, 41)
 *    from its peer to its local outer address (the uncompressed packets);
 *  - IPv6 neighbour discovery, ICMPv6 types 133-137;
 * then drops (with a counter) what matches a group: one rule per group and
 * address family.  Everything else passes untouched.
 *
 * The table is replaced whole in one nftables transaction ("add; delete;
 * add {...}"), so there is never a moment without it, and a table left by
 * a daemon that was killed is taken over by the next one's first
 * nft_set_groups().  The pure part (nft_ruleset()) builds the text and is
 * unit-tested; the rest is a thin use of an nft_ctx.  Main thread only;
 * errors as -errno with a struct reason; nothing here logs.
 */
#ifndef SPIGRP_NFT_H
#define SPIGRP_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "said.h"
#include "strbuf.h"

#define NFT_FAMILY "inet"
#define NFT_TABLE "spigrpd"
/* longest comment nftables keeps (NFTNL_UDATA_COMMENT_MAXLEN is 128) */
#define NFT_COMMENT_MAX 120

/* One inbound userspace group, as far as the table needs it.  Everything
 * is borrowed for the call only. */
struct nft_group {
	const char *name;                        /* for the rule's comment */
	const struct ip_prefix *src_ts, *dst_ts; /* inner source, destination */
	unsigned nsrc_ts, ndst_ts;
	uint8_t proto;                           /* 0 = any */
	uint16_t sport, dport;                   /* host order; 0 = any (tcp, udp, sctp) */
	/* when the outermost SA is COMP: its source (the peer) and destination
	 * (ours), whose IPIP / IPv6-in-IP packets are exempt; else NULL */
	const struct ip_addr *ipip_src, *ipip_dst;
};

/* A name nftables and the kernel accept for an interface: 1 to 15 bytes
 * of letters, digits, '_', '-', '.'. */
bool nft_ifname_ok(const char *name);

/**
 * nft_ruleset() - append to @out the nftables text that replaces our table
 * with one for @ngroup groups @g (see above); @tun is the datapath's TUN
 * device.  Group names are escaped for the comment (bytes outside
 * printable ASCII, '"' and '\' as \xNN) and cut at NFT_COMMENT_MAX bytes.
 * A prefix inside another prefix of the same list is left out (nftables
 * refuses overlapping elements in older versions); a /0 list matches the
 * whole family.  A group with no prefix pair of one family adds no rule.
 * Return: 0, -EINVAL (@tun not nft_ifname_ok(), a prefix of no family),
 * -ENOMEM (@out->oom).
 */
int nft_ruleset(struct strbuf *out, const char *tun, const struct nft_group *g, size_t ngroup);

/* The text that removes our table whether or not it exists. */
#define NFT_REMOVE_TEXT "table " NFT_FAMILY " " NFT_TABLE "\ndelete table " NFT_FAMILY " " \
	NFT_TABLE "\n"

struct nft;

/**
 * nft_open() - a handle (an nft_ctx with buffered output and errors) for
 * the table of the datapath whose TUN device is @tun (copied).  Touches
 * nothing in the kernel yet.
 * Return: 0 and *@out, or -EINVAL (bad @tun) / -ENOMEM, with @why.
 */
int nft_open(struct nft **out, const char *tun, struct reason *why);

/**
 * nft_set_groups() - make our table say exactly @g[0..@ngroup-1] (all
 * borrowed), atomically; with no group, remove the table.  The first call
 * always writes (it takes over or removes a table an earlier daemon left:
 * call it at start even with no userspace group); later calls write only
 * when the text changed.
 * Return: 0, or -errno with nftables' message in @why (-EINVAL bad input,
 * -ENOMEM, -EIO when nftables refused the change; the table then stays as
 * it was).
 */
int nft_set_groups(struct nft *n, const struct nft_group *g, size_t ngroup, struct reason *why);

/* Remove our table (stop without keep-on-exit).  0 or -EIO with @why. */
int nft_remove(struct nft *n, struct reason *why);

/* Free the handle; the table stays as it is.  NULL is a no-op. */
void nft_close(struct nft *n);

#endif
