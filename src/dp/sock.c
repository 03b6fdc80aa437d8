/* sock.c: the datapath's sockets (sock.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/xfrm.h>

#include "sock.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36 /* Linux 4.5 */
#endif

static const uint8_t rx4_proto[] = {
	[DP_RX_ESP4] = 50, [DP_RX_AH4] = 51, [DP_RX_COMP4] = 108,
	[DP_RX_IPIP4] = 4, [DP_RX_IP6IN4] = 41,
};

const char *socks_rx_name(unsigned i)
{
	static const char *const name[DP_RX_NR] = {
		"esp4", "ah4", "comp4", "ipip4", "ip6in4", "ip6",
	};

	return i < DP_RX_NR ? name[i] : NULL;
}

/* Buffer @opt (SO_SNDBUF or SO_RCVBUF) of @fd: the forced size as root,
 * else as much as the sysctl cap allows. */
static void sock_buf(int fd, int opt, int force, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

/* Per-socket XFRM policies that let everything through, in and out. */
static int sock_bypass(int fd, int family)
{
	struct xfrm_userpolicy_info pol;
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;

	memset(&pol, 0, sizeof(pol));
	pol.action = XFRM_POLICY_ALLOW;
	pol.sel.family = (uint16_t)family;
	pol.lft.soft_byte_limit = pol.lft.hard_byte_limit = XFRM_INF;
	pol.lft.soft_packet_limit = pol.lft.hard_packet_limit = XFRM_INF;
	pol.dir = XFRM_POLICY_OUT;
	if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0)
		return -errno;
	pol.dir = XFRM_POLICY_IN;
	if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0)
		return -errno;
	return 0;
}

/* A socket of @domain/@type/@proto with the mark, the buffers and (for
 * IP sockets) the bypass policies; what failed goes to @why. */
