/* xfrm.c: sadb groups -> kernel XFRM states and policies, and back.
 *
 * Requests are built with libnl-xfrm (xfrmnl_*_build_add_request) and sent
 * on a libnl socket; the replies (ACKs with extended-ACK text, dumps, GETSA
 * answers) and the events are read and parsed here by hand: libnl 3.7 maps
 * ENOSYS to NLE_FAILURE, knows no extended ACKs, mis-parses DELSA / EXPIRE /
 * DELPOLICY and frees key copies without wiping them (spec/xfrm-notes.md
 * §3.2).  For the same reason algorithm attributes (which hold keys) are
 * appended with raw libnl-3 calls, and every buffer that held a key is wiped
 * with OPENSSL_cleanse.
 *
 * Mapping (spec/xfrm-notes.md §1.2-1.3): one state per ESP/AH/COMP SA with the
 * group's reqid; a tun SA is tunnel mode on the SA after it; policies with
 * templates in group order.  We never flush, never send UPDSA/UPDPOLICY, and
 * delete only objects in our reqid/priority band.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/template.h>
#include <netlink/xfrm/lifetime.h>

#include <openssl/crypto.h>

#include "log.h"
#include "nlutil.h"
#include "xfrm.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define XFRM_RECV_BUF 65536u           /* > the 32 KiB the kernel puts in one dump skb */
#define XFRM_EVENT_RCVBUF (8u << 20)   /* event socket receive buffer, bytes */
#define XFRM_REPLAY_MAX_WINDOW 4096u   /* XFRMA_REPLAY_ESN_MAX bitmap, packets */
#define XFRM_DUMP_RETRIES 4

/* A netlink delete we sent and whose event we still expect (so that our own
 * deletes are not taken for deletes behind our back). */
struct inflight {
	uint8_t kind;   /* XFRM_MSG_DELSA or XFRM_MSG_DELPOLICY */
	uint8_t proto;  /* state */
	uint8_t dir;    /* policy */
	uint16_t family;
	uint32_t spi;   /* network order */
	xfrm_address_t daddr;
	struct xfrm_selector sel;
};

/* One cached probe result per state shape. */
struct probe_entry {
	char *key;
	int err;        /* 0 or -errno */
	char text[160];
};

/* One template-less (shunt) policy we installed: its kernel key (dir,
 * selector, mark) and what must match too for a dumped policy to be ours. */
struct shunt {
	struct shunt *next;   /* hash chain */
	struct xfrm_selector sel;
	struct xfrm_mark mark;
	uint32_t priority;
	uint8_t dir, action;
	bool seen;            /* xfrm_adopt(): found in the kernel */
};

/* The record of our shunt policies (section "shunt record" below). */
struct shunt_rec {
	char *dir, *path;     /* NULL: no state dir, the record is kept in memory only */
	char header[160];     /* the first line for this network namespace and boot */
	struct shunt **bucket;
	size_t nbucket, n;
	int fd;               /* the file, opened O_APPEND, or -1 */
	size_t lines;         /* change lines in the file after its header */
	bool appendable;      /* the file is ours and ends with a whole line */
	bool warned;
};

struct xfrm {
	struct nl_sock *req;  /* requests, ACKs, dumps */
	struct nl_sock *ev;   /* multicast events only */
	uint8_t *buf;         /* XFRM_RECV_BUF, wiped after every read */
	unsigned long nsent;
	struct inflight *fl;  /* FIFO: events arrive in the order we deleted */
	size_t fl_head, fl_n, fl_cap;
	struct probe_entry *pc;
	size_t npc;
	struct shunt_rec sr;
};

/* ------------------------------------------------------------------ */
/* small helpers */

static void set_text(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_text(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int xfrm_nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_PERM:
		return -EPERM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

static size_t fam_len(unsigned family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static bool xaddr_equal(const xfrm_address_t *a, const xfrm_address_t *b, unsigned family)
{
	size_t l = fam_len(family);

	return l && !memcmp(a, b, l);
}

static void xaddr_from_ip(xfrm_address_t *x, const struct ip_addr *a)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, a->b, ip_addr_len(a));
}

static void ip_from_xaddr(struct ip_addr *a, const xfrm_address_t *x, unsigned family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->b, x, fam_len(family));
}

static bool sel_equal(const struct xfrm_selector *a, const struct xfrm_selector *b)
{
	return a->family == b->family && a->prefixlen_d == b->prefixlen_d &&
	       a->prefixlen_s == b->prefixlen_s && a->proto == b->proto &&
	       a->dport == b->dport && a->dport_mask == b->dport_mask &&
	       a->sport == b->sport && a->sport_mask == b->sport_mask &&
	       a->ifindex == b->ifindex && a->user == b->user &&
	       (a->family == 0 || (xaddr_equal(&a->daddr, &b->daddr, a->family) &&
				   xaddr_equal(&a->saddr, &b->saddr, a->family)));
}

static const char *dir_name(unsigned dir)
{
	switch (dir) {
	case XFRM_POLICY_IN:
		return "in";
	case XFRM_POLICY_OUT:
		return "out";
	case XFRM_POLICY_FWD:
		return "fwd";
	default:
		return "?";
	}
}

/* "esp.187a101b@192.168.2.110" for a state key. */
static void describe_state(char *buf, size_t len, uint8_t proto, uint32_t spi_net,
			   const xfrm_address_t *daddr, unsigned family)
{
	struct said s = { .proto = proto, .spi = ntohl(spi_net) };

	ip_from_xaddr(&s.dst, daddr, family);
	if (!said_format(&s, '0', buf, len))
		set_text(buf, len, "state proto %u spi 0x%x", proto, s.spi);
}

/* "policy out 10.0.1.0/24 -> 10.0.2.0/24" */
static void describe_policy(char *buf, size_t len, unsigned dir, const struct xfrm_selector *sel)
{
	struct ip_prefix s = { .len = sel->prefixlen_s }, d = { .len = sel->prefixlen_d };
	char st[IP_PREFIX_BUF], dt[IP_PREFIX_BUF];

	ip_from_xaddr(&s.addr, &sel->saddr, sel->family);
	ip_from_xaddr(&d.addr, &sel->daddr, sel->family);
	if (sel->family) {
		ip_prefix_format(&s, st, sizeof(st));
		ip_prefix_format(&d, dt, sizeof(dt));
	} else {
		snprintf(st, sizeof(st), "any");
		snprintf(dt, sizeof(dt), "any");
	}
	set_text(buf, len, "policy %s %s -> %s", dir_name(dir), st, dt);
}

/* Attribute iterator over a message with a fixed header of @hdrlen bytes. */
static const struct nlattr *msg_attr(const struct nlmsghdr *h, size_t hdrlen, int type)
{
	const struct nlattr *a;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen);

	if (h->nlmsg_len < off)
		return NULL;
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		a = (const struct nlattr *)((const uint8_t *)h + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static const void *attr_data(const struct nlattr *a, size_t minlen)
{
	if (!a || a->nla_len < NLA_HDRLEN + minlen)
		return NULL;
	return (const uint8_t *)a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/*
 * The fixed headers of NEWSA / NEWPOLICY hold 64-bit counters, so they need
 * 8-byte alignment, which netlink does not give: messages and attributes
 * are only 4-byte aligned inside a receive buffer.  sa_info() and sp_info()
 * are therefore used only on messages that start 8-byte aligned (our plan
 * messages, malloc'ed copies, the fake_* structs below); a message still in
 * a receive buffer is copied first, or its payload memcpy'd into a local
 * struct.  A misaligned message reads as malformed (NULL), never as UB.
 */
#define MSG_ALIGNED(h, type) ((uintptr_t)NLMSG_DATA(h) % _Alignof(type) == 0)

static const struct xfrm_usersa_info *sa_info(const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_usersa_info)) ||
	    !MSG_ALIGNED(h, struct xfrm_usersa_info))
		return NULL;
	return NLMSG_DATA(h);
}

static const struct xfrm_userpolicy_info *sp_info(const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_userpolicy_info)) ||
	    !MSG_ALIGNED(h, struct xfrm_userpolicy_info))
		return NULL;
	return NLMSG_DATA(h);
}

/* A copy of @h in malloc'ed (so suitably aligned) memory; NULL: no memory. */
static struct nlmsghdr *msg_copy(const struct nlmsghdr *h)
{
	struct nlmsghdr *c = malloc(h->nlmsg_len);

	if (c)
		memcpy(c, h, h->nlmsg_len);
	return c;
}

static void msg_free(struct nlmsghdr *h)
{
	if (!h)
		return;
	OPENSSL_cleanse(h, h->nlmsg_len);
	free(h);
}

static bool reqid_ours(uint32_t reqid)
{
	return reqid >= XFRM_REQID_BASE && reqid - XFRM_REQID_BASE < XFRM_REQID_COUNT;
}

static bool prio_ours(uint32_t prio)
{
	return prio >= XFRM_PRIO_BASE && prio <= XFRM_PRIO_MAX;
}

/* Number of templates of NEWPOLICY @h (aligned). */
static size_t policy_ntmpl(const struct nlmsghdr *h)
{
	const struct nlattr *t = msg_attr(h, sizeof(struct xfrm_userpolicy_info), XFRMA_TMPL);

	return t ? attr_len(t) / sizeof(struct xfrm_user_tmpl) : 0;
}

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* ------------------------------------------------------------------ */
/* shunt record: which template-less policies are ours */

/*
 * A policy with templates is ours by the reqids in them.  A template-less
 * (shunt) policy has none, and a priority in our band proves nothing
 * (anyone may use those numbers), so every one we add is remembered: its
 * key (dir, selector, mark) with its priority and action, in memory and in
 * STATE_DIR/shunts.  A dumped template-less policy is ours only when
 * recorded with the same priority and action (DESIGN.md decision 4: an
 * unrecorded one is left alone).
 *
 * The file is a journal: a header line naming this network namespace and
 * boot (XFRM objects die with either, so a record from another one means
 * nothing here), then one "+ POLICY" / "- POLICY" line per change
 * (shunt_line()), appended before we add a policy (a crash right after the
 * add cannot leave an unrecorded policy of ours) and after we delete one.
 * It is written anew compactly (temporary file, rename, mode 0600) at
 * start-up and when the journal has grown past twice the entries plus
 * SHUNT_SLACK lines: appending keeps a start-up of N shunt groups linear.
 * A missing file, another header or a line that does not parse (a torn
 * last line included) records nothing.  Write failures are logged once and
 * do not stop the daemon (a crash would then leave those policies behind,
 * looking foreign).  No fsync: after a power loss the kernel holds nothing.
 */
#define SHUNT_SLACK 1024u
#define SHUNT_MAGIC "spigrpd shunt policies v1"

static uint32_t shunt_hash(const struct shunt *s)
{
	const struct xfrm_selector *l = &s->sel;
	uint32_t x = fnv(2166136261u, &s->dir, 1);

	x = fnv(x, &l->family, sizeof(l->family));
	x = fnv(x, &l->prefixlen_s, 1);
	x = fnv(x, &l->prefixlen_d, 1);
	x = fnv(x, &l->proto, 1);
	x = fnv(x, &l->sport, 2);
	x = fnv(x, &l->dport, 2);
	x = fnv(x, &l->saddr, fam_len(l->family));
	x = fnv(x, &l->daddr, fam_len(l->family));
	x = fnv(x, &s->mark.v, sizeof(s->mark.v));
	return fnv(x, &s->mark.m, sizeof(s->mark.m));
}

static bool shunt_same_key(const struct shunt *a, const struct shunt *b)
{
	return a->dir == b->dir && sel_equal(&a->sel, &b->sel) && a->mark.v == b->mark.v &&
	       a->mark.m == b->mark.m;
}

/* The record form of NEWPOLICY @h (aligned).  False: not a policy. */
static bool shunt_of(const struct nlmsghdr *h, struct shunt *s)
{
	const struct xfrm_userpolicy_info *p = sp_info(h);
	const struct xfrm_mark *mk;

	memset(s, 0, sizeof(*s));
	if (h->nlmsg_type != XFRM_MSG_NEWPOLICY || !p)
		return false;
	s->sel = p->sel;
	s->dir = p->dir;
	s->priority = p->priority;
	s->action = p->action;
	mk = attr_data(msg_attr(h, sizeof(*p), XFRMA_MARK), sizeof(*mk));
	if (mk)
		s->mark = *mk;
	return true;
}

/* The link pointing at the entry with @key's key, or NULL. */
static struct shunt **shunt_link(struct shunt_rec *r, const struct shunt *key)
{
	struct shunt **pp;

	if (!r->nbucket)
		return NULL;
	for (pp = &r->bucket[shunt_hash(key) & (r->nbucket - 1)]; *pp; pp = &(*pp)->next)
		if (shunt_same_key(*pp, key))
			return pp;
	return NULL;
}

static int shunt_grow(struct shunt_rec *r)
{
	size_t nb = r->nbucket ? r->nbucket * 2 : 64, i;
	struct shunt **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (i = 0; i < r->nbucket; i++) {
		struct shunt *e, *next;

		for (e = r->bucket[i]; e; e = next) {
			size_t k = shunt_hash(e) & (nb - 1);

			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	}
	free(r->bucket);
	r->bucket = b;
	r->nbucket = nb;
	return 0;
}

/* In memory: add @s or update its entry.  1 changed, 0 no change, -ENOMEM. */
static int shunt_put(struct shunt_rec *r, const struct shunt *s)
{
	struct shunt **pp = shunt_link(r, s), *e;
	size_t k;

	if (pp) {
		if ((*pp)->priority == s->priority && (*pp)->action == s->action)
			return 0;
		(*pp)->priority = s->priority;
		(*pp)->action = s->action;
		return 1;
	}
	if (r->n >= r->nbucket && shunt_grow(r))
		return -ENOMEM;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = *s;
	e->seen = false;
	k = shunt_hash(e) & (r->nbucket - 1);
	e->next = r->bucket[k];
	r->bucket[k] = e;
	r->n++;
	return 1;
}

/* In memory: drop the entry with @s's key.  True when there was one. */
static bool shunt_drop(struct shunt_rec *r, const struct shunt *s)
{
	struct shunt **pp = shunt_link(r, s), *e;

	if (!pp)
		return false;
	e = *pp;
	*pp = e->next;
	free(e);
	r->n--;
	return true;
}

static void shunt_clear(struct shunt_rec *r)
{
	size_t i;

	for (i = 0; i < r->nbucket; i++) {
		struct shunt *e, *next;

		for (e = r->bucket[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(r->bucket);
	r->bucket = NULL;
	r->nbucket = r->n = 0;
}

/* "+ out 10.9.1.0/24 10.9.2.0/24 0 0/0 0/0 0 0 0/0 1065792 allow\n": op,
 * dir, source and destination prefix, proto, sport/mask and dport/mask
 * (host order), ifindex, user, mark value/mask, priority, action.
 * Return: the length, or -EINVAL (not a selector we record). */
static int shunt_line(char *buf, size_t len, char op, const struct shunt *s)
{
	const struct xfrm_selector *l = &s->sel;
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int n;

	if ((l->family != AF_INET && l->family != AF_INET6) || s->action > XFRM_POLICY_BLOCK ||
	    !inet_ntop(l->family, &l->saddr, sa, sizeof(sa)) ||
	    !inet_ntop(l->family, &l->daddr, da, sizeof(da)))
		return -EINVAL;
	n = snprintf(buf, len, "%c %s %s/%u %s/%u %u %u/%u %u/%u %d %u %u/%u %u %s\n", op,
		     dir_name(s->dir), sa, l->prefixlen_s, da, l->prefixlen_d, l->proto,
		     ntohs(l->sport), ntohs(l->sport_mask), ntohs(l->dport), ntohs(l->dport_mask),
		     l->ifindex, (unsigned)l->user, s->mark.v, s->mark.m, s->priority,
		     s->action == XFRM_POLICY_BLOCK ? "block" : "allow");
	return n > 0 && (size_t)n < len ? n : -EINVAL;
}

/* One line of shunt_line() back.  False: not such a line (complete with
 * its newline). */
static bool shunt_parse(const char *line, char *op, struct shunt *s)
{
	char o, dir[4], sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], act[6];
	unsigned ls, ld, proto, sp, spm, dp, dpm, user, mv, mm, prio, max;
	int ifindex, end = -1, fam;

	if (sscanf(line, "%c %3s %45[0-9a-fA-F.:]/%u %45[0-9a-fA-F.:]/%u %u %u/%u %u/%u %d %u %u/%u %u %5s%n",
		   &o, dir, sa, &ls, da, &ld, &proto, &sp, &spm, &dp, &dpm, &ifindex, &user, &mv, &mm,
		   &prio, act, &end) != 17 || end < 0 || strcmp(line + end, "\n"))
		return false;
	memset(s, 0, sizeof(*s));
	if (inet_pton(AF_INET, sa, &s->sel.saddr) == 1 && inet_pton(AF_INET, da, &s->sel.daddr) == 1) {
		fam = AF_INET;
		max = 32;
	} else {
		memset(s, 0, sizeof(*s));
		if (inet_pton(AF_INET6, sa, &s->sel.saddr) != 1 ||
		    inet_pton(AF_INET6, da, &s->sel.daddr) != 1)
			return false;
		fam = AF_INET6;
		max = 128;
	}
	if ((o != '+' && o != '-') || ls > max || ld > max || proto > 255 || sp > 0xffff ||
	    spm > 0xffff || dp > 0xffff || dpm > 0xffff || !prio_ours(prio))
		return false;
	if (!strcmp(dir, "in"))
		s->dir = XFRM_POLICY_IN;
	else if (!strcmp(dir, "out"))
		s->dir = XFRM_POLICY_OUT;
	else if (!strcmp(dir, "fwd"))
		s->dir = XFRM_POLICY_FWD;
	else
		return false;
	if (!strcmp(act, "allow"))
		s->action = XFRM_POLICY_ALLOW;
	else if (!strcmp(act, "block"))
		s->action = XFRM_POLICY_BLOCK;
	else
		return false;
	s->sel.family = (uint16_t)fam;
	s->sel.prefixlen_s = (uint8_t)ls;
	s->sel.prefixlen_d = (uint8_t)ld;
	s->sel.proto = (uint8_t)proto;
	s->sel.sport = htons((uint16_t)sp);
	s->sel.sport_mask = htons((uint16_t)spm);
	s->sel.dport = htons((uint16_t)dp);
	s->sel.dport_mask = htons((uint16_t)dpm);
	s->sel.ifindex = ifindex;
	s->sel.user = user;
	s->mark.v = mv;
	s->mark.m = mm;
	s->priority = prio;
	*op = o;
	return true;
}

static void shunt_warn(struct xfrm *x, const char *what, int err)
{
	if (x->sr.warned)
		return;
	x->sr.warned = true;
	log_warn("xfrm: shunt policy record %s: %s: %s (if the daemon dies now, the next start "
		 "takes the shunt policies left behind for someone else's and leaves them)",
		 x->sr.path, what, strerror(-err));
}

/* mkdir -p: the state directory is made by the daemon after xfrm_adopt(). */
static void mkdir_p(const char *dir)
{
	char *p = strdup(dir), *q;

	if (!p)
		return;
	for (q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		mkdir(p, 0755);
		*q = '/';
	}
	mkdir(p, 0755);
	free(p);
}

/* Write the whole record anew: temporary file, then rename.  0 or -errno. */
static int shunt_rewrite(struct xfrm *x)
{
	struct shunt_rec *r = &x->sr;
	char *tmp = NULL, line[256];
	FILE *f = NULL;
	int fd = -1, ret = 0, n;
	size_t i;

	if (!r->path)
		return 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->appendable = false;
	mkdir_p(r->dir);
	if (asprintf(&tmp, "%s.tmp", r->path) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		ret = -errno;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		goto out;
	}
	fd = -1;
	fputs(r->header, f);
	for (i = 0; i < r->nbucket; i++) {
		const struct shunt *e;

		for (e = r->bucket[i]; e; e = e->next) {
			n = shunt_line(line, sizeof(line), '+', e);
			if (n > 0)
				fputs(line, f);
		}
	}
	errno = EIO;
	if (fflush(f) || ferror(f))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	f = NULL;
	if (!ret && rename(tmp, r->path) < 0)
		ret = -errno;
	if (!ret) {
		r->appendable = true;
		r->lines = 0;
	}
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	if (ret)
		shunt_warn(x, "cannot write it", ret);
	return ret;
}

/* Put one change of @s (already made in memory) into the file. */
static void shunt_journal(struct xfrm *x, char op, const struct shunt *s)
{
	struct shunt_rec *r = &x->sr;
	char line[256];
	int n;

	if (!r->path)
		return;
	if (!r->appendable || r->lines >= 2 * r->n + SHUNT_SLACK) {
		shunt_rewrite(x);
		return;
	}
	n = shunt_line(line, sizeof(line), op, s);
	if (n < 0)
		return;
	if (r->fd < 0)
		r->fd = open(r->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (r->fd < 0 || write(r->fd, line, (size_t)n) != n) {
		/* gone, or a torn line (which reads as nothing): write anew */
		shunt_rewrite(x);
		return;
	}
	r->lines++;
}

/* The first line for this network namespace and boot. */
static void shunt_header(char *buf, size_t len)
{
	char boot[64], got[64];
	unsigned long long ino = 0;
	struct stat st;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	snprintf(boot, sizeof(boot), "?");
	if (f) {
		if (fgets(got, sizeof(got), f) && got[0] != '\n') {
			got[strcspn(got, "\n")] = '\0';
			snprintf(boot, sizeof(boot), "%s", got);
		}
		fclose(f);
	}
	if (stat("/proc/self/ns/net", &st) == 0)
		ino = (unsigned long long)st.st_ino;
	snprintf(buf, len, SHUNT_MAGIC " netns %llu boot %s\n", ino, boot);
}

static void shunt_load(struct xfrm *x)
{
	struct shunt_rec *r = &x->sr;
	size_t cap = 0, bad = 0;
	char *line = NULL;
	FILE *f;
	ssize_t n;

	r->appendable = false;
	r->lines = 0;
	f = fopen(r->path, "re");
	if (!f) {
		if (errno != ENOENT)
			log_warn("xfrm: shunt policy record %s: %s (nothing recorded)", r->path,
				 strerror(errno));
		return;
	}
	n = getline(&line, &cap, f);
	if (n <= 0 || strcmp(line, r->header)) {
		if (n > 0 && !strncmp(line, SHUNT_MAGIC " ", strlen(SHUNT_MAGIC " ")))
			log_info("xfrm: shunt policy record %s is from another network namespace "
				 "or boot: nothing recorded", r->path);
		else if (n > 0)
			log_warn("xfrm: %s is no shunt policy record: nothing recorded", r->path);
		goto out;
	}
	r->appendable = true;
	while ((n = getline(&line, &cap, f)) > 0) {
		struct shunt s;
		char op;

		r->lines++;
		if (line[n - 1] != '\n')
			r->appendable = false; /* torn: write anew before appending */
		if (!shunt_parse(line, &op, &s)) {
			bad++;
			continue;
		}
		if (op == '-')
			shunt_drop(r, &s);
		else if (shunt_put(r, &s) < 0)
			bad++;
	}
	if (bad)
		log_warn("xfrm: shunt policy record %s: %zu line%s ignored", r->path, bad,
			 bad == 1 ? "" : "s");
	log_debug("xfrm: shunt policy record %s: %zu polic%s", r->path, r->n,
		  r->n == 1 ? "y" : "ies");
out:
	free(line);
	fclose(f);
}

void xfrm_set_state_dir(struct xfrm *x, const char *dir)
{
	struct shunt_rec *r = &x->sr;

	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->dir);
	free(r->path);
	r->dir = r->path = NULL;
	shunt_clear(r);
	if (!dir)
		return;
	r->dir = strdup(dir);
	if (!r->dir || asprintf(&r->path, "%s/shunts", dir) < 0) {
		free(r->dir);
		r->dir = r->path = NULL;
		log_err("xfrm: out of memory: shunt policies are not recorded");
		return;
	}
	shunt_header(r->header, sizeof(r->header));
	shunt_load(x);
}

/* Is template-less NEWPOLICY @h (aligned) recorded as ours: same key,
 * priority and action, main policy type, no if_id? */
static bool shunt_recorded(struct xfrm *x, const struct nlmsghdr *h)
{
	const size_t hl = sizeof(struct xfrm_userpolicy_info);
	const struct xfrm_userpolicy_type *ty;
	const uint32_t *ifid;
	struct shunt s, **pp;

	if (!shunt_of(h, &s))
		return false;
	ty = attr_data(msg_attr(h, hl, XFRMA_POLICY_TYPE), sizeof(*ty));
	ifid = attr_data(msg_attr(h, hl, XFRMA_IF_ID), sizeof(*ifid));
	if ((ty && ty->type != XFRM_POLICY_TYPE_MAIN) || (ifid && *ifid))
		return false;
	pp = shunt_link(&x->sr, &s);
	return pp && (*pp)->priority == s.priority && (*pp)->action == s.action;
}

/* Before adding template-less NEWPOLICY @h: record it (write-ahead).  The
 * entry it replaces, if any, goes to @prev for shunt_undo().  Return: true
 * when @prev was filled. */
static bool shunt_record(struct xfrm *x, const struct nlmsghdr *h, struct shunt *prev)
{
	struct shunt s, **pp;
	bool had = false;
	int r;

	if (!shunt_of(h, &s))
		return false;
	pp = shunt_link(&x->sr, &s);
	if (pp) {
		*prev = **pp;
		had = true;
	}
	r = shunt_put(&x->sr, &s);
	if (r > 0)
		shunt_journal(x, '+', &s);
	else if (r < 0)
		shunt_warn(x, "cannot hold it", r);
	return had;
}

/* Forget the entry with the key of NEWPOLICY @h: the kernel does not hold
 * a policy of ours with that key (any more). */
static void shunt_forget(struct xfrm *x, const struct nlmsghdr *h)
{
	struct shunt s;

	if (shunt_of(h, &s) && shunt_drop(&x->sr, &s))
		shunt_journal(x, '-', &s);
}

/* Adding @h failed: back to the entry before shunt_record(). */
static void shunt_undo(struct xfrm *x, const struct nlmsghdr *h, const struct shunt *prev)
{
	if (!prev) {
		shunt_forget(x, h);
	} else if (shunt_put(&x->sr, prev) > 0) {
		shunt_journal(x, '+', prev);
	}
}

/* ------------------------------------------------------------------ */
/* the plan: NEWSA / NEWPOLICY requests of one group */

/* One XFRM transform of a group (tun SAs folded away). */
struct tf {
	const struct sadb_sa *sa;
	bool tunnel;        /* tunnel mode (a tun SA before it) */
	bool after_tunnel;  /* some earlier transform is tunnel mode */
};

/*
 * Lower value = tried first (XFRM).  Like charon, more specific selectors
 * get lower values: 256 per prefix bit of src + dst, 128 less with a
 * protocol, 64 less with a port.  The start is XFRM_PRIO_BASE + 0x10100
 * (not + 0x10000) so that the most specific case, /128 + /128 with
 * protocol and ports, is XFRM_PRIO_BASE + 64 and stays in our band.
 */
uint32_t xfrm_policy_priority(const struct sadb_group *g, const struct ip_prefix *src,
			      const struct ip_prefix *dst)
{
	uint32_t bits = (src ? src->len : 0) + (dst ? dst->len : 0);
	uint32_t prio = XFRM_PRIO_BASE + 0x10100u;

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

static int plan_push(struct xfrm_plan *p, struct nl_msg *m)
{
	struct nl_msg **n = realloc(p->msg, (p->nmsg + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->msg = n;
	p->msg[p->nmsg++] = m;
	return 0;
}

static void msg_wipe_free(struct nl_msg *m)
{
	if (!m)
		return;
	OPENSSL_cleanse(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
}

void xfrm_plan_free(struct xfrm_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->nmsg; i++)
		msg_wipe_free(plan->msg[i]);
	free(plan->msg);
	plan->msg = NULL;
	plan->nmsg = 0;
}

/* Fold tun SAs into the next SA; refuse what XFRM cannot express. */
static int group_transforms(const struct sadb_group *g, struct tf *tf, unsigned *ntf,
			    char *err, size_t errlen)
{
	bool pending_tun = false, seen_tunnel = false;
	unsigned i, n = 0;

	for (i = 0; i < g->nsa; i++) {
		const struct sadb_sa *sa = g->sa[i];
		uint8_t proto = sa->cfg->said.proto;

		if (proto == SAID_PROTO_TUN) {
			if (pending_tun) {
				set_text(err, errlen, "two tun SAs in a row cannot be expressed in XFRM");
				return -EINVAL;
			}
			pending_tun = true;
			continue;
		}
		if (proto != SAID_PROTO_ESP && proto != SAID_PROTO_AH && proto != SAID_PROTO_COMP) {
			set_text(err, errlen, "SA protocol %u cannot be an XFRM state", proto);
			return -EINVAL;
		}
		tf[n].sa = sa;
		tf[n].tunnel = pending_tun || sa->tunnel_mode;
		tf[n].after_tunnel = seen_tunnel;
		seen_tunnel |= tf[n].tunnel;
		pending_tun = false;
		n++;
	}
	if (pending_tun) {
		set_text(err, errlen, n ? "a trailing tun SA cannot be expressed in XFRM"
					: "a group of only tun SAs cannot be expressed in XFRM");
		return -EINVAL;
	}
	if (!n) {
		set_text(err, errlen, "group has no SA");
		return -EINVAL;
	}
	*ntf = n;
	return 0;
}

/* The family of the group's inner traffic: AF_INET / AF_INET6, or 0 when
 * the traffic selectors mix families or there are none. */
static unsigned inner_family(const struct sadb_group *g)
{
	unsigned f = 0, i;

	for (i = 0; i < g->nsrc_ts + g->ndst_ts; i++) {
		const struct ip_prefix *p = i < g->nsrc_ts ? &g->src_ts[i] : &g->dst_ts[i - g->nsrc_ts];

		if (f && p->addr.family != f)
			return 0;
		f = p->addr.family;
	}
	return f;
}

static void fill_selector(struct xfrm_selector *sel, const struct sadb_group *g,
			  const struct ip_prefix *s, const struct ip_prefix *d)
{
	memset(sel, 0, sizeof(*sel));
	sel->family = s->addr.family;
	xaddr_from_ip(&sel->saddr, &s->addr);
	xaddr_from_ip(&sel->daddr, &d->addr);
	sel->prefixlen_s = s->len;
	sel->prefixlen_d = d->len;
	sel->proto = g->proto;
	if (g->sport) {
		sel->sport = htons(g->sport);
		sel->sport_mask = 0xffff;
	}
	if (g->dport) {
		sel->dport = htons(g->dport);
		sel->dport_mask = 0xffff;
	}
}

static struct nl_addr *nladdr(unsigned family, const void *bytes)
{
	return nl_addr_build(family, bytes, fam_len(family));
}

/* A libnl selector from a raw one (addresses set explicitly: libnl 3.7
 * dereferences them without checking). */
static struct xfrmnl_sel *nl_selector(const struct xfrm_selector *s)
{
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *da, *sa;

	if (!sel)
		return NULL;
	da = nladdr(s->family, &s->daddr);
	sa = nladdr(s->family, &s->saddr);
	if (!da || !sa) {
		nl_addr_put(da);
		nl_addr_put(sa);
		xfrmnl_sel_put(sel);
		return NULL;
	}
	xfrmnl_sel_set_daddr(sel, da);
	xfrmnl_sel_set_saddr(sel, sa);
	nl_addr_put(da);
	nl_addr_put(sa);
	xfrmnl_sel_set_family(sel, s->family);
	xfrmnl_sel_set_prefixlen_d(sel, s->prefixlen_d);
	xfrmnl_sel_set_prefixlen_s(sel, s->prefixlen_s);
	xfrmnl_sel_set_proto(sel, s->proto);
	xfrmnl_sel_set_dport(sel, ntohs(s->dport));
	xfrmnl_sel_set_dportmask(sel, ntohs(s->dport_mask));
	xfrmnl_sel_set_sport(sel, ntohs(s->sport));
	xfrmnl_sel_set_sportmask(sel, ntohs(s->sport_mask));
	return sel;
}

static uint64_t limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static struct xfrmnl_ltime_cfg *nl_lifetime(const struct cfg_life *l)
{
	struct xfrmnl_ltime_cfg *lt = xfrmnl_ltime_cfg_alloc();

	if (!lt)
		return NULL;
	xfrmnl_ltime_cfg_set_soft_bytelimit(lt, limit(l ? l->soft_bytes : 0));
	xfrmnl_ltime_cfg_set_hard_bytelimit(lt, limit(l ? l->hard_bytes : 0));
	xfrmnl_ltime_cfg_set_soft_packetlimit(lt, limit(l ? l->soft_packets : 0));
	xfrmnl_ltime_cfg_set_hard_packetlimit(lt, limit(l ? l->hard_packets : 0));
	xfrmnl_ltime_cfg_set_soft_addexpires(lt, l ? l->soft_seconds : 0);
	xfrmnl_ltime_cfg_set_hard_addexpires(lt, l ? l->hard_seconds : 0);
	xfrmnl_ltime_cfg_set_soft_useexpires(lt, 0);
	xfrmnl_ltime_cfg_set_hard_useexpires(lt, 0);
	return lt;
}

/* Append an algorithm attribute (xfrm_algo / xfrm_algo_auth /
 * xfrm_algo_aead + key) straight into @m, so that the key is never copied
 * into a libnl object that would be freed unwiped. */
static int put_alg(struct nl_msg *m, int type, const char *name, const struct cfg_key *k,
		   unsigned bits)
{
	size_t hdr, klen = k ? k->len : 0;
	struct nlattr *a;
	uint8_t *p;

	switch (type) {
	case XFRMA_ALG_AUTH_TRUNC:
		hdr = sizeof(struct xfrm_algo_auth);
		break;
	case XFRMA_ALG_AEAD:
		hdr = sizeof(struct xfrm_algo_aead);
		break;
	default:
		hdr = sizeof(struct xfrm_algo);
		break;
	}
	if (strlen(name) >= sizeof(((struct xfrm_algo *)0)->alg_name))
		return -EINVAL;
	a = nla_reserve(m, type, hdr + klen);
	if (!a)
		return -EMSGSIZE;
	p = nla_data(a);
	memset(p, 0, hdr + klen);
	switch (type) {
	case XFRMA_ALG_AUTH_TRUNC: {
		struct xfrm_algo_auth *x = (struct xfrm_algo_auth *)p;

		strcpy(x->alg_name, name);
		x->alg_key_len = klen * 8;
		x->alg_trunc_len = bits;
		break;
	}
	case XFRMA_ALG_AEAD: {
		struct xfrm_algo_aead *x = (struct xfrm_algo_aead *)p;

		strcpy(x->alg_name, name);
		x->alg_key_len = klen * 8;
		x->alg_icv_len = bits;
		break;
	}
	default: {
		struct xfrm_algo *x = (struct xfrm_algo *)p;

		strcpy(x->alg_name, name);
		x->alg_key_len = klen * 8;
		break;
	}
	}
	if (klen)
		memcpy(p + hdr, k->data, klen);
	return 0;
}

/* NEWSA for one transform. */
static int build_state(const struct sadb_group *g, const struct tf *t, struct nl_msg **out,
		       char *err, size_t errlen)
{
	const struct sadb_sa *sa = t->sa;
	const struct cfg_sa *c = sa->cfg;
	unsigned family = c->said.dst.family, inner = inner_family(g);
	uint8_t proto = c->said.proto;
	struct xfrmnl_sa *x = NULL;
	struct xfrmnl_ltime_cfg *lt = NULL;
	struct xfrmnl_sel *sel = NULL;
	struct nl_addr *da = NULL, *sa_addr = NULL;
	struct nl_msg *m = NULL;
	unsigned flags = 0;
	uint32_t *bmp = NULL;
	int ret = -ENOMEM;

	*out = NULL;
	if (!family || c->src.family != family) {
		set_text(err, errlen, "SA source and destination families differ");
		return -EINVAL;
	}
	if (proto == SAID_PROTO_COMP && c->said.spi >= 0x10000) {
		set_text(err, errlen, "CPI 0x%x does not fit 16 bits", c->said.spi);
		return -EINVAL;
	}
	x = xfrmnl_sa_alloc();
	da = nladdr(family, c->said.dst.b);
	sa_addr = nladdr(family, c->src.b);
	lt = nl_lifetime(&c->life);
	if (!x || !da || !sa_addr || !lt)
		goto out;
	xfrmnl_sa_set_daddr(x, da);
	xfrmnl_sa_set_saddr(x, sa_addr);
	xfrmnl_sa_set_spi(x, c->said.spi);
	xfrmnl_sa_set_proto(x, proto);
	xfrmnl_sa_set_family(x, family);
	xfrmnl_sa_set_mode(x, t->tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
	xfrmnl_sa_set_reqid(x, g->reqid);
	xfrmnl_sa_set_lifetime_cfg(x, lt);

	/* Selector: empty for tunnel mode (AF_UNSPEC: any inner family) and for
	 * transport states behind a tunnel (they see the inner flow); the
	 * traffic selector for a plain transport group with one pair. */
	if (t->tunnel) {
		flags |= XFRM_STATE_AF_UNSPEC;
	} else if (t->after_tunnel) {
		if (inner != family)
			flags |= XFRM_STATE_AF_UNSPEC;
	} else if (!g->implicit && g->nsrc_ts == 1 && g->ndst_ts == 1 &&
		   g->src_ts[0].addr.family == family && g->dst_ts[0].addr.family == family) {
		struct xfrm_selector s;

		fill_selector(&s, g, &g->src_ts[0], &g->dst_ts[0]);
		sel = nl_selector(&s);
		if (!sel)
			goto out;
		xfrmnl_sa_set_sel(x, sel);
	}
	if (proto == SAID_PROTO_AH && family == AF_INET && c->ah_align != 64)
		flags |= XFRM_STATE_ALIGN4;

	/* Anti-replay: AH and ESP only.  Up to 32 packets without ESN the legacy
	 * header field; otherwise the ESN/bitmap attribute with the header field
	 * 0.  The kernel refuses ESN with a window of 0 (also for outbound SAs
	 * on 6.1), so ESN gets at least 1. */
	if (proto != SAID_PROTO_COMP) {
		uint32_t w = c->replay_window;

		if (c->esn)
			flags |= XFRM_STATE_ESN;
		if (c->esn || w > 32) {
			unsigned words;

			if (c->esn && !w)
				w = 1;
			if (w > XFRM_REPLAY_MAX_WINDOW) {
				set_text(err, errlen, "replay window %u above the kernel's %u",
					 w, XFRM_REPLAY_MAX_WINDOW);
				ret = -EINVAL;
				goto out;
			}
			words = (w + 31) / 32;
			bmp = calloc(words, sizeof(*bmp));
			if (!bmp || xfrmnl_sa_set_replay_state_esn(x, 0, 0, 0, 0, w, words, bmp) < 0)
				goto out;
			xfrmnl_sa_set_replay_window(x, 0);
		} else {
			xfrmnl_sa_set_replay_window(x, w);
		}
	}
	xfrmnl_sa_set_flags(x, flags);

	ret = xfrm_nle_errno(xfrmnl_sa_build_add_request(x, NLM_F_CREATE | NLM_F_EXCL, &m));
	if (ret)
		goto out;

	/* Algorithms, keys included, straight into the message. */
	if (proto == SAID_PROTO_COMP) {
		ret = put_alg(m, XFRMA_ALG_COMP, c->comp ? c->comp->kernel_name : "deflate", NULL, 0);
	} else {
		ret = 0;
		if (c->enc && c->enc->kind == ALG_AEAD)
			ret = put_alg(m, XFRMA_ALG_AEAD, c->enc->kernel_name, &c->enckey,
				      c->enc->icv_bits);
		else if (c->enc)
			ret = put_alg(m, XFRMA_ALG_CRYPT, c->enc->kernel_name, &c->enckey, 0);
		if (!ret && c->auth)
			ret = put_alg(m, XFRMA_ALG_AUTH_TRUNC, c->auth->kernel_name, &c->authkey,
				      c->auth->icv_bits);
		if (!ret && proto == SAID_PROTO_AH && !c->auth) {
			set_text(err, errlen, "AH SA without an auth algorithm");
			ret = -EINVAL;
		}
	}
	if (ret) {
		if (ret != -EINVAL)
			set_text(err, errlen, "netlink message too small");
		goto out;
	}
	*out = m;
	m = NULL;
out:
	if (ret == -ENOMEM)
		set_text(err, errlen, "out of memory");
	msg_wipe_free(m);
	free(bmp);
	nl_addr_put(da);
	nl_addr_put(sa_addr);
	if (lt)
		xfrmnl_ltime_cfg_put(lt);
	if (sel)
		xfrmnl_sel_put(sel);
	if (x)
		xfrmnl_sa_put(x);
	return ret;
}

/* NEWPOLICY for one selector pair and direction. */
static int build_policy(const struct sadb_group *g, const struct ip_prefix *s,
			const struct ip_prefix *d, unsigned dir, const struct tf *tf, unsigned ntf,
			struct nl_msg **out, char *err, size_t errlen)
{
	struct xfrm_selector raw;
	struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
	struct xfrmnl_sel *sel = NULL;
	struct xfrmnl_ltime_cfg *lt = nl_lifetime(NULL);
	unsigned family = s->addr.family, i;
	int ret = -ENOMEM;

	*out = NULL;
	if (!sp || !lt)
		goto out;
	if (s->addr.family != d->addr.family) {
		set_text(err, errlen, "traffic selectors of different families");
		ret = -EINVAL;
		goto out;
	}
	fill_selector(&raw, g, s, d);
	sel = nl_selector(&raw);
	if (!sel)
		goto out;
	xfrmnl_sp_set_sel(sp, sel);
	xfrmnl_sp_set_dir(sp, dir);
	xfrmnl_sp_set_priority(sp, xfrm_policy_priority(g, s, d));
	xfrmnl_sp_set_share(sp, XFRM_SHARE_ANY);
	xfrmnl_sp_set_lifetime_cfg(sp, lt);

	if (g->shunt) {
		uint32_t spi = g->shunt_said.spi;
		bool pass = g->shunt_said.proto == SAID_PROTO_TUN || spi == SAID_SPI_PASS;
		bool block = g->shunt_said.proto == SAID_PROTO_INT &&
			     (spi == SAID_SPI_DROP || spi == SAID_SPI_REJECT);

		if (!pass && !block) {
			char t[SAID_BUF];

			said_format(&g->shunt_said, '0', t, sizeof(t));
			set_text(err, errlen, "shunt %s cannot be expressed in XFRM", t);
			ret = -EINVAL;
			goto out;
		}
		xfrmnl_sp_set_action(sp, pass ? XFRM_POLICY_ALLOW : XFRM_POLICY_BLOCK);
	} else {
		xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
	}

	for (i = 0; i < (g->shunt ? 0 : ntf); i++) {
		const struct cfg_sa *c = tf[i].sa->cfg;
		unsigned tfam = c->said.dst.family;
		struct xfrmnl_user_tmpl *t;
		struct nl_addr *da, *sa_addr;
		xfrm_address_t zero;

		if (!tf[i].tunnel && tfam != family) {
			set_text(err, errlen, "transport-mode SA %s of another family than the traffic before it",
				 said_proto_name(c->said.proto) ? said_proto_name(c->said.proto) : "?");
			ret = -EINVAL;
			goto out;
		}
		family = tfam;
		memset(&zero, 0, sizeof(zero));
		t = xfrmnl_user_tmpl_alloc();
		if (!t)
			goto out;
		/* libnl 3.7 copies both addresses unconditionally: set them. */
		da = nladdr(tfam, tf[i].tunnel ? (const void *)c->said.dst.b : (const void *)&zero);
		sa_addr = nladdr(tfam, tf[i].tunnel ? (const void *)c->src.b : (const void *)&zero);
		if (!da || !sa_addr) {
			nl_addr_put(da);
			nl_addr_put(sa_addr);
			xfrmnl_user_tmpl_free(t);
			goto out;
		}
		xfrmnl_user_tmpl_set_daddr(t, da);
		xfrmnl_user_tmpl_set_saddr(t, sa_addr);
		nl_addr_put(da);
		nl_addr_put(sa_addr);
		/* SPI pinned on outbound templates only (as charon): inbound
		 * templates match whatever SPI the sec_path holds. */
		xfrmnl_user_tmpl_set_spi(t, dir == XFRM_POLICY_OUT ? c->said.spi : 0);
		xfrmnl_user_tmpl_set_proto(t, c->said.proto);
		xfrmnl_user_tmpl_set_family(t, tfam);
		xfrmnl_user_tmpl_set_reqid(t, g->reqid);
		xfrmnl_user_tmpl_set_mode(t, tf[i].tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
		xfrmnl_user_tmpl_set_share(t, XFRM_SHARE_ANY);
		xfrmnl_user_tmpl_set_optional(t, c->said.proto == SAID_PROTO_COMP && dir != XFRM_POLICY_OUT);
		xfrmnl_user_tmpl_set_aalgos(t, ~0u);
		xfrmnl_user_tmpl_set_ealgos(t, ~0u);
		xfrmnl_user_tmpl_set_calgos(t, ~0u);
		xfrmnl_sp_add_usertemplate(sp, t);
	}

	ret = xfrm_nle_errno(xfrmnl_sp_build_add_request(sp, NLM_F_CREATE | NLM_F_EXCL, out));
	if (ret)
		set_text(err, errlen, "cannot build the policy request");
out:
	if (ret == -ENOMEM)
		set_text(err, errlen, "out of memory");
	if (sel)
		xfrmnl_sel_put(sel);
	if (lt)
		xfrmnl_ltime_cfg_put(lt);
	if (sp)
		xfrmnl_sp_put(sp);
	return ret;
}

static int plan_policies(const struct sadb_group *g, unsigned dir, const struct tf *tf,
			 unsigned ntf, struct xfrm_plan *plan, char *err, size_t errlen)
{
	unsigned i, j;
	int ret;

	for (i = 0; i < g->nsrc_ts; i++) {
		for (j = 0; j < g->ndst_ts; j++) {
			struct nl_msg *m;

			ret = build_policy(g, &g->src_ts[i], &g->dst_ts[j], dir, tf, ntf, &m, err, errlen);
			if (ret)
				return ret;
			ret = plan_push(plan, m);
			if (ret) {
				msg_wipe_free(m);
				set_text(err, errlen, "out of memory");
				return ret;
			}
		}
	}
	return 0;
}

int xfrm_plan_group(const struct sadb_group *g, struct xfrm_plan *plan, char *err, size_t errlen)
{
	struct tf tf[CFG_MAX_GROUP_SAS + 1];
	unsigned ntf = 0, i;
	int ret = 0;

	plan->msg = NULL;
	plan->nmsg = 0;
	set_text(err, errlen, "%s", "");
	if (!g->shunt) {
		ret = group_transforms(g, tf, &ntf, err, errlen);
		if (ret)
			return ret;
		if (!g->reqid) {
			set_text(err, errlen, "group has no reqid");
			return -EINVAL;
		}
		for (i = 0; i < ntf; i++) {
			struct nl_msg *m;

			ret = build_state(g, &tf[i], &m, err, errlen);
			if (ret)
				goto fail;
			ret = plan_push(plan, m);
			if (ret) {
				msg_wipe_free(m);
				goto fail;
			}
		}
	}
	if (g->implicit)
		return 0;
	if (!g->shunt && g->dir != SADB_DIR_IN && g->dir != SADB_DIR_OUT) {
		set_text(err, errlen, "group has no direction on this host");
		ret = -EINVAL;
		goto fail;
	}
	if (!g->nsrc_ts || !g->ndst_ts) {
		set_text(err, errlen, "group has no traffic selectors");
		ret = -EINVAL;
		goto fail;
	}
	/* in/fwd before out: out last, so that no packet meets an out policy
	 * whose states or return path are not there yet. */
	if (g->shunt || g->dir == SADB_DIR_IN) {
		ret = plan_policies(g, XFRM_POLICY_IN, tf, ntf, plan, err, errlen);
		if (!ret)
			ret = plan_policies(g, XFRM_POLICY_FWD, tf, ntf, plan, err, errlen);
		if (ret)
			goto fail;
	}
	if (g->shunt || g->dir == SADB_DIR_OUT) {
		ret = plan_policies(g, XFRM_POLICY_OUT, tf, ntf, plan, err, errlen);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	if (ret == -ENOMEM)
		set_text(err, errlen, "out of memory");
	xfrm_plan_free(plan);
	return ret;
}

/* ------------------------------------------------------------------ */
/* sockets, requests, replies */

/* Let only the events we act on into the event socket: our own NEWSA /
 * NEWPOLICY notifications (one per object installed) would otherwise fill
 * its buffer and cost a resynchronisation.  nlmsg_type is host order; the
 * types fit one byte, read as a byte so that BPF's big-endian loads do not
 * matter. */
static int event_filter(int fd)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TYPE_LOW_BYTE 4
#else
#define TYPE_LOW_BYTE 5
#endif
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TYPE_LOW_BYTE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_DELSA, 7, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_DELPOLICY, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_EXPIRE, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_UPDPOLICY, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_UPDSA, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_FLUSHSA, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_FLUSHPOLICY, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
#undef TYPE_LOW_BYTE
}

int xfrm_open(struct xfrm **out)
{
	struct xfrm *x = calloc(1, sizeof(*x));
	int one = 1, ret, e;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	x->sr.fd = -1;
	x->buf = malloc(XFRM_RECV_BUF);
	x->req = nl_socket_alloc();
	x->ev = nl_socket_alloc();
	if (!x->buf || !x->req || !x->ev) {
		ret = -ENOMEM;
		goto fail;
	}
	errno = 0;
	ret = nl_connect(x->req, NETLINK_XFRM);
	if (ret < 0) {
		e = errno;
		ret = e ? -e : xfrm_nle_errno(ret);
		goto fail;
	}
	/* Extended ACK text, and no echo of our request (it holds keys). */
	setsockopt(nl_socket_get_fd(x->req), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(x->req), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	nl_socket_disable_seq_check(x->ev);
	errno = 0;
	ret = nl_connect(x->ev, NETLINK_XFRM);
	if (ret < 0) {
		e = errno;
		ret = e ? -e : xfrm_nle_errno(ret);
		goto fail;
	}
	ret = nl_socket_add_memberships(x->ev, XFRMNLGRP_SA, XFRMNLGRP_POLICY, XFRMNLGRP_EXPIRE, 0);
	if (ret < 0) {
		ret = xfrm_nle_errno(ret);
		goto fail;
	}
	nl_socket_set_nonblocking(x->ev);
	ret = event_filter(nl_socket_get_fd(x->ev));
	if (ret)
		goto fail;
	{
		int sz = XFRM_EVENT_RCVBUF;

		/* Needs CAP_NET_ADMIN; fall back to what rmem_max allows. */
		if (setsockopt(nl_socket_get_fd(x->ev), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(nl_socket_get_fd(x->ev), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	*out = x;
	return 0;
fail:
	xfrm_close(x);
	return ret;
}

void xfrm_close(struct xfrm *x)
{
	size_t i;

	if (!x)
		return;
	if (x->req)
		nl_socket_free(x->req);
	if (x->ev)
		nl_socket_free(x->ev);
	if (x->buf)
		OPENSSL_cleanse(x->buf, XFRM_RECV_BUF);
	free(x->buf);
	free(x->fl);
	for (i = 0; i < x->npc; i++)
		free(x->pc[i].key);
	free(x->pc);
	xfrm_set_state_dir(x, NULL);
	free(x);
}

int xfrm_event_fd(struct xfrm *x)
{
	return nl_socket_get_fd(x->ev);
}

unsigned long xfrm_requests_sent(const struct xfrm *x)
{
	return x->nsent;
}

/* The errno and extended-ACK text of an NLMSG_ERROR: "strerror: text". */
static int parse_nlerr(const struct nlmsghdr *h, char *reason, size_t len)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const char *text = NULL;
	size_t off, end = h->nlmsg_len;
	int error;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
		set_text(reason, len, "truncated netlink error");
		return -EIO;
	}
	error = e->error;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = NLMSG_HDRLEN + sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
		while (off + NLA_HDRLEN <= end) {
			const struct nlattr *a = (const void *)((const uint8_t *)h + off);

			if (a->nla_len < NLA_HDRLEN || off + a->nla_len > end)
				break;
			if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN) {
				const char *s = (const char *)a + NLA_HDRLEN;

				if (memchr(s, 0, a->nla_len - NLA_HDRLEN))
					text = s;
			}
			off += NLA_ALIGN(a->nla_len);
		}
	}
	if (error) {
		if (text && *text)
			set_text(reason, len, "%s: %s", strerror(-error), text);
		else
			set_text(reason, len, "%s", strerror(-error));
	}
	return error > 0 ? -error : error;
}

typedef int (*reply_fn)(const struct nlmsghdr *h, void *arg);

/* Read replies to request @seq on @fd into @buf until its ACK/error (or,
 * for a dump, NLMSG_DONE), calling @fn for every other message.  The buffer
 * is wiped after each read (replies may carry keys).  Return: 0, the
 * request's -errno (text in @reason), -EAGAIN for an interrupted dump, or
 * @fn's first nonzero return. */
static int read_replies(int fd, uint8_t *buf, uint32_t seq, reply_fn fn, void *arg, char *reason,
			size_t len)
{
	int ret = 0, fnret = 0;
	bool done = false, intr = false;

	while (!done) {
		ssize_t n = recv(fd, buf, XFRM_RECV_BUF, MSG_TRUNC);
		struct nlmsghdr *h;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			set_text(reason, len, "netlink receive: %s", strerror(errno));
			return ret;
		}
		if ((size_t)n > XFRM_RECV_BUF) {
			OPENSSL_cleanse(buf, XFRM_RECV_BUF);
			set_text(reason, len, "netlink reply larger than %u bytes", XFRM_RECV_BUF);
			return -EMSGSIZE;
		}
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = parse_nlerr(h, reason, len);
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int e = *(const int *)NLMSG_DATA(h);

					if (e < 0) {
						ret = e;
						set_text(reason, len, "%s", strerror(-e));
					}
				}
				done = true;
				break;
			}
			if (fn && !fnret)
				fnret = fn(h, arg);
		}
		OPENSSL_cleanse(buf, (size_t)n);
	}
	if (!ret && intr)
		ret = -EAGAIN;
	return ret ? ret : fnret;
}

/* Send @m on the request socket and wait for its answer. */
static int request(struct xfrm *x, struct nl_msg *m, reply_fn fn, void *arg, char *reason,
		   size_t len)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	int ret;

	set_text(reason, len, "%s", "");
	ret = nl_send_auto_complete(x->req, m);
	if (ret < 0) {
		ret = xfrm_nle_errno(ret);
		set_text(reason, len, "netlink send: %s", strerror(-ret));
		return ret;
	}
	x->nsent++;
	return read_replies(nl_socket_get_fd(x->req), x->buf, h->nlmsg_seq, fn, arg, reason, len);
}

/* A dump of GETSA or GETPOLICY, retried when the kernel says it was
 * interrupted by a change. */
static int dump(struct xfrm *x, int type, reply_fn fn, void *arg, void (*restart)(void *))
{
	char reason[160];
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < XFRM_DUMP_RETRIES && ret == -EAGAIN; tries++) {
		struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_DUMP);

		if (!m)
			return -ENOMEM;
		if (restart)
			restart(arg);
		ret = request(x, m, fn, arg, reason, sizeof(reason));
		nlmsg_free(m);
	}
	if (ret < 0 && ret != -EAGAIN)
		log_err("xfrm: dump failed: %s", reason);
	return ret;
}

/* DELSA / DELPOLICY for the object a NEWSA / NEWPOLICY (planned or dumped)
 * describes; a dumped policy is deleted by index, and its mark, if_id and
 * policy type go along. */
static struct nl_msg *delete_for(const struct nlmsghdr *h, bool by_index)
{
	static const int copy[] = { XFRMA_MARK, XFRMA_IF_ID, XFRMA_POLICY_TYPE };
	struct nl_msg *m = NULL;
	size_t hdrlen;
	unsigned i;

	if (h->nlmsg_type == XFRM_MSG_NEWSA) {
		const struct xfrm_usersa_info *p = sa_info(h);
		struct xfrm_usersa_id id;

		if (!p)
			return NULL;
		memset(&id, 0, sizeof(id));
		id.daddr = p->id.daddr;
		id.spi = p->id.spi;
		id.family = p->family;
		id.proto = p->id.proto;
		m = nlmsg_alloc_simple(XFRM_MSG_DELSA, 0);
		if (!m || nlmsg_append(m, &id, sizeof(id), NLMSG_ALIGNTO) < 0)
			goto fail;
		hdrlen = sizeof(*p);
	} else if (h->nlmsg_type == XFRM_MSG_NEWPOLICY) {
		const struct xfrm_userpolicy_info *p = sp_info(h);
		struct xfrm_userpolicy_id id;

		if (!p)
			return NULL;
		memset(&id, 0, sizeof(id));
		id.sel = p->sel;
		id.dir = p->dir;
		if (by_index)
			id.index = p->index;
		m = nlmsg_alloc_simple(XFRM_MSG_DELPOLICY, 0);
		if (!m || nlmsg_append(m, &id, sizeof(id), NLMSG_ALIGNTO) < 0)
			goto fail;
		hdrlen = sizeof(*p);
	} else {
		return NULL;
	}
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		const struct nlattr *a = msg_attr(h, hdrlen, copy[i]);

		if (a && h->nlmsg_type == XFRM_MSG_NEWSA && copy[i] != XFRMA_MARK)
			continue;
		if (a && nla_put(m, copy[i], attr_len(a), attr_data(a, 0)) < 0)
			goto fail;
	}
	return m;
fail:
	nlmsg_free(m);
	return NULL;
}

/* ---- deletes we expect to hear about ---- */

static void inflight_from(struct inflight *f, const struct nlmsghdr *h)
{
	memset(f, 0, sizeof(*f));
	if (h->nlmsg_type == XFRM_MSG_NEWSA) {
		const struct xfrm_usersa_info *p = sa_info(h);

		f->kind = XFRM_MSG_DELSA;
		f->proto = p->id.proto;
		f->spi = p->id.spi;
		f->family = p->family;
		f->daddr = p->id.daddr;
	} else {
		const struct xfrm_userpolicy_info *p = sp_info(h);

		f->kind = XFRM_MSG_DELPOLICY;
		f->dir = p->dir;
		f->sel = p->sel;
	}
}

static bool inflight_match(const struct inflight *a, const struct inflight *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == XFRM_MSG_DELSA)
		return a->proto == b->proto && a->spi == b->spi && a->family == b->family &&
		       xaddr_equal(&a->daddr, &b->daddr, a->family);
	return a->dir == b->dir && sel_equal(&a->sel, &b->sel);
}