static int sock_new(int domain, int type, int proto, const struct dp_sock_params *p,
		    const char *what, struct reason *why)
{
	int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	int ret;

	if (fd < 0) {
		ret = -errno;
		reason_set(why, "%s socket: %s", what, strerror(errno));
		return ret;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &p->mark, sizeof(p->mark)) < 0) {
		ret = -errno;
		reason_set(why, "%s socket: SO_MARK: %s", what, strerror(errno));
		goto fail;
	}
	sock_buf(fd, SO_SNDBUF, SO_SNDBUFFORCE, p->sndbuf);
	sock_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE, p->rcvbuf);
	if (domain == AF_INET || domain == AF_INET6) {
		ret = sock_bypass(fd, domain);
		if (ret) {
			reason_set(why, "%s socket: XFRM bypass policy: %s", what, strerror(-ret));
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return ret;
}

static int sock_filter(int fd, struct sock_filter *code, size_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

/* ---- the AF_PACKET filter (classic BPF) ---- */

#define BPF_MAX 160
#define L_ACCEPT 0
#define L_DROP 1

struct bpf_prog {
	struct sock_filter code[BPF_MAX];
	unsigned n;
	/* forward jumps to the accept/drop returns at the end: (insn, jt?) */
	struct { unsigned at; bool jt; unsigned label; } fix[BPF_MAX];
	unsigned nfix;
};

static void emit(struct bpf_prog *b, uint16_t code, uint32_t k)
{
	b->code[b->n++] = (struct sock_filter)BPF_STMT(code, k);
}

/* if (A == @k) goto @label (accept or drop); else fall through. */
static void emit_jeq(struct bpf_prog *b, uint32_t k, unsigned label)
{
	b->fix[b->nfix++] = (typeof(b->fix[0])){ b->n, true, label };
	b->code[b->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0);
}

/* A = next header: accept ours; extension header: step over it (X is its
 * offset; A becomes its next header, X the offset after it); else drop. */
static void emit_nexthdr(struct bpf_prog *b, bool last)
{
	static const uint8_t ours[] = { 50, 51, 108, 4, 41 };

	for (size_t i = 0; i < sizeof(ours); i++)
		emit_jeq(b, ours[i], L_ACCEPT);
	if (last) {
		emit(b, BPF_RET | BPF_K, 0);
		return;
	}
	/* not 0 (hop-by-hop), 43 (routing), 60 (dst options): drop */
	b->code[b->n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0);
	b->code[b->n + 1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 43, 2, 0);
	b->code[b->n + 2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 60, 1, 0);
	b->code[b->n + 3] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	b->n += 4;
	emit(b, BPF_LD | BPF_B | BPF_IND, 0);   /* A = its next header */
	emit(b, BPF_ST, 0);                     /* M[0] = A */
	emit(b, BPF_LD | BPF_B | BPF_IND, 1);   /* A = its length in 8 bytes, minus 1 */
	emit(b, BPF_ALU | BPF_ADD | BPF_K, 1);
	emit(b, BPF_ALU | BPF_LSH | BPF_K, 3);
	emit(b, BPF_ALU | BPF_ADD | BPF_X, 0);
	emit(b, BPF_MISC | BPF_TAX, 0);         /* X = offset of the next header */
	emit(b, BPF_LD | BPF_MEM, 0);           /* A = M[0] */
}

static void bpf_ip6(struct bpf_prog *b, int tun_ifindex)
{
	unsigned accept, drop;

	memset(b, 0, sizeof(*b));
	emit(b, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX));
	emit_jeq(b, (uint32_t)tun_ifindex, L_DROP);
	emit(b, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE));
	b->code[b->n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 1, 0);
	b->code[b->n + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	b->n += 2;
	emit(b, BPF_LD | BPF_B | BPF_ABS, 0);   /* version */
	emit(b, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	b->code[b->n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x60, 1, 0);
	b->code[b->n + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	b->n += 2;
	emit(b, BPF_LDX | BPF_W | BPF_IMM, 40);
	emit(b, BPF_LD | BPF_B | BPF_ABS, 6);   /* the IPv6 header's next header */
	for (unsigned i = 0; i < 5; i++)
		emit_nexthdr(b, i == 4);
	accept = b->n;
	emit(b, BPF_RET | BPF_K, 0x40000);
	drop = b->n;
	emit(b, BPF_RET | BPF_K, 0);
	for (unsigned i = 0; i < b->nfix; i++) {
		unsigned to = b->fix[i].label == L_ACCEPT ? accept : drop;

		b->code[b->fix[i].at].jt = (uint8_t)(to - b->fix[i].at - 1);
	}
}

/* ---- the sockets ---- */

static int open_rx6(struct dp_socks *s, const struct dp_sock_params *p, struct reason *why)
{
	static const uint8_t proto6[DP_SINK6_NR] = { 50, 51, 108, 4, 41 };
	struct sock_filter none[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sockaddr_ll ll;
	struct bpf_prog b;
	int fd, ret;

	for (unsigned i = 0; i < DP_SINK6_NR; i++) {
		fd = sock_new(AF_INET6, SOCK_RAW, proto6[i], p, "IPv6 raw", why);
		if (fd < 0)
			return fd;
		s->sink6[i] = fd;
		ret = sock_filter(fd, none, 1);
		if (ret) {
			reason_set(why, "IPv6 raw socket: filter: %s", strerror(-ret));
			return ret;
		}
	}
	/* protocol 0 until the filter is on: nothing queued unfiltered */
	fd = sock_new(AF_PACKET, SOCK_DGRAM, 0, p, "AF_PACKET", why);
	if (fd < 0)
		return fd;
	s->rx[DP_RX_IP6] = fd;
	bpf_ip6(&b, p->tun_ifindex);
	ret = sock_filter(fd, b.code, b.n);
	if (!ret && setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &(int){ 1 }, sizeof(int)))
		ret = -errno;
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IPV6);
	if (!ret && bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		ret = -errno;
	if (ret)
		reason_set(why, "AF_PACKET socket: %s", strerror(-ret));
	return ret;
}

static int open_tx(struct dp_socks *s, const struct dp_sock_params *p, bool v6,
		   struct reason *why)
{
	int fd = sock_new(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW, p,
			  v6 ? "IPv6 send" : "IPv4 send", why);

	if (fd < 0)
		return fd;
	if (v6)
		s->tx6 = fd;
	else
		s->tx4 = fd;
	/* implied by IPPROTO_RAW; said anyway (4.5 has the option) */
	if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_HDRINCL : IP_HDRINCL,
		       &(int){ 1 }, sizeof(int)) < 0 && errno != ENOPROTOOPT) {
		int ret = -errno;

		reason_set(why, "%s send socket: HDRINCL: %s", v6 ? "IPv6" : "IPv4",
			   strerror(errno));
		return ret;
	}
	return 0;
}

static bool have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int socks_open(struct dp_socks *s, const struct dp_sock_params *p, struct reason *why)
{
	int ret;

	s->tx4 = s->tx6 = -1;
	for (unsigned i = 0; i < DP_RX_NR; i++)
		s->rx[i] = -1;
	for (unsigned i = 0; i < DP_SINK6_NR; i++)
		s->sink6[i] = -1;
	ret = open_tx(s, p, false, why);
	for (unsigned i = 0; !ret && i < DP_RX_IP6; i++) {
		int fd = sock_new(AF_INET, SOCK_RAW, rx4_proto[i], p, socks_rx_name(i), why);

		if (fd < 0)
			ret = fd;
		else
			s->rx[i] = fd;
	}
	if (!ret && have_ipv6()) {
		ret = open_tx(s, p, true, why);
		if (!ret)
			ret = open_rx6(s, p, why);
	}
	if (ret)
		socks_close(s);
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void socks_close(struct dp_socks *s)
{
	close_fd(&s->tx4);
	close_fd(&s->tx6);
	for (unsigned i = 0; i < DP_RX_NR; i++)
		close_fd(&s->rx[i]);
	for (unsigned i = 0; i < DP_SINK6_NR; i++)
		close_fd(&s->sink6[i]);
}