static void inflight_add(struct xfrm *x, const struct nlmsghdr *h)
{
	if (x->fl_head && x->fl_head == x->fl_n) {
		x->fl_head = x->fl_n = 0;
	}
	if (x->fl_n == x->fl_cap) {
		size_t cap = x->fl_cap ? x->fl_cap * 2 : 64;
		struct inflight *n;

		if (x->fl_head) { /* compact before growing */
			memmove(x->fl, x->fl + x->fl_head, (x->fl_n - x->fl_head) * sizeof(*n));
			x->fl_n -= x->fl_head;
			x->fl_head = 0;
		}
		if (x->fl_n == x->fl_cap) {
			n = realloc(x->fl, cap * sizeof(*n));
			if (!n)
				return; /* the event will look foreign: the group is
					   not INSTALLED any more by then anyway */
			x->fl = n;
			x->fl_cap = cap;
		}
	}
	inflight_from(&x->fl[x->fl_n++], h);
}

/* True (and forgotten) if @f is a delete we sent ourselves.  Events come in
 * send order, so the oldest entry is checked first. */
static bool inflight_take(struct xfrm *x, const struct inflight *f)
{
	size_t i;

	for (i = x->fl_head; i < x->fl_n; i++) {
		if (!inflight_match(&x->fl[i], f))
			continue;
		if (i == x->fl_head) {
			x->fl_head++;
		} else {
			memmove(x->fl + i, x->fl + i + 1, (x->fl_n - i - 1) * sizeof(*x->fl));
			x->fl_n--;
		}
		return true;
	}
	return false;
}

/* Delete the object described by NEWSA/NEWPOLICY @h; a missing object is
 * not an error.  Return 0 or -errno. */
static int delete_obj(struct xfrm *x, const struct nlmsghdr *h, bool by_index)
{
	struct nl_msg *m = delete_for(h, by_index);
	char reason[200], what[128];
	int ret;

	if (!m)
		return -ENOMEM;
	ret = request(x, m, NULL, NULL, reason, sizeof(reason));
	nlmsg_free(m);
	if (!ret || ret == -ENOENT || ret == -ESRCH)
		shunt_forget(x, h); /* no policy with this key left */
	if (!ret) {
		inflight_add(x, h);
		return 0;
	}
	if (ret == -ENOENT || ret == -ESRCH)
		return 0;
	if (h->nlmsg_type == XFRM_MSG_NEWSA) {
		const struct xfrm_usersa_info *p = sa_info(h);

		describe_state(what, sizeof(what), p->id.proto, p->id.spi, &p->id.daddr, p->family);
	} else {
		const struct xfrm_userpolicy_info *p = sp_info(h);

		describe_policy(what, sizeof(what), p->dir, &p->sel);
	}
	log_err("xfrm: deleting %s failed: %s", what, reason);
	return ret;
}

static void describe_msg(char *buf, size_t len, const struct nlmsghdr *h)
{
	if (h->nlmsg_type == XFRM_MSG_NEWSA) {
		const struct xfrm_usersa_info *p = sa_info(h);

		describe_state(buf, len, p->id.proto, p->id.spi, &p->id.daddr, p->family);
	} else {
		const struct xfrm_userpolicy_info *p = sp_info(h);

		describe_policy(buf, len, p->dir, &p->sel);
	}
}

/* Delete the plan's objects in reverse order, except those marked in @skip
 * (foreign now: no longer recorded as ours).  Return 0 or the first -errno. */
static int remove_plan(struct xfrm *x, const struct xfrm_plan *p, size_t upto, const bool *skip)
{
	int ret = 0, r;
	size_t i;

	for (i = upto; i-- > 0;) {
		if (skip && skip[i]) {
			shunt_forget(x, nlmsg_hdr(p->msg[i]));
			continue;
		}
		r = delete_obj(x, nlmsg_hdr(p->msg[i]), false);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

int xfrm_install_group(struct xfrm *x, const struct sadb_group *g, struct reason *why)
{
	struct xfrm_plan plan;
	char err[256];
	size_t i;
	int ret;

	reason_set(why, "%s", "");
	ret = xfrm_plan_group(g, &plan, err, sizeof(err));
	if (ret) {
		reason_set(why, "%s", err);
		return ret;
	}
	for (i = 0; i < plan.nmsg; i++) {
		const struct nlmsghdr *h = nlmsg_hdr(plan.msg[i]);
		bool shunt = h->nlmsg_type == XFRM_MSG_NEWPOLICY && !policy_ntmpl(h), had = false;
		struct shunt prev;

		/* A template-less policy is ours only when recorded: record it
		 * before it exists, undo that if the kernel refuses it (EEXIST:
		 * the one there is not ours). */
		if (shunt)
			had = shunt_record(x, h, &prev);
		ret = request(x, plan.msg[i], NULL, NULL, err, sizeof(err));
		if (ret) {
			if (shunt)
				shunt_undo(x, h, had ? &prev : NULL);
			break;
		}
	}
	if (ret) {
		reason_set(why, "%s", err);
		/* Only what this call added: an EEXIST object is not ours. */
		remove_plan(x, &plan, i, NULL);
	} else {
		log_debug("xfrm: group %s: %zu objects installed", g->name, plan.nmsg);
	}
	xfrm_plan_free(&plan);
	return ret;
}

int xfrm_remove_group(struct xfrm *x, const struct sadb_group *g)
{
	struct xfrm_plan plan;
	char err[256];
	int ret;

	ret = xfrm_plan_group(g, &plan, err, sizeof(err));
	if (ret == -EINVAL)
		return 0; /* never expressible, so never installed */
	if (ret)
		return ret;
	ret = remove_plan(x, &plan, plan.nmsg, NULL);
	xfrm_plan_free(&plan);
	return ret;
}

/* ------------------------------------------------------------------ */
/* comparing a planned object with a dumped one */

static bool alg_equal(const struct nlmsghdr *a, const struct nlmsghdr *b, int type)
{
	const struct nlattr *x = msg_attr(a, sizeof(struct xfrm_usersa_info), type);
	const struct nlattr *y = msg_attr(b, sizeof(struct xfrm_usersa_info), type);
	const struct xfrm_algo *p, *q;
	size_t hdr, klen;

	if (!x || !y)
		return !x && !y;
	hdr = type == XFRMA_ALG_AUTH_TRUNC ? sizeof(struct xfrm_algo_auth) :
	      type == XFRMA_ALG_AEAD	   ? sizeof(struct xfrm_algo_aead) :
					     sizeof(struct xfrm_algo);
	p = attr_data(x, hdr);
	q = attr_data(y, hdr);
	if (!p || !q)
		return false;
	if (strncmp(p->alg_name, q->alg_name, sizeof(p->alg_name)) || p->alg_key_len != q->alg_key_len)
		return false;
	klen = (p->alg_key_len + 7) / 8;
	if (attr_len(x) < hdr + klen || attr_len(y) < hdr + klen)
		return false;
	if (type == XFRMA_ALG_AUTH_TRUNC &&
	    ((const struct xfrm_algo_auth *)p)->alg_trunc_len !=
		    ((const struct xfrm_algo_auth *)q)->alg_trunc_len)
		return false;
	if (type == XFRMA_ALG_AEAD &&
	    ((const struct xfrm_algo_aead *)p)->alg_icv_len !=
		    ((const struct xfrm_algo_aead *)q)->alg_icv_len)
		return false;
	return !klen || !CRYPTO_memcmp((const uint8_t *)p + hdr, (const uint8_t *)q + hdr, klen);
}

static bool mark_absent(const struct nlmsghdr *h, size_t hdrlen)
{
	const struct nlattr *a = msg_attr(h, hdrlen, XFRMA_MARK);
	const struct xfrm_mark *mk = attr_data(a, sizeof(*mk));
	const uint32_t *ifid = attr_data(msg_attr(h, hdrlen, XFRMA_IF_ID), sizeof(uint32_t));

	return (!mk || (!mk->v && !mk->m)) && (!ifid || !*ifid);
}

/* Effective replay window and whether the bitmap attribute is used. */
static void replay_of(const struct nlmsghdr *h, uint32_t *win, bool *bitmap)
{
	const struct xfrm_usersa_info *p = sa_info(h);
	const struct xfrm_replay_state_esn *r =
		attr_data(msg_attr(h, sizeof(*p), XFRMA_REPLAY_ESN_VAL), sizeof(*r));

	*bitmap = r != NULL;
	*win = r ? r->replay_window : p->replay_window;
}

#define STATE_FLAGS_OURS (XFRM_STATE_AF_UNSPEC | XFRM_STATE_ALIGN4 | XFRM_STATE_ESN | \
			  XFRM_STATE_NOECN | XFRM_STATE_DECAP_DSCP | XFRM_STATE_WILDRECV | \
			  XFRM_STATE_ICMP)

/* Does the kernel's state @k equal planned @p (keys included)? */
static bool state_equal(const struct nlmsghdr *p, const struct nlmsghdr *k)
{
	const struct xfrm_usersa_info *a = sa_info(p), *b = sa_info(k);
	struct xfrm_selector want;
	uint32_t wa, wb;
	bool ba, bb;

	if (!a || !b)
		return false;
	if (a->id.proto != b->id.proto || a->id.spi != b->id.spi || a->family != b->family ||
	    !xaddr_equal(&a->id.daddr, &b->id.daddr, a->family) ||
	    !xaddr_equal(&a->saddr, &b->saddr, a->family) || a->mode != b->mode ||
	    a->reqid != b->reqid ||
	    (a->flags & STATE_FLAGS_OURS) != (b->flags & STATE_FLAGS_OURS))
		return false;
	/* The kernel gives a selector without family the state's family
	 * unless AF_UNSPEC is set (copy_from_user_state()). */
	want = a->sel;
	if (!want.family && !(a->flags & XFRM_STATE_AF_UNSPEC))
		want.family = a->family;
	if (!sel_equal(&want, &b->sel))
		return false;
	if (a->lft.soft_byte_limit != b->lft.soft_byte_limit ||
	    a->lft.hard_byte_limit != b->lft.hard_byte_limit ||
	    a->lft.soft_packet_limit != b->lft.soft_packet_limit ||
	    a->lft.hard_packet_limit != b->lft.hard_packet_limit ||
	    a->lft.soft_add_expires_seconds != b->lft.soft_add_expires_seconds ||
	    a->lft.hard_add_expires_seconds != b->lft.hard_add_expires_seconds ||
	    a->lft.soft_use_expires_seconds != b->lft.soft_use_expires_seconds ||
	    a->lft.hard_use_expires_seconds != b->lft.hard_use_expires_seconds)
		return false;
	replay_of(p, &wa, &ba);
	replay_of(k, &wb, &bb);
	if (wa != wb || (ba && !bb))
		return false;
	return alg_equal(p, k, XFRMA_ALG_CRYPT) && alg_equal(p, k, XFRMA_ALG_AEAD) &&
	       alg_equal(p, k, XFRMA_ALG_AUTH_TRUNC) && alg_equal(p, k, XFRMA_ALG_COMP) &&
	       mark_absent(k, sizeof(*b)) && !msg_attr(k, sizeof(*b), XFRMA_ENCAP);
}

static bool policy_equal(const struct nlmsghdr *p, const struct nlmsghdr *k)
{
	const struct xfrm_userpolicy_info *a = sp_info(p), *b = sp_info(k);
	const struct nlattr *ta, *tb;
	const struct xfrm_userpolicy_type *ty;
	size_t n, i;

	if (!a || !b)
		return false;
	if (!sel_equal(&a->sel, &b->sel) || a->dir != b->dir || a->priority != b->priority ||
	    a->action != b->action || a->flags != b->flags ||
	    a->lft.soft_byte_limit != b->lft.soft_byte_limit ||
	    a->lft.hard_byte_limit != b->lft.hard_byte_limit ||
	    a->lft.soft_packet_limit != b->lft.soft_packet_limit ||
	    a->lft.hard_packet_limit != b->lft.hard_packet_limit ||
	    a->lft.soft_add_expires_seconds != b->lft.soft_add_expires_seconds ||
	    a->lft.hard_add_expires_seconds != b->lft.hard_add_expires_seconds)
		return false;
	ty = attr_data(msg_attr(k, sizeof(*b), XFRMA_POLICY_TYPE), sizeof(*ty));
	if ((ty && ty->type != XFRM_POLICY_TYPE_MAIN) || !mark_absent(k, sizeof(*b)) ||
	    msg_attr(k, sizeof(*b), XFRMA_SEC_CTX))
		return false;
	ta = msg_attr(p, sizeof(*a), XFRMA_TMPL);
	tb = msg_attr(k, sizeof(*b), XFRMA_TMPL);
	if (!ta || !tb)
		return !ta && !tb;
	if (attr_len(ta) != attr_len(tb) || attr_len(ta) % sizeof(struct xfrm_user_tmpl))
		return false;
	n = attr_len(ta) / sizeof(struct xfrm_user_tmpl);
	for (i = 0; i < n; i++) {
		struct xfrm_user_tmpl u, v;

		memcpy(&u, (const uint8_t *)attr_data(ta, 0) + i * sizeof(u), sizeof(u));
		memcpy(&v, (const uint8_t *)attr_data(tb, 0) + i * sizeof(v), sizeof(v));
		if (u.id.proto != v.id.proto || u.id.spi != v.id.spi || u.family != v.family ||
		    !xaddr_equal(&u.id.daddr, &v.id.daddr, u.family) ||
		    !xaddr_equal(&u.saddr, &v.saddr, u.family) || u.reqid != v.reqid ||
		    u.mode != v.mode || u.share != v.share || u.optional != v.optional ||
		    u.aalgos != v.aalgos || u.ealgos != v.ealgos || u.calgos != v.calgos)
			return false;
	}
	return true;
}

static bool same_key(const struct nlmsghdr *p, const struct nlmsghdr *k)
{
	if (p->nlmsg_type != k->nlmsg_type)
		return false;
	if (p->nlmsg_type == XFRM_MSG_NEWSA) {
		const struct xfrm_usersa_info *a = sa_info(p), *b = sa_info(k);

		return a && b && a->id.proto == b->id.proto && a->id.spi == b->id.spi &&
		       a->family == b->family && xaddr_equal(&a->id.daddr, &b->id.daddr, a->family);
	} else {
		const struct xfrm_userpolicy_info *a = sp_info(p), *b = sp_info(k);

		return a && b && a->dir == b->dir && sel_equal(&a->sel, &b->sel);
	}
}

/* ------------------------------------------------------------------ */
/* dumps: our objects in the kernel */

struct kobj {
	struct nlmsghdr *h; /* malloc'ed copy, wiped on free */
	bool ours;
	bool claimed;
};

struct kdump {
	struct xfrm *x; /* kept by kdump_clear() */
	struct kobj *o;
	size_t n, cap;
	size_t *slot;  /* hash index by key: object index + 1, 0 = empty */
	size_t mask;
};

static void kdump_clear(struct kdump *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		OPENSSL_cleanse(d->o[i].h, d->o[i].h->nlmsg_len);
		free(d->o[i].h);
	}
	free(d->o);
	free(d->slot);
	d->o = NULL;
	d->slot = NULL;
	d->n = d->cap = d->mask = 0;
}

/* Hash of the kernel key of a NEWSA / NEWPOLICY (what same_key() compares). */
static uint32_t key_hash(const struct nlmsghdr *h)
{
	uint32_t x = fnv(2166136261u, &h->nlmsg_type, sizeof(h->nlmsg_type));

	if (h->nlmsg_type == XFRM_MSG_NEWSA) {
		const struct xfrm_usersa_info *p = sa_info(h);

		x = fnv(x, &p->id.proto, 1);
		x = fnv(x, &p->id.spi, 4);
		x = fnv(x, &p->id.daddr, fam_len(p->family));
	} else {
		const struct xfrm_userpolicy_info *p = sp_info(h);

		x = fnv(x, &p->dir, 1);
		x = fnv(x, &p->sel.family, sizeof(p->sel.family));
		x = fnv(x, &p->sel.prefixlen_s, 1);
		x = fnv(x, &p->sel.prefixlen_d, 1);
		x = fnv(x, &p->sel.proto, 1);
		x = fnv(x, &p->sel.sport, 2);
		x = fnv(x, &p->sel.dport, 2);
		x = fnv(x, &p->sel.saddr, fam_len(p->sel.family));
		x = fnv(x, &p->sel.daddr, fam_len(p->sel.family));
	}
	return x;
}

static int kdump_index(struct kdump *d)
{
	size_t size = 16, i, k;

	while (size < 2 * d->n)
		size *= 2;
	free(d->slot);
	d->slot = calloc(size, sizeof(*d->slot));
	if (!d->slot)
		return -ENOMEM;
	d->mask = size - 1;
	for (i = 0; i < d->n; i++) {
		for (k = key_hash(d->o[i].h) & d->mask; d->slot[k]; k = (k + 1) & d->mask)
			;
		d->slot[k] = i + 1;
	}
	return 0;
}

static void kdump_restart(void *arg)
{
	kdump_clear(arg);
}

/* Ours: in our priority band, and either every template has a reqid of
 * our band, or there is no template and the shunt record holds it. */
static bool policy_ours(struct xfrm *x, const struct nlmsghdr *h)
{
	const struct xfrm_userpolicy_info *p = sp_info(h);
	const struct nlattr *t;
	size_t i, n;

	if (!p || p->dir >= XFRM_POLICY_MAX || !prio_ours(p->priority))
		return false;
	n = policy_ntmpl(h);
	if (!n)
		return shunt_recorded(x, h);
	t = msg_attr(h, sizeof(*p), XFRMA_TMPL);
	for (i = 0; i < n; i++) {
		struct xfrm_user_tmpl u;

		memcpy(&u, (const uint8_t *)attr_data(t, 0) + i * sizeof(u), sizeof(u));
		if (!reqid_ours(u.reqid))
			return false;
	}
	return true;
}

static bool state_ours(const struct nlmsghdr *h)
{
	const struct xfrm_usersa_info *p = sa_info(h);

	if (!p || !reqid_ours(p->reqid) || !p->id.spi)
		return false; /* foreign, kernel IPIP (reqid 0) or larval ACQ */
	if (p->id.proto != IPPROTO_ESP && p->id.proto != IPPROTO_AH && p->id.proto != IPPROTO_COMP)
		return false;
	/* larval (ALLOCSPI) states have no algorithm */
	return msg_attr(h, sizeof(*p), XFRMA_ALG_CRYPT) || msg_attr(h, sizeof(*p), XFRMA_ALG_AEAD) ||
	       msg_attr(h, sizeof(*p), XFRMA_ALG_AUTH_TRUNC) ||
	       msg_attr(h, sizeof(*p), XFRMA_ALG_AUTH) || msg_attr(h, sizeof(*p), XFRMA_ALG_COMP);
}

/* Keep a copy of every dumped object (ours flagged). */
static int kdump_add(const struct nlmsghdr *h, void *arg)
{
	struct kdump *d = arg;
	struct nlmsghdr *c;

	if (h->nlmsg_type != XFRM_MSG_NEWSA && h->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct kobj *o = realloc(d->o, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		d->o = o;
		d->cap = cap;
	}
	/* @h sits in the receive buffer, maybe misaligned: look at the copy */
	c = msg_copy(h);
	if (!c)
		return -ENOMEM;
	if (c->nlmsg_type == XFRM_MSG_NEWSA ? !sa_info(c) : !sp_info(c)) {
		msg_free(c);
		return 0;
	}
	d->o[d->n].h = c;
	d->o[d->n].ours = c->nlmsg_type == XFRM_MSG_NEWSA ? state_ours(c) : policy_ours(d->x, c);
	d->o[d->n].claimed = false;
	d->n++;
	return 0;
}

static int dump_all(struct xfrm *x, struct kdump *d)
{
	struct kdump sp = { .x = x };
	size_t i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->x = x;
	ret = dump(x, XFRM_MSG_GETSA, kdump_add, d, kdump_restart);
	if (!ret)
		ret = dump(x, XFRM_MSG_GETPOLICY, kdump_add, &sp, kdump_restart);
	if (!ret && sp.n) {
		struct kobj *o = realloc(d->o, (d->n + sp.n) * sizeof(*o));

		if (!o) {
			ret = -ENOMEM;
		} else {
			d->o = o;
			for (i = 0; i < sp.n; i++)
				d->o[d->n++] = sp.o[i];
			d->cap = d->n;
			free(sp.o);
			memset(&sp, 0, sizeof(sp));
		}
	}
	kdump_clear(&sp);
	if (!ret)
		ret = kdump_index(d);
	if (ret)
		kdump_clear(d);
	return ret;
}

static bool obj_equal(const struct nlmsghdr *p, const struct nlmsghdr *k);

/* A dumped object with @want's key: with @equal the first unclaimed one of
 * ours that equals @want, else the first with the key at all.  NULL if none. */
static struct kobj *kdump_find(struct kdump *d, const struct nlmsghdr *want, bool equal)
{
	size_t k;

	for (k = key_hash(want) & d->mask; d->slot[k]; k = (k + 1) & d->mask) {
		struct kobj *o = &d->o[d->slot[k] - 1];

		if (!same_key(want, o->h))
			continue;
		if (!equal)
			return o;
		if (o->ours && !o->claimed && obj_equal(want, o->h))
			return o;
	}
	return NULL;
}

static bool obj_equal(const struct nlmsghdr *p, const struct nlmsghdr *k)
{
	return p->nlmsg_type == XFRM_MSG_NEWSA ? state_equal(p, k) : policy_equal(p, k);
}

/* Start-up: the record keeps only entries the kernel holds as recorded
 * (the others were deleted, or replaced by someone else); template-less
 * policies in our band that are not recorded are someone else's. */
static void shunt_reconcile(struct xfrm *x, struct kdump *d)
{
	struct shunt_rec *r = &x->sr;
	size_t i, dropped = 0;

	for (i = 0; i < r->nbucket; i++) {
		struct shunt *e;

		for (e = r->bucket[i]; e; e = e->next)
			e->seen = false;
	}
	for (i = 0; i < d->n; i++) {
		const struct nlmsghdr *h = d->o[i].h;
		const struct xfrm_userpolicy_info *p;
		struct shunt s, **pp;
		char what[128];

		if (h->nlmsg_type != XFRM_MSG_NEWPOLICY || policy_ntmpl(h))
			continue;
		p = sp_info(h);
		if (!p || !prio_ours(p->priority) || p->dir >= XFRM_POLICY_MAX)
			continue;
		if (d->o[i].ours) {
			shunt_of(h, &s);
			pp = shunt_link(r, &s);
			if (pp)
				(*pp)->seen = true;
			continue;
		}
		describe_policy(what, sizeof(what), p->dir, &p->sel);
		log_debug("xfrm: leaving %s (priority %u, no template) alone: in our priority band "
			  "but not recorded as ours", what, p->priority);
	}
	for (i = 0; i < r->nbucket; i++) {
		struct shunt **pp = &r->bucket[i];

		while (*pp) {
			struct shunt *e = *pp;

			if (e->seen) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			r->n--;
			dropped++;
		}
	}
	if (dropped)
		log_debug("xfrm: %zu recorded shunt polic%s no longer in the kernel", dropped,
			  dropped == 1 ? "y" : "ies");
}

int xfrm_adopt(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o)
{
	struct kdump d;
	size_t gi, i, adopted = 0, stale = 0;
	int ret, r;

	ret = dump_all(x, &d);
	if (ret)
		return ret;
	shunt_reconcile(x, &d);
	for (gi = 0; gi < db->ngroup; gi++) {
		const struct sadb_group *g = db->group[gi];
		struct xfrm_plan plan;
		struct kobj **hit;
		char err[256];
		bool ok = true;

		if (!o->wants_kernel(o->arg, g) || o->installed(o->arg, g))
			continue;
		if (xfrm_plan_group(g, &plan, err, sizeof(err)))
			continue;
		if (!plan.nmsg) {
			xfrm_plan_free(&plan);
			continue;
		}
		hit = calloc(plan.nmsg, sizeof(*hit));
		if (!hit) {
			xfrm_plan_free(&plan);
			kdump_clear(&d);
			return -ENOMEM;
		}
		for (i = 0; i < plan.nmsg && ok; i++) {
			hit[i] = kdump_find(&d, nlmsg_hdr(plan.msg[i]), true);
			ok = hit[i] != NULL;
		}
		if (ok) {
			for (i = 0; i < plan.nmsg; i++)
				hit[i]->claimed = true;
			o->adopted(o->arg, g);
			adopted++;
		}
		free(hit);
		xfrm_plan_free(&plan);
	}
	/* Everything else in our band is stale: policies first, then states. */
	for (i = 0; i < d.n; i++) {
		if (!d.o[i].ours || d.o[i].claimed || d.o[i].h->nlmsg_type != XFRM_MSG_NEWPOLICY)
			continue;
		r = delete_obj(x, d.o[i].h, true);
		if (r && !ret)
			ret = r;
		stale++;
	}
	for (i = 0; i < d.n; i++) {
		if (!d.o[i].ours || d.o[i].claimed || d.o[i].h->nlmsg_type != XFRM_MSG_NEWSA)
			continue;
		r = delete_obj(x, d.o[i].h, false);
		if (r && !ret)
			ret = r;
		stale++;
	}
	if (stale)
		log_info("xfrm: removed %zu stale objects of ours", stale);
	kdump_clear(&d);
	shunt_rewrite(x); /* compact: what is recorded now is in the kernel */
	return ret ? ret : (int)adopted;
}

/* ------------------------------------------------------------------ */
/* events */

struct evctx {
	struct xfrm *x;
	const struct sadb *db;
	const struct xfrm_owner *o;
	int changed;
	bool resync;
};

/* The INSTALLED kernel group that planned an object with @h's key, its plan
 * and the index of the object in it.  Caller frees the plan. */
static const struct sadb_group *group_of(struct evctx *c, const struct nlmsghdr *h,
					 struct xfrm_plan *plan, size_t *idx)
{
	const struct sadb *db = c->db;
	size_t gi, i;

	for (gi = 0; gi < db->ngroup; gi++) {
		const struct sadb_group *g = db->group[gi];
		char err[64];

		if (!c->o->installed(c->o->arg, g))
			continue;
		if (h->nlmsg_type == XFRM_MSG_NEWSA) {
			/* cheap pre-check on the SAID before building a plan */
			const struct xfrm_usersa_info *p = sa_info(h);
			unsigned j;
			bool any = false;

			for (j = 0; j < g->nsa && !any; j++) {
				const struct said *s = &g->sa[j]->cfg->said;

				any = s->proto == p->id.proto && s->spi == ntohl(p->id.spi) &&
				      s->dst.family == p->family &&
				      !memcmp(s->dst.b, &p->id.daddr, fam_len(p->family));
			}
			if (!any)
				continue;
		} else if (g->implicit) {
			continue;
		}
		if (xfrm_plan_group(g, plan, err, sizeof(err)))
			continue;
		for (i = 0; i < plan->nmsg; i++) {
			if (same_key(nlmsg_hdr(plan->msg[i]), h)) {
				*idx = i;
				return g;
			}
		}
		xfrm_plan_free(plan);
	}
	return NULL;
}

/* @g lost an object behind our back: remove the rest (except @skip, an
 * object that belongs to someone else now) and mark it LOST. */
static void lose_group(struct evctx *c, const struct sadb_group *g, struct xfrm_plan *plan,
		       const bool *skip, const char *reason)
{
	struct reason why;

	remove_plan(c->x, plan, plan->nmsg, skip);
	reason_set(&why, "%s", reason);
	c->o->lost(c->o->arg, g, &why);
	c->changed++;
}

/* A state or policy with key @h disappeared (or changed to @h) without us. */
static void object_event(struct evctx *c, const struct nlmsghdr *h, const char *what_happened,
			 bool replaced)
{
	struct xfrm_plan plan;
	const struct sadb_group *g;
	struct inflight f;
	size_t idx;
	char what[128], reason[256];

	if (!replaced) {
		inflight_from(&f, h);
		if (inflight_take(c->x, &f))
			return;
		/* gone from the kernel: nothing of ours with this key */
		shunt_forget(c->x, h);
	} else if (h->nlmsg_type == XFRM_MSG_NEWPOLICY && !shunt_recorded(c->x, h)) {
		/* someone else's now (unless it is exactly what we recorded) */
		shunt_forget(c->x, h);
	}
	g = group_of(c, h, &plan, &idx);
	if (!g)
		return;
	if (replaced && obj_equal(nlmsg_hdr(plan.msg[idx]), h)) {
		xfrm_plan_free(&plan);
		return;
	}
	describe_msg(what, sizeof(what), h);
	set_text(reason, sizeof(reason), "%s%s %s", h->nlmsg_type == XFRM_MSG_NEWSA ? "state " : "",
		 what, what_happened);
	if (replaced) {
		bool *skip = calloc(plan.nmsg, sizeof(*skip));
		bool foreign = h->nlmsg_type == XFRM_MSG_NEWSA ? !state_ours(h) : !policy_ours(c->x, h);

		if (skip)
			skip[idx] = foreign;
		lose_group(c, g, &plan, skip, reason);
		free(skip);
	} else {
		lose_group(c, g, &plan, NULL, reason);
	}
	xfrm_plan_free(&plan);
}

/* A fake NEWSA / NEWPOLICY header around a kernel object, so that events
 * and dumps share one key comparison. */
struct fake_sa {
	struct nlmsghdr h;
	struct xfrm_usersa_info p;
};
struct fake_sp {
	struct nlmsghdr h;
	struct xfrm_userpolicy_info p;
};

/* Events sit in the receive buffer, 4-byte aligned only: every payload is
 * memcpy'd into a local struct or the message copied before it is read. */
static void handle_event(struct evctx *c, const struct nlmsghdr *h)
{
	switch (h->nlmsg_type) {
	case XFRM_MSG_DELSA: {
		struct xfrm_usersa_id id;
		struct fake_sa f;

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(id)))
			return;
		memcpy(&id, NLMSG_DATA(h), sizeof(id));
		memset(&f, 0, sizeof(f));
		f.h.nlmsg_len = sizeof(f);
		f.h.nlmsg_type = XFRM_MSG_NEWSA;
		f.p.id.daddr = id.daddr;
		f.p.id.spi = id.spi;
		f.p.id.proto = id.proto;
		f.p.family = id.family;
		object_event(c, &f.h, "deleted behind our back", false);
		break;
	}
	case XFRM_MSG_EXPIRE: {
		struct xfrm_user_expire e;
		struct fake_sa f;
		struct xfrm_plan plan;
		const struct sadb_group *g;
		char what[128], reason[200];
		size_t idx;

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
			return;
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
		if (!e.hard)
			return;
		memset(&f, 0, sizeof(f));
		f.h.nlmsg_len = sizeof(f);
		f.h.nlmsg_type = XFRM_MSG_NEWSA;
		f.p = e.state;
		/* not one of our deletes: no in-flight check */
		g = group_of(c, &f.h, &plan, &idx);
		if (!g)
			return;
		describe_msg(what, sizeof(what), &f.h);
		set_text(reason, sizeof(reason), "state %s hard-expired", what);
		lose_group(c, g, &plan, NULL, reason);
		xfrm_plan_free(&plan);
		break;
	}
	case XFRM_MSG_DELPOLICY: {
		/* Rebuilt as a NEWPOLICY: the policy nested in XFRMA_POLICY as
		 * the header (the id's selector is empty for a delete by index)
		 * with the id's direction, then the event's attributes
		 * (templates, mark). */
		const size_t aoff = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_userpolicy_id));
		const size_t hl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_userpolicy_info));
		struct xfrm_userpolicy_id id;
		struct xfrm_userpolicy_info p;
		const void *pd;
		struct nlmsghdr *n;
		size_t alen;

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(id)))
			return;
		memcpy(&id, NLMSG_DATA(h), sizeof(id));
		pd = attr_data(msg_attr(h, sizeof(id), XFRMA_POLICY), sizeof(p));
		if (!pd)
			return;
		memcpy(&p, pd, sizeof(p));
		if (!prio_ours(p.priority))
			return;
		p.dir = id.dir;
		alen = h->nlmsg_len > aoff ? h->nlmsg_len - aoff : 0;
		n = calloc(1, hl + alen);
		if (!n) {
			c->resync = true;
			return;
		}
		n->nlmsg_len = (uint32_t)(hl + alen);
		n->nlmsg_type = XFRM_MSG_NEWPOLICY;
		memcpy(NLMSG_DATA(n), &p, sizeof(p));
		memcpy((uint8_t *)n + hl, (const uint8_t *)h + aoff, alen);
		object_event(c, n, "deleted behind our back", false);
		msg_free(n);
		break;
	}
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_UPDSA: {
		/* Someone replaced an object with our key (charon retries EEXIST
		 * with UPDPOLICY).  The payload is a full NEWSA / NEWPOLICY. */
		size_t need = h->nlmsg_type == XFRM_MSG_UPDSA ? sizeof(struct xfrm_usersa_info)
							      : sizeof(struct xfrm_userpolicy_info);
		struct nlmsghdr *n;

		if (h->nlmsg_len < NLMSG_LENGTH(need))
			return;
		n = msg_copy(h);
		if (!n) {
			c->resync = true;
			return;
		}
		n->nlmsg_type = h->nlmsg_type == XFRM_MSG_UPDSA ? XFRM_MSG_NEWSA : XFRM_MSG_NEWPOLICY;
		object_event(c, n, "replaced behind our back", true);
		msg_free(n);
		break;
	}
	case XFRM_MSG_FLUSHSA:
	case XFRM_MSG_FLUSHPOLICY:
		c->resync = true;
		break;
	default:
		break;
	}
}

/* After lost events or a flush: check every INSTALLED group against a fresh
 * dump; a group missing an object (or holding a changed one) is LOST. */
static int resync(struct evctx *c)
{
	struct kdump d;
	size_t gi, i;
	int ret;

	/* Every pending event was read before: what we still expect is lost. */
	c->x->fl_head = c->x->fl_n = 0;
	ret = dump_all(c->x, &d);
	if (ret)
		return ret;
	for (gi = 0; gi < c->db->ngroup; gi++) {
		const struct sadb_group *g = c->db->group[gi];
		struct xfrm_plan plan;
		char err[64], what[128], reason[256];
		bool *skip;
		bool bad = false;

		if (!c->o->installed(c->o->arg, g))
			continue;
		if (xfrm_plan_group(g, &plan, err, sizeof(err)))
			continue;
		skip = calloc(plan.nmsg ? plan.nmsg : 1, sizeof(*skip));
		if (!skip) {
			xfrm_plan_free(&plan);
			kdump_clear(&d);
			return -ENOMEM;
		}
		for (i = 0; i < plan.nmsg; i++) {
			const struct nlmsghdr *p = nlmsg_hdr(plan.msg[i]);
			struct kobj *o = kdump_find(&d, p, true);

			if (o) {
				o->claimed = true;
				continue;
			}
			o = kdump_find(&d, p, false);
			if (o && !o->ours)
				skip[i] = true;
			if (!bad) {
				describe_msg(what, sizeof(what), p);
				set_text(reason, sizeof(reason), "%s%s %s",
					 p->nlmsg_type == XFRM_MSG_NEWSA ? "state " : "", what,
					 o ? "replaced behind our back" : "gone (flushed or deleted)");
			}
			bad = true;
		}
		if (bad)
			lose_group(c, g, &plan, skip, reason);
		free(skip);
		xfrm_plan_free(&plan);
	}
	kdump_clear(&d);
	return 0;
}

int xfrm_process_events(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o)
{
	struct evctx c = { .x = x, .db = db, .o = o };
	int fd = nl_socket_get_fd(x->ev), ret;

	for (;;) {
		ssize_t n = recv(fd, x->buf, XFRM_RECV_BUF, MSG_DONTWAIT | MSG_TRUNC);
		struct nlmsghdr *h;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* The kernel dropped events: the only safe answer
				 * is a full comparison. */
				log_warn("xfrm: event socket overrun, resynchronising");
				c.resync = true;
				continue;
			}
			return -errno;
		}
		if ((size_t)n > XFRM_RECV_BUF) {
			c.resync = true;
			n = XFRM_RECV_BUF;
		}
		left = (size_t)n;
		for (h = (struct nlmsghdr *)x->buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
			handle_event(&c, h);
		OPENSSL_cleanse(x->buf, (size_t)n);
	}
	if (c.resync) {
		ret = resync(&c);
		if (ret)
			return ret;
	}
	return c.changed;
}

/* ------------------------------------------------------------------ */
/* counters */

static int counters_cb(const struct nlmsghdr *h, void *arg)
{
	struct sa_counters *ctr = arg;
	struct xfrm_usersa_info p;

	/* in the receive buffer: copy the header out (alignment) */
	if (h->nlmsg_type != XFRM_MSG_NEWSA || h->nlmsg_len < NLMSG_LENGTH(sizeof(p)))
		return 0;
	memcpy(&p, NLMSG_DATA(h), sizeof(p));
	ctr->bytes = p.curlft.bytes;
	ctr->packets = p.curlft.packets;
	ctr->add_time = p.curlft.add_time;
	ctr->replay_window_errs = p.stats.replay_window;
	ctr->replay_errs = p.stats.replay;
	ctr->integrity_errs = p.stats.integrity_failed;
	return 0;
}

int xfrm_read_counters(struct xfrm *x, const struct sadb_group *g, struct sa_counters *ctr)
{
	unsigned i;
	int ret = 0;

	for (i = 0; i < g->nsa; i++) {
		const struct sadb_sa *sa = g->sa[i];
		const struct said *s = &sa->cfg->said;
		struct xfrm_usersa_id id;
		struct nl_msg *m;
		char reason[200];
		int r;

		if (s->proto == SAID_PROTO_TUN)
			continue;
		memset(&id, 0, sizeof(id));
		xaddr_from_ip(&id.daddr, &s->dst);
		id.spi = htonl(s->spi);
		id.family = s->dst.family;
		id.proto = s->proto;
		m = nlmsg_alloc_simple(XFRM_MSG_GETSA, 0);
		if (!m || nlmsg_append(m, &id, sizeof(id), NLMSG_ALIGNTO) < 0) {
			nlmsg_free(m);
			return -ENOMEM;
		}
		r = request(x, m, counters_cb, &ctr[i], reason, sizeof(reason));
		nlmsg_free(m);
		if (r && !ret)
			ret = r;
		/* a tun SA is the tunnel mode of the SA after it */
		if (!r && i > 0 && g->sa[i - 1]->cfg->said.proto == SAID_PROTO_TUN)
			ctr[i - 1] = ctr[i];
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* capability probe in a throw-away network namespace */

struct probe_job {
	const struct nlmsghdr **req;
	size_t n;
	int *err;               /* per request: 0 or -errno */
	char (*text)[160];
	int setup_err;
	char setup_text[160];
};

static void *probe_thread(void *arg)
{
	struct probe_job *j = arg;
	int fd, one = 1;
	uint8_t *buf;
	size_t i;

	/* unshare() moves only this thread into the new namespace; the
	 * namespace dies with the thread and the socket. */
	if (unshare(CLONE_NEWNET) < 0) {
		j->setup_err = -errno;
		set_text(j->setup_text, sizeof(j->setup_text),
			 "cannot create a probe network namespace: %s", strerror(errno));
		return NULL;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
	if (fd < 0) {
		j->setup_err = -errno;
		set_text(j->setup_text, sizeof(j->setup_text), "no XFRM netlink: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	buf = malloc(XFRM_RECV_BUF);
	if (!buf) {
		close(fd);
		j->setup_err = -ENOMEM;
		set_text(j->setup_text, sizeof(j->setup_text), "out of memory");
		return NULL;
	}
	for (i = 0; i < j->n; i++) {
		size_t len = j->req[i]->nlmsg_len;
		struct nlmsghdr *h = malloc(len);

		if (!h) {
			j->err[i] = -ENOMEM;
			continue;
		}
		memcpy(h, j->req[i], len);
		h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
		h->nlmsg_seq = (uint32_t)i + 1;
		h->nlmsg_pid = 0;
		if (send(fd, h, len, 0) < 0) {
			j->err[i] = -errno;
			set_text(j->text[i], sizeof(j->text[i]), "netlink send: %s", strerror(errno));
		} else {
			j->err[i] = read_replies(fd, buf, h->nlmsg_seq, NULL, NULL, j->text[i],
						 sizeof(j->text[i]));
		}
		OPENSSL_cleanse(h, len);
		free(h);
	}
	OPENSSL_cleanse(buf, XFRM_RECV_BUF);
	free(buf);
	close(fd);
	return NULL;
}

/* What the kernel needs to support for a state: protocol, mode, family,
 * flags, replay kind and algorithms (names and key/ICV lengths). */
static char *probe_key(const struct nlmsghdr *h)
{
	static const int algs[] = { XFRMA_ALG_CRYPT, XFRMA_ALG_AEAD, XFRMA_ALG_AUTH_TRUNC,
				    XFRMA_ALG_COMP };
	const struct xfrm_usersa_info *p = sa_info(h);
	char buf[512];
	size_t off;
	unsigned i;
	uint32_t w;
	bool bitmap;

	replay_of(h, &w, &bitmap);
	off = (size_t)snprintf(buf, sizeof(buf), "%u/%u/%u/%x/%s", p->id.proto, p->mode, p->family,
			       p->flags, bitmap ? "bmp" : "legacy");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]) && off < sizeof(buf); i++) {
		const struct nlattr *a = msg_attr(h, sizeof(*p), algs[i]);
		const struct xfrm_algo_auth *al = attr_data(a, sizeof(struct xfrm_algo_auth));
		const struct xfrm_algo *ag = attr_data(a, sizeof(struct xfrm_algo));

		if (!ag)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "/%d:%.64s:%u:%u", algs[i],
					ag->alg_name, ag->alg_key_len,
					al && algs[i] != XFRMA_ALG_CRYPT && algs[i] != XFRMA_ALG_COMP ?
						al->alg_trunc_len : 0);
	}
	return strdup(buf);
}

static struct probe_entry *probe_cached(struct xfrm *x, const char *key)
{
	size_t i;

	for (i = 0; i < x->npc; i++)
		if (!strcmp(x->pc[i].key, key))
			return &x->pc[i];
	return NULL;
}

static int probe_group(struct xfrm *x, const struct sadb_group *g, char *reason, size_t len);

int xfrm_probe_group(struct xfrm *x, const struct sadb_group *g, struct reason *why)
{
	char text[REASON_LEN] = "";
	int r = probe_group(x, g, text, sizeof(text));

	reason_set(why, "%s", text);
	return r;
}

static int probe_group(struct xfrm *x, const struct sadb_group *g, char *reason, size_t len)
{
	struct xfrm_plan plan;
	struct probe_job j;
	const struct nlmsghdr **req = NULL;
	char **keys = NULL;
	size_t *map = NULL, i, n = 0;
	pthread_t th;
	char err[256];
	int ret;

	set_text(reason, len, "%s", "");
	ret = xfrm_plan_group(g, &plan, err, sizeof(err));
	if (ret) {
		set_text(reason, len, "%s", err);
		return ret;
	}
	memset(&j, 0, sizeof(j));
	req = calloc(plan.nmsg + 1, sizeof(*req));
	keys = calloc(plan.nmsg + 1, sizeof(*keys));
	map = calloc(plan.nmsg + 1, sizeof(*map));
	j.err = calloc(plan.nmsg + 1, sizeof(*j.err));
	j.text = calloc(plan.nmsg + 1, sizeof(*j.text));
	if (!req || !keys || !map || !j.err || !j.text) {
		ret = -ENOMEM;
		set_text(reason, len, "out of memory");
		goto out;
	}
	/* Cached shapes answer at once; the rest go to one probe thread. */
	for (i = 0; i < plan.nmsg; i++) {
		const struct nlmsghdr *h = nlmsg_hdr(plan.msg[i]);
		struct probe_entry *pe;

		if (h->nlmsg_type != XFRM_MSG_NEWSA)
			continue;
		keys[i] = probe_key(h);
		if (!keys[i]) {
			ret = -ENOMEM;
			goto out;
		}
		pe = x ? probe_cached(x, keys[i]) : NULL;
		if (pe) {
			if (pe->err && !ret) {
				ret = pe->err;
				set_text(reason, len, "%s", pe->text);
			}
			continue;
		}
		map[n] = i;
		req[n++] = h;
	}
	if (ret || !n)
		goto out;
	j.req = req;
	j.n = n;
	if (pthread_create(&th, NULL, probe_thread, &j)) {
		ret = -EAGAIN;
		set_text(reason, len, "cannot start the probe thread");
		goto out;
	}
	pthread_join(th, NULL);
	if (j.setup_err) {
		ret = j.setup_err;
		set_text(reason, len, "%s", j.setup_text);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (j.err[i] && !ret) {
			ret = j.err[i];
			set_text(reason, len, "%s", j.text[i]);
		}
		if (x) {
			struct probe_entry *pc = realloc(x->pc, (x->npc + 1) * sizeof(*pc));

			if (pc) {
				x->pc = pc;
				pc[x->npc].key = keys[map[i]];
				keys[map[i]] = NULL;
				pc[x->npc].err = j.err[i];
				snprintf(pc[x->npc].text, sizeof(pc[x->npc].text), "%s", j.text[i]);
				x->npc++;
			}
		}
	}
out:
	if (keys)
		for (i = 0; i < plan.nmsg; i++)
			free(keys[i]);
	free(keys);
	free(map);
	free(req);
	free(j.err);
	free(j.text);
	xfrm_plan_free(&plan);
	return ret;
}
