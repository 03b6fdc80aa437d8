/* xfrm.c: groups in the kernel's XFRM tables: install, remove, adopt,
 * events, counters, probe (xfrm.h).
 *
 * Every request is built by xfrm_plan.c / xfrm_msg.c and sent by nlsock.c;
 * every reply and event is parsed by xfrm_msg.c.  Our requests carry our
 * port id, which the kernel copies into the events they cause: the event
 * socket's filter drops those (so 10,000 groups installed cost no event
 * and no overrun).  Every other event feeds the mirror (mirror.h), which
 * keeps the foreign objects only.  We never flush and never send
 * UPDSA/UPDPOLICY.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/filter.h>

#include <openssl/crypto.h>

#include "hash.h"
#include "kderive.h"
#include "log.h"
#include "mirror.h"
#include "nlsock.h"
#include "probe.h"
#include "shuntrec.h"
#include "xfrm.h"
#include "xfrm_own.h"

#define XFRM_EVENT_RCVBUF (8 << 20) /* event socket receive buffer, bytes */
#define XFRM_TEST_RCVBUF_ENV "SPIGRPD_TEST_EVENT_RCVBUF" /* tests only: spigrpd(8) */

struct xfrm {
	struct nlsock *req;   /* requests, ACKs, dumps */
	struct nlsock *ev;    /* multicast events only */
	struct probe *probe;
	struct shuntrec *sr;
	struct kmirror *mirror; /* every state and policy of the namespace */
	bool mirror_short;    /* the mirror missed an object (memory, limit) */
	struct log_limit acq_limit;
	struct log_limit short_limit;
};

/* ------------------------------------------------------------------ */
/* opening */

/* The event socket's filter: drop the events our own requests caused
 * (their nlmsg_pid is @port, xfrm_user.c's km_event.portid); of the
 * replay/lifetime notices (NEWAE), drop those of our own states (reqid in
 * our band: their counters are read on demand) and the ones traffic
 * causes (XFRM_AE_CR: every net.core.xfrm_aevent_rseqth packets, 2 by
 * default: a flood under load), keeping the timer's (XFRM_AE_CE, at most
 * one per SA per net.core.xfrm_aevent_etime); let everything else through.
 * Offsets are of struct nlmsghdr (nlmsg_type at 4, nlmsg_pid at 12) and of
 * struct xfrm_aevent_id (flags at 40, reqid at 44 of the payload).  BPF
 * loads words and bytes in network order: the pid is compared as
 * ntohl(@port), the rest byte by byte.  Events from the kernel itself
 * (expiries) carry pid 0. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TYPE_LOW_BYTE 4
#define AE_FLAGS_LOW (NLMSG_HDRLEN + 40)       /* bits 7..0 of the flags */
#define REQID_TOP (NLMSG_HDRLEN + 44 + 3)      /* bits 31..24 of the reqid */
#define REQID_NEXT (NLMSG_HDRLEN + 44 + 2)     /* bits 23..16 */
#else
#define TYPE_LOW_BYTE 5
#define AE_FLAGS_LOW (NLMSG_HDRLEN + 43)
#define REQID_TOP (NLMSG_HDRLEN + 44)
#define REQID_NEXT (NLMSG_HDRLEN + 45)
#endif
_Static_assert(XFRM_OWN_REQID_BASE == 0x53400000u && XFRM_OWN_REQID_COUNT == 0x100000u,
	       "the event filter tests the reqid band as 0x534xxxxx");

int xfrm_event_filter(int fd, uint32_t port)
{
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(port), 10, 0), /* ours: 12 */
		/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TYPE_LOW_BYTE),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_MSG_NEWAE, 0, 7), /* else 11 */
		/* 4 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, AE_FLAGS_LOW),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, XFRM_AE_CR, 6, 0), /* traffic: 12 */
		/* 6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, REQID_TOP),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XFRM_OWN_REQID_BASE >> 24, 0, 3),
		/* 8 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, REQID_NEXT),
		/* 9 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (XFRM_OWN_REQID_BASE >> 16) & 0xf0, 1, 0),
		/* 11 */ BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
		/* 12 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}
#undef TYPE_LOW_BYTE
#undef AE_FLAGS_LOW
#undef REQID_TOP
#undef REQID_NEXT

static bool policy_ours(const struct xfrm *x, const struct xm_policy *p);

/* The mirror keeps foreign objects (ours come from the model). */
static bool mirror_keeps_state(void *arg, const struct xm_state *s)
{
	(void)arg;
	return !xfrm_own_reqid(s->reqid);
}

static bool mirror_keeps_policy(void *arg, const struct xm_policy *p)
{
	return !policy_ours(arg, p);
}

int xfrm_open_backend(struct xfrm **out, const struct xfrm_backend *b)
{
	struct xfrm *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x) {
		nlsock_close(b->req);
		nlsock_close(b->ev);
		return -ENOMEM;
	}
	x->req = b->req;
	x->ev = b->ev;
	x->acq_limit = (struct log_limit)LOG_LIMIT_INIT("xfrm: acquire", 10000, 5);
	x->short_limit = (struct log_limit)LOG_LIMIT_INIT("xfrm: mirror", 60000, 1);
	x->mirror = kmirror_new();
	if (!x->mirror || probe_new(&x->probe, b->probe_open, b->probe_arg) ||
	    shuntrec_new(&x->sr)) {
		xfrm_close(x);
		return -ENOMEM;
	}
	kmirror_set_filter(x->mirror, mirror_keeps_state, mirror_keeps_policy, x);
	*out = x;
	return 0;
}

int xfrm_open(struct xfrm **out)
{
	static const unsigned groups[] = { XFRMNLGRP_SA, XFRMNLGRP_POLICY, XFRMNLGRP_EXPIRE,
					   XFRMNLGRP_ACQUIRE, XFRMNLGRP_AEVENTS };
	struct xfrm_backend b = { NULL, NULL, NULL, NULL };
	const char *test_rcvbuf = getenv(XFRM_TEST_RCVBUF_ENV);
	int ret, rcvbuf = XFRM_EVENT_RCVBUF;

	*out = NULL;
	ret = nlsock_open(&b.req, NETLINK_XFRM, NULL, 0);
	if (!ret)
		ret = nlsock_open(&b.ev, NETLINK_XFRM, groups, sizeof(groups) / sizeof(groups[0]));
	if (!ret)
		ret = xfrm_event_filter(nlsock_fd(b.ev), nlsock_port(b.req));
	if (ret) {
		nlsock_close(b.req);
		nlsock_close(b.ev);
		return ret;
	}
	if (test_rcvbuf && atoi(test_rcvbuf) > 0) {
		rcvbuf = atoi(test_rcvbuf);
		log_warn("xfrm: %s=%d: the event socket's buffer is shrunk (for tests only)",
			 XFRM_TEST_RCVBUF_ENV, rcvbuf);
	}
	nlsock_set_rcvbuf(b.ev, rcvbuf); /* else what rmem_max allows */
	return xfrm_open_backend(out, &b);
}

void xfrm_close(struct xfrm *x)
{
	if (!x)
		return;
	nlsock_close(x->req);
	nlsock_close(x->ev);
	probe_free(x->probe);
	shuntrec_free(x->sr);
	kmirror_free(x->mirror);
	free(x);
}

void xfrm_set_state_dir(struct xfrm *x, const char *dir)
{
	shuntrec_set_dir(x->sr, dir);
}

int xfrm_event_fd(struct xfrm *x)
{
	return nlsock_fd(x->ev);
}

unsigned long xfrm_requests_sent(const struct xfrm *x)
{
	return nlsock_requests(x->req);
}

/* ------------------------------------------------------------------ */
/* the mirror */

/* A put or delete of the mirror failed: it no longer holds everything
 * (until the next dump that fits). */
static void mirror_short(struct xfrm *x, int err)
{
	if (err >= 0)
		return;
	x->mirror_short = true;
	log_limited(&x->short_limit, LOG_WARNING,
		    "xfrm: the kernel mirror misses objects (%s): the view is incomplete",
		    strerror(-err));
}

const struct kmirror *xfrm_mirror(const struct xfrm *x)
{
	return x->mirror;
}

static bool shunt_ours(void *arg, const struct xm_policy *p)
{
	return shuntrec_holds(arg, p);
}

/* nlsock callback of xfrm_mirror_refresh(): one dumped state. */
static int refresh_cb(const struct nlmsghdr *h, void *arg)
{
	struct xfrm *x = arg;
	struct xm_msg m;

	if (!xm_parse(h, h->nlmsg_len, &m) && m.type == XFRM_MSG_NEWSA)
		mirror_short(x, kmirror_event(x->mirror, &m));
	return 0;
}

static void refresh_restart(void *arg)
{
	kmirror_load_begin(((struct xfrm *)arg)->mirror, false);
}

void xfrm_view_gen(const struct xfrm *x, uint64_t *objects, uint64_t *counters)
{
	*objects = kmirror_gen(x->mirror);
	*counters = kmirror_counters_gen(x->mirror);
}

int xfrm_mirror_refresh(struct xfrm *x)
{
	struct xm_msg m = { .type = XFRM_MSG_GETSA, .nlflags = NLM_F_DUMP };
	struct nlmsghdr *h;
	struct reason why;
	int ret;

	ret = xm_build(&m, &h);
	if (ret)
		return ret;
	kmirror_load_begin(x->mirror, false);
	ret = nlsock_dump(x->req, h, refresh_cb, x, refresh_restart, &why);
	xm_free(h);
	kmirror_load_end(x->mirror, false, !ret);
	return ret;
}

int xfrm_foreign_view(struct xfrm *x, struct kview *v)
{
	struct kderive_owner o = { shunt_ours, x->sr };

	return kderive(x->mirror, &o, v);
}

/* ------------------------------------------------------------------ */
/* adding and deleting objects */

static bool is_shunt_policy(const struct xfrm_obj *o)
{
	return o->kind == XFRM_OBJ_POLICY && !o->sp.ntmpl;
}

/* Add @o; a template-less policy is recorded before it exists (write-ahead)
 * and the record undone when the kernel refuses it (EEXIST: the one there
 * is not ours).  Return: 0 or -errno, "adding OBJECT: why" in @why. */
static int add_obj(struct xfrm *x, const struct xfrm_obj *o, struct reason *why)
{
	struct nlmsghdr *h;
	struct shunt prev;
	bool had = false;
	char what[128];
	int ret;

	ret = xfrm_obj_add_request(o, &h);
	if (ret) {
		reason_set(why, "cannot build the request: %s", strerror(-ret));
	} else {
		if (is_shunt_policy(o))
			had = shuntrec_add(x->sr, &o->sp, &prev);
		ret = nlsock_request(x->req, h, NULL, NULL, why);
		xm_free(h);
		if (ret && is_shunt_policy(o))
			shuntrec_undo(x->sr, &o->sp, had ? &prev : NULL);
	}
	if (ret) {
		xfrm_obj_describe(o, what, sizeof(what));
		reason_prefix(why, "adding %s", what);
	}
	return ret;
}

/* Delete @o (planned, or dumped: @by_index); a missing object is not an
 * error.  Return: 0 or -errno, "deleting OBJECT: why" in @why. */
static int delete_obj(struct xfrm *x, const struct xfrm_obj *o, bool by_index, struct reason *why)
{
	struct nlmsghdr *h;
	char what[128];
	int ret;

	ret = xfrm_obj_del_request(o, by_index, &h);
	if (ret) {
		reason_set(why, "cannot build the request: %s", strerror(-ret));
	} else {
		ret = nlsock_request(x->req, h, NULL, NULL, why);
		xm_free(h);
		if (ret == -ENOENT || ret == -ESRCH)
			ret = 0;
		if (!ret && o->kind == XFRM_OBJ_POLICY)
			shuntrec_forget(x->sr, &o->sp); /* no policy with this key left */
	}
	if (ret) {
		xfrm_obj_describe(o, what, sizeof(what));
		reason_prefix(why, "deleting %s", what);
	}
	return ret;
}

/* Delete the first @upto objects of @p in reverse order, except those
 * marked in @skip (someone else's now: only forgotten).  Return: 0, or the
 * first -errno with its reason in @why (may be NULL). */
static int remove_plan(struct xfrm *x, const struct xfrm_plan *p, size_t upto, const bool *skip,
		       struct reason *why)
{
	struct reason r;
	int ret = 0, e;
	size_t i;

	for (i = upto; i-- > 0;) {
		if (skip && skip[i]) {
			if (p->obj[i].kind == XFRM_OBJ_POLICY)
				shuntrec_forget(x->sr, &p->obj[i].sp);
			continue;
		}
		e = delete_obj(x, &p->obj[i], false, &r);
		if (e && !ret) {
			ret = e;
			if (why)
				*why = r;
		}
	}
	return ret;
}

/* Set the first sequence number of each state of @p whose SA (@g->sa[k])
 * has @first[k] > 1. */
static int plan_seq(struct xfrm_plan *p, const struct sadb_group *g, const uint64_t *first,
		    struct reason *why)
{
	size_t i;
	unsigned k;

	for (i = 0; i < p->n; i++) {
		struct xm_state *st = &p->obj[i].sa;

		if (p->obj[i].kind != XFRM_OBJ_STATE)
			continue;
		for (k = 0; k < g->nsa; k++) {
			const struct said *s = &g->sa[k]->cfg->said;
			char text[SAID_BUF];

			if (first[k] <= 1 || s->proto != st->proto || htonl(s->spi) != st->spi ||
			    s->dst.family != st->family ||
			    memcmp(s->dst.b, &st->daddr, ip_addr_len(&s->dst)))
				continue;
			if (xm_state_set_oseq(st, first[k] - 1) < 0) {
				said_format(s, '0', text, sizeof(text));
				reason_set(why, "%s: no sequence number left after %llu", text,
					   (unsigned long long)(first[k] - 1));
				return -ERANGE;
			}
		}
	}
	return 0;
}

int xfrm_install_group(struct xfrm *x, const struct sadb_group *g, struct reason *why)
{
	return xfrm_install_group_seq(x, g, NULL, why);
}

int xfrm_install_group_seq(struct xfrm *x, const struct sadb_group *g, const uint64_t *first,
			   struct reason *why)
{
	struct xfrm_plan plan;
	struct reason r, add;
	size_t i;
	int ret;

	ret = xfrm_plan_group(g, &plan, why);
	if (ret)
		return ret;
	if (first && (ret = plan_seq(&plan, g, first, why))) {
		xfrm_plan_free(&plan);
		return ret;
	}
	for (i = 0; i < plan.n; i++) {
		ret = add_obj(x, &plan.obj[i], why);
		if (ret)
			break;
	}
	/* Only what this call added: an EEXIST object is not ours. */
	if (ret && remove_plan(x, &plan, i, NULL, &r) && why) {
		add = *why;
		reason_set(why, "%s; then %s", add.text, r.text);
	}
	xfrm_plan_free(&plan);
	return ret;
}

int xfrm_remove_group(struct xfrm *x, const struct sadb_group *g, struct reason *why)
{
	return xfrm_remove_group_final(x, g, NULL, why);
}

int xfrm_remove_group_final(struct xfrm *x, const struct sadb_group *g, uint64_t *last,
			    struct reason *why)
{
	struct sa_counters ctr[CFG_MAX_GROUP_SAS + 1];
	struct xfrm_plan plan, pol;
	struct reason r;
	size_t ns = 0;
	unsigned k;
	int ret, e;

	reason_set(why, "%s", "");
	for (k = 0; last && k < g->nsa; k++)
		last[k] = XFRM_OSEQ_UNKNOWN;
	ret = xfrm_plan_group(g, &plan, NULL);
	if (ret == -EINVAL)
		return 0; /* never expressible, so never installed */
	if (ret) {
		reason_set(why, "out of memory");
		return ret;
	}
	/* the plan holds the states first, then the policies */
	while (ns < plan.n && plan.obj[ns].kind == XFRM_OBJ_STATE)
		ns++;
	pol = (struct xfrm_plan){ .obj = plan.obj + ns, .n = plan.n - ns };
	ret = remove_plan(x, &pol, pol.n, NULL, why);
	if (last && xfrm_read_counters(x, g, ctr) == 0)
		for (k = 0; k < g->nsa; k++)
			last[k] = ctr[k].oseq;
	e = remove_plan(x, &plan, ns, NULL, &r);
	if (e && !ret) {
		ret = e;
		if (why)
			*why = r;
	}
	xfrm_plan_free(&plan);
	return ret;
}

int xfrm_probe_group(struct xfrm *x, const struct sadb_group *g, struct reason *why)
{
	struct xfrm_plan plan;
	struct xm_state *st;
	size_t i, n = 0;
	int ret;

	ret = xfrm_plan_group(g, &plan, why);
	if (ret)
		return ret;
	st = calloc(plan.n + 1, sizeof(*st));
	if (!st) {
		xfrm_plan_free(&plan);
		reason_set(why, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < plan.n; i++)
		if (plan.obj[i].kind == XFRM_OBJ_STATE)
			st[n++] = plan.obj[i].sa;
	ret = probe_states(x->probe, st, n, why);
	free(st);
	xfrm_plan_free(&plan);
	return ret;
}

/* ------------------------------------------------------------------ */
/* which kernel objects are ours, and equal to what we planned */

/* Ours: in our priority band (all of ours are, but so are some of
 * libreswan's: the band alone tells nothing), and either every template
 * has a reqid of our band, or there is no template and the shunt record
 * holds it. */
static bool policy_ours(const struct xfrm *x, const struct xm_policy *p)
{
	if (p->dir >= XFRM_POLICY_MAX || !xfrm_own_priority(p->priority))
		return false;
	if (!p->ntmpl)
		return shuntrec_holds(x->sr, p);
	return xfrm_own_tmpl_policy(p);
}

static bool state_ours(const struct xm_state *s)
{
	if (!xfrm_own_reqid(s->reqid) || !s->spi)
		return false; /* foreign, kernel IPIP (reqid 0) or larval ACQ */
	if (s->proto != IPPROTO_ESP && s->proto != IPPROTO_AH && s->proto != IPPROTO_COMP)
		return false;
	/* larval (ALLOCSPI) states have no algorithm */
	return s->crypt.present || s->aead.present || s->auth.present || s->comp.present;
}

static bool obj_ours(const struct xfrm *x, const struct xfrm_obj *o)
{
	return o->kind == XFRM_OBJ_STATE ? state_ours(&o->sa) : policy_ours(x, &o->sp);
}

static bool alg_equal(const struct xm_alg *a, const struct xm_alg *b)
{
	size_t klen = ((size_t)a->key_bits + 7) / 8;

	if (!a->present || !b->present)
		return a->present == b->present;
	return !strcmp(a->name, b->name) && a->key_bits == b->key_bits &&
	       a->icv_bits == b->icv_bits &&
	       (!klen || (a->key && b->key && !CRYPTO_memcmp(a->key, b->key, klen)));
}

static bool lifetime_equal(const struct xfrm_lifetime_cfg *a, const struct xfrm_lifetime_cfg *b,
			   bool use_expires)
{
	return a->soft_byte_limit == b->soft_byte_limit &&
	       a->hard_byte_limit == b->hard_byte_limit &&
	       a->soft_packet_limit == b->soft_packet_limit &&
	       a->hard_packet_limit == b->hard_packet_limit &&
	       a->soft_add_expires_seconds == b->soft_add_expires_seconds &&
	       a->hard_add_expires_seconds == b->hard_add_expires_seconds &&
	       (!use_expires || (a->soft_use_expires_seconds == b->soft_use_expires_seconds &&
				 a->hard_use_expires_seconds == b->hard_use_expires_seconds));
}

/* The effective replay window. */
static uint32_t replay_window(const struct xm_state *s)
{
	return s->has_replay_esn ? s->replay_esn.replay_window : s->replay_window;
}

#define STATE_FLAGS_OURS (XFRM_STATE_AF_UNSPEC | XFRM_STATE_ALIGN4 | XFRM_STATE_ESN | \
			  XFRM_STATE_NOECN | XFRM_STATE_DECAP_DSCP | XFRM_STATE_WILDRECV | \
			  XFRM_STATE_ICMP)

/* Does the kernel's state @k equal planned @p (keys included)? */
static bool state_equal(const struct xm_state *p, const struct xm_state *k)
{
	struct xfrm_selector want = p->sel;
	struct xm_key kp, kk;

	xm_state_key(p, &kp);
	xm_state_key(k, &kk);
	if (!xm_key_equal(&kp, &kk) || xm_addr_len(p->family) == 0 ||
	    memcmp(&p->saddr, &k->saddr, xm_addr_len(p->family)) || p->mode != k->mode ||
	    p->reqid != k->reqid || (p->flags & STATE_FLAGS_OURS) != (k->flags & STATE_FLAGS_OURS))
		return false;
	/* The kernel gives a selector without family the state's family
	 * unless AF_UNSPEC is set (copy_from_user_state()). */
	if (!want.family && !(p->flags & XFRM_STATE_AF_UNSPEC))
		want.family = p->family;
	if (!xm_sel_equal(&want, &k->sel) || !lifetime_equal(&p->lft, &k->lft, true))
		return false;
	if (replay_window(p) != replay_window(k) || (p->has_replay_esn && !k->has_replay_esn))
		return false;
	return alg_equal(&p->crypt, &k->crypt) && alg_equal(&p->aead, &k->aead) &&
	       p->auth_trunc == k->auth_trunc && alg_equal(&p->auth, &k->auth) &&
	       alg_equal(&p->comp, &k->comp) && !k->has_mark && !k->if_id && !k->has_encap;
}

static bool tmpl_equal(const struct xm_tmpl *u, const struct xm_tmpl *v)
{
	size_t al = xm_addr_len(u->family);

	return u->proto == v->proto && u->spi == v->spi && u->family == v->family &&
	       !memcmp(&u->daddr, &v->daddr, al) && !memcmp(&u->saddr, &v->saddr, al) &&
	       u->reqid == v->reqid && u->mode == v->mode && u->share == v->share &&
	       u->optional == v->optional && u->aalgos == v->aalgos && u->ealgos == v->ealgos &&
	       u->calgos == v->calgos;
}

static bool policy_equal(const struct xm_policy *a, const struct xm_policy *b)
{
	unsigned i;

	if (!xm_sel_equal(&a->sel, &b->sel) || a->dir != b->dir || a->priority != b->priority ||
	    a->action != b->action || a->flags != b->flags ||
	    !lifetime_equal(&a->lft, &b->lft, false) || b->ptype != XFRM_POLICY_TYPE_MAIN ||
	    (b->has_mark && (b->mark.v || b->mark.m)) || b->if_id || b->has_sec_ctx ||
	    a->ntmpl != b->ntmpl)
		return false;
	for (i = 0; i < a->ntmpl; i++)
		if (!tmpl_equal(&a->tmpl[i], &b->tmpl[i]))
			return false;
	return true;
}

/* Does kernel object @k equal planned @p? */
static bool obj_equal(const struct xfrm_obj *p, const struct xfrm_obj *k)
{
	if (p->kind != k->kind)
		return false;
	return p->kind == XFRM_OBJ_STATE ? state_equal(&p->sa, &k->sa) : policy_equal(&p->sp, &k->sp);
}

/* ------------------------------------------------------------------ */
/* dumps: the kernel's objects */

/* One dumped object: its key and, for ours, a copy of the message (parsed
 * again when compared, so that its keys stay in one wiped place). */
struct kobj {
	struct xm_key key;
	struct nlmsghdr *msg; /* ours only; wiped on free */
	bool ours, claimed;
};

struct kdump {
	const struct xfrm *x;
	struct kobj *o;
	size_t n, cap;
	struct hidx idx;      /* xm_key_hash() -> index into o */
	bool note_foreign;    /* log the template-less policies in our band left alone */
	struct kmirror *mirror; /* loads this table too, or NULL */
	bool policies;        /* the table: SPD (else SAD) */
	int mirror_err;       /* the first failed put */
};

static int kdump_init(struct kdump *d, const struct xfrm *x, bool note_foreign)
{
	memset(d, 0, sizeof(*d));
	d->x = x;
	d->note_foreign = note_foreign;
	return hidx_init(&d->idx, 64);
}

static void kdump_clear(struct kdump *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->o[i].msg)
			xm_free(d->o[i].msg);
	free(d->o);
	d->o = NULL;
	d->n = d->cap = 0;
	hidx_reset(&d->idx);
}

static void kdump_free(struct kdump *d)
{
	kdump_clear(d);
	hidx_free(&d->idx);
}

static void kdump_restart(void *arg)
{
	struct kdump *d = arg;

	kdump_clear(d);
	if (d->mirror)
		kmirror_load_begin(d->mirror, d->policies);
	d->mirror_err = 0;
}

/* The object of a parsed NEWSA / NEWPOLICY.  False: another message. */
static bool obj_of_msg(const struct xm_msg *m, struct xfrm_obj *o)
{
	memset(o, 0, sizeof(*o));
	if (m->type == XFRM_MSG_NEWSA || m->type == XFRM_MSG_UPDSA || m->type == XFRM_MSG_DELSA ||
	    m->type == XFRM_MSG_EXPIRE) {
		o->kind = XFRM_OBJ_STATE;
		o->sa = m->sa;
		return true;
	}
	if (m->type == XFRM_MSG_NEWPOLICY || m->type == XFRM_MSG_UPDPOLICY ||
	    m->type == XFRM_MSG_DELPOLICY) {
		o->kind = XFRM_OBJ_POLICY;
		o->sp = m->sp;
		return true;
	}
	return false;
}

/* The object of our dumped @k (its keys point into k->msg). */
static int kobj_parse(const struct kobj *k, struct xfrm_obj *o)
{
	struct xm_msg m;

	if (!k->msg || xm_parse(k->msg, k->msg->nlmsg_len, &m) || !obj_of_msg(&m, o))
		return -EINVAL;
	return 0;
}

/* Take over @k (its msg too, also on failure). */
static int kdump_push(struct kdump *d, const struct kobj *k)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct kobj *o = realloc(d->o, cap * sizeof(*o));

		if (!o) {
			xm_free(k->msg);
			return -ENOMEM;
		}
		d->o = o;
		d->cap = cap;
	}
	if (hidx_put(&d->idx, xm_key_hash(&k->key), d->n)) {
		xm_free(k->msg);
		return -ENOMEM;
	}
	d->o[d->n++] = *k;
	return 0;
}

static void note_foreign_shunt(const struct xm_policy *p)
{
	struct xfrm_obj o = { .kind = XFRM_OBJ_POLICY, .sp = *p };
	char what[128];

	xfrm_obj_describe(&o, what, sizeof(what));
	log_debug("xfrm: leaving %s (priority %u, no template) alone: in our priority band but "
		  "not recorded as ours", what, p->priority);
}

/* nlsock callback: keep a dumped state or policy. */
static int kdump_add(const struct nlmsghdr *h, void *arg)
{
	struct kdump *d = arg;
	struct kobj k = { .msg = NULL };
	struct xfrm_obj o;
	struct xm_msg m;

	if (xm_parse(h, h->nlmsg_len, &m) ||
	    (m.type != XFRM_MSG_NEWSA && m.type != XFRM_MSG_NEWPOLICY) || !obj_of_msg(&m, &o))
		return 0;
	if (d->mirror) {
		int r = kmirror_event(d->mirror, &m);

		if (r < 0 && !d->mirror_err)
			d->mirror_err = r;
	}
	k.ours = obj_ours(d->x, &o);
	if (d->note_foreign && !k.ours && o.kind == XFRM_OBJ_POLICY && !o.sp.ntmpl &&
	    xfrm_own_priority(o.sp.priority))
		note_foreign_shunt(&o.sp);
	xfrm_obj_key(&o, &k.key);
	if (k.ours) {
		k.msg = malloc(h->nlmsg_len);
		if (!k.msg)
			return -ENOMEM;
		memcpy(k.msg, h, h->nlmsg_len);
	}
	return kdump_push(d, &k);
}

/* One table into @d and the mirror.  0 or -errno, why in @why. */
static int dump_table(struct xfrm *x, uint16_t type, struct kdump *d, struct reason *why)
{
	struct xm_msg m = { .type = type, .nlflags = NLM_F_DUMP };
	struct nlmsghdr *h;
	int ret;

	ret = xm_build(&m, &h);
	if (ret)
		return ret;
	d->mirror = x->mirror;
	d->policies = type == XFRM_MSG_GETPOLICY;
	kmirror_load_begin(x->mirror, d->policies);
	ret = nlsock_dump(x->req, h, kdump_add, d, kdump_restart, why);
	xm_free(h);
	kmirror_load_end(x->mirror, d->policies, !ret);
	mirror_short(x, ret ? ret : d->mirror_err);
	if (ret)
		reason_prefix(why, "reading the kernel's %s", type == XFRM_MSG_GETSA ? "SAD" : "SPD");
	return ret;
}

/* Dump SAD and SPD into @d (initialised here; kdump_free() it on success).
 * A retried dump starts its table afresh: each table has its own kdump
 * first.  0 or -errno, why in @why. */
static int dump_all(struct xfrm *x, struct kdump *d, bool note_foreign, struct reason *why)
{
	struct kdump sp;
	size_t i;
	int ret;

	if (kdump_init(d, x, false) || kdump_init(&sp, x, note_foreign)) {
		hidx_free(&d->idx);
		reason_set(why, "out of memory");
		return -ENOMEM;
	}
	x->mirror_short = false; /* until this dump says otherwise */
	ret = dump_table(x, XFRM_MSG_GETSA, d, why);
	if (!ret)
		ret = dump_table(x, XFRM_MSG_GETPOLICY, &sp, why);
	for (i = 0; i < sp.n; i++) {
		if (!ret)
			ret = kdump_push(d, &sp.o[i]);
		else
			xm_free(sp.o[i].msg);
		sp.o[i].msg = NULL;
	}
	kdump_free(&sp);
	if (ret == -ENOMEM)
		reason_set(why, "out of memory");
	if (ret)
		kdump_free(d);
	return ret;
}

/* A dumped object with @want's key: with @equal the first unclaimed one of
 * ours that equals @want, else the first with the key at all.  NULL: none. */
static struct kobj *kdump_find(struct kdump *d, const struct xfrm_obj *want, bool equal)
{
	struct xm_key key;
	struct xfrm_obj o;
	size_t pos = 0, v;

	xfrm_obj_key(want, &key);
	while (hidx_next(&d->idx, xm_key_hash(&key), &pos, &v)) {
		struct kobj *k = &d->o[v];

		if (!xm_key_equal(&k->key, &key))
			continue;
		if (!equal)
			return k;
		if (k->ours && !k->claimed && !kobj_parse(k, &o) && obj_equal(want, &o))
			return k;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* start-up adoption */

/* The record keeps only the entries the kernel holds as recorded (the
 * others were deleted, or replaced by someone else). */
static void shunt_sync(struct xfrm *x, struct kdump *d)
{
	struct xfrm_obj o;
	size_t i, dropped;

	shuntrec_sync_begin(x->sr);
	for (i = 0; i < d->n; i++)
		if (d->o[i].ours && !kobj_parse(&d->o[i], &o) && is_shunt_policy(&o))
			shuntrec_sync_seen(x->sr, &o.sp);
	dropped = shuntrec_sync_end(x->sr);
	if (dropped)
		log_debug("xfrm: %zu recorded shunt polic%s no longer in the kernel", dropped,
			  dropped == 1 ? "y" : "ies");
}

/* Does the kernel hold @g's objects exactly?  Claims them.  1 yes, 0 no,
 * -ENOMEM. */
static int adopt_group(struct kdump *d, const struct sadb_group *g)
{
	struct xfrm_plan plan;
	struct kobj **hit;
	size_t i;
	bool ok = true;

	if (xfrm_plan_group(g, &plan, NULL))
		return 0;
	hit = calloc(plan.n + 1, sizeof(*hit));
	if (!hit) {
		xfrm_plan_free(&plan);
		return -ENOMEM;
	}
	for (i = 0; i < plan.n && ok; i++) {
		hit[i] = kdump_find(d, &plan.obj[i], true);
		ok = hit[i] != NULL;
	}
	for (i = 0; ok && i < plan.n; i++)
		hit[i]->claimed = true;
	free(hit);
	ok = ok && plan.n;
	xfrm_plan_free(&plan);
	return ok;
}

/* Delete every unclaimed object of ours: policies first, then states. */
static void remove_stale(struct xfrm *x, struct kdump *d)
{
	size_t i, removed = 0, failed = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->n; i++) {
			struct xfrm_obj o;
			struct reason why;

			if (!d->o[i].ours || d->o[i].claimed || kobj_parse(&d->o[i], &o) ||
			    o.kind != (pass ? XFRM_OBJ_STATE : XFRM_OBJ_POLICY))
				continue;
			if (!delete_obj(x, &o, o.kind == XFRM_OBJ_POLICY, &why)) {
				removed++;
			} else if (failed++ < 10) {
				log_warn("xfrm: a stale object of ours stays in the kernel: %s",
					 why.text);
			}
		}
	}
	if (removed)
		log_info("xfrm: removed %zu stale objects of ours", removed);
	if (failed > 10)
		log_warn("xfrm: %zu stale objects of ours could not be removed", failed);
}

int xfrm_adopt(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o)
{
	struct reason why;
	struct kdump d;
	size_t gi;
	int adopted = 0, r;

	r = dump_all(x, &d, true, &why);
	if (r)
		return r;
	shunt_sync(x, &d);
	for (gi = 0; gi < db->ngroup; gi++) {
		const struct sadb_group *g = db->group[gi];

		if (!o->wants_kernel(o->arg, g) || o->installed(o->arg, g))
			continue;
		r = adopt_group(&d, g);
		if (r < 0) {
			kdump_free(&d);
			return r;
		}
		if (r) {
			o->adopted(o->arg, g);
			adopted++;
		}
	}
	remove_stale(x, &d);
	kdump_free(&d);
	return adopted;
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

static bool group_live(const struct evctx *c, const struct sadb_group *g)
{
	return c->o->installed(c->o->arg, g) && c->o->wants_kernel(c->o->arg, g);
}

static bool prefix_is(const struct ip_prefix *p, unsigned family, unsigned len,
		      const xfrm_address_t *a)
{
	return p->addr.family == family && p->len == len && !memcmp(p->addr.b, a, xm_addr_len(family));
}

/* Could @g's plan hold an object with @k's key?  Cheap, before planning. */
static bool might_hold(const struct sadb_group *g, const struct xfrm_obj *k)
{
	unsigned i, j;

	if (k->kind == XFRM_OBJ_STATE) {
		for (i = 0; i < g->nsa; i++) {
			const struct said *s = &g->sa[i]->cfg->said;

			if (s->proto == k->sa.proto && s->spi == ntohl(k->sa.spi) &&
			    s->dst.family == k->sa.family &&
			    !memcmp(s->dst.b, &k->sa.daddr, xm_addr_len(k->sa.family)))
				return true;
		}
		return false;
	}
	if (g->implicit)
		return false;
	for (i = 0; i < g->nsrc_ts; i++)
		for (j = 0; j < g->ndst_ts; j++)
			if (prefix_is(&g->src_ts[i], k->sp.sel.family, k->sp.sel.prefixlen_s,
				      &k->sp.sel.saddr) &&
			    prefix_is(&g->dst_ts[j], k->sp.sel.family, k->sp.sel.prefixlen_d,
				      &k->sp.sel.daddr))
				return true;
	return false;
}

/* The installed kernel group that planned an object with @k's key, its
 * plan (the caller frees it) and the index of the object in it. */
static const struct sadb_group *group_of(const struct evctx *c, const struct xfrm_obj *k,
					 struct xfrm_plan *plan, size_t *idx)
{
	size_t gi, i;

	for (gi = 0; gi < c->db->ngroup; gi++) {
		const struct sadb_group *g = c->db->group[gi];

		if (!group_live(c, g) || !might_hold(g, k) || xfrm_plan_group(g, plan, NULL))
			continue;
		for (i = 0; i < plan->n; i++) {
			if (xfrm_obj_same_key(&plan->obj[i], k)) {
				*idx = i;
				return g;
			}
		}
		xfrm_plan_free(plan);
	}
	return NULL;
}

/* @g lost an object behind our back: remove the rest (except @skip, an
 * object that belongs to someone else now) and report it. */
static void lose_group(struct evctx *c, const struct sadb_group *g, const struct xfrm_plan *plan,
		       const bool *skip, const struct reason *why)
{
	struct reason r;

	if (remove_plan(c->x, plan, plan->n, skip, &r))
		log_warn("xfrm: group %s: removing the rest of it: %s", g->name, r.text);
	c->o->lost(c->o->arg, g, why);
	c->changed++;
}

static void set_lost_reason(struct reason *why, const struct xfrm_obj *k, const char *happened)
{
	char what[128];

	xfrm_obj_describe(k, what, sizeof(what));
	reason_set(why, "%s%s %s", k->kind == XFRM_OBJ_STATE ? "state " : "", what, happened);
}

/* An object with @k's key disappeared (or was replaced by @k) without us. */
static void object_event(struct evctx *c, const struct xfrm_obj *k, const char *happened,
			 bool replaced)
{
	struct xfrm_plan plan;
	const struct sadb_group *g;
	struct reason why;
	bool *skip = NULL;
	size_t idx;

	if (!replaced) {
		if (k->kind == XFRM_OBJ_POLICY) /* gone: nothing of ours with this key */
			shuntrec_forget(c->x->sr, &k->sp);
	} else if (k->kind == XFRM_OBJ_POLICY && !shuntrec_holds(c->x->sr, &k->sp)) {
		/* someone else's now (unless it is exactly what we recorded) */
		shuntrec_forget(c->x->sr, &k->sp);
	}
	g = group_of(c, k, &plan, &idx);
	if (!g)
		return;
	if (replaced && obj_equal(&plan.obj[idx], k)) {
		xfrm_plan_free(&plan);
		return;
	}
	set_lost_reason(&why, k, happened);
	if (replaced) {
		skip = calloc(plan.n, sizeof(*skip));
		if (skip)
			skip[idx] = !obj_ours(c->x, k);
	}
	lose_group(c, g, &plan, skip, &why);
	free(skip);
	xfrm_plan_free(&plan);
}

static void expire_event(struct evctx *c, const struct xfrm_obj *k)
{
	struct xfrm_plan plan;
	const struct sadb_group *g;
	struct reason why;
	size_t idx;

	/* not one of our deletes: no in-flight check */
	g = group_of(c, k, &plan, &idx);
	if (!g)
		return;
	set_lost_reason(&why, k, "hard-expired");
	lose_group(c, g, &plan, NULL, &why);
	xfrm_plan_free(&plan);
}

/* An ACQUIRE: the kernel has a packet for a policy template without a
 * state.  Storms happen (every packet of a trapped flow): rate-limited. */
static void log_acquire(struct xfrm *x, const struct xm_acquire *a)
{
	unsigned fam = a->sp.ntmpl && a->sp.tmpl[0].family ? a->sp.tmpl[0].family : a->sel.family;
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";

	if (fam == AF_INET || fam == AF_INET6) {
		inet_ntop((int)fam, &a->saddr, src, sizeof(src));
		inet_ntop((int)fam, &a->daddr, dst, sizeof(dst));
	}
	log_limited(&x->acq_limit, LOG_INFO,
		    "xfrm: acquire: no state for proto %u %s -> %s (reqid %u, policy %s index %u)",
		    a->proto, src, dst, a->sp.ntmpl ? a->sp.tmpl[0].reqid : 0,
		    xm_dir_name(a->sp.dir), a->sp.index);
}

/* nlsock callback for one event (in the receive buffer: xm_parse() copies
 * what it reads; keys stay borrowed from the buffer for this call). */
static int on_event(const struct nlmsghdr *h, void *arg)
{
	struct evctx *c = arg;
	struct xfrm_obj k;
	struct xm_msg m;
	int r;

	/* ours (an ops socket has no filter; the kernel's socket drops
	 * them: xfrm_event_filter()) */
	if (h->nlmsg_pid && h->nlmsg_pid == nlsock_port(c->x->req))
		return 0;
	r = xm_parse(h, h->nlmsg_len, &m);
	if (r == -EINVAL)
		c->resync = true; /* cannot tell what changed */
	if (r)
		return 0;
	r = kmirror_event(c->x->mirror, &m);
	if (r < 0 || (r & KM_RESYNC))
		c->resync = true;
	switch (m.type) {
	case XFRM_MSG_DELSA:
		obj_of_msg(&m, &k);
		object_event(c, &k, "deleted behind our back", false);
		break;
	case XFRM_MSG_EXPIRE:
		if (m.hard && obj_of_msg(&m, &k))
			expire_event(c, &k);
		break;
	case XFRM_MSG_DELPOLICY:
		/* the whole policy comes along; ours are always in our
		 * priority band (others may be too: group_of() goes by key) */
		if (m.full && xfrm_own_priority(m.sp.priority) && obj_of_msg(&m, &k))
			object_event(c, &k, "deleted behind our back", false);
		break;
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_UPDPOLICY:
		/* Someone replaced an object with our key (charon retries
		 * EEXIST with UPDPOLICY). */
		obj_of_msg(&m, &k);
		object_event(c, &k, "replaced behind our back", true);
		break;
	case XFRM_MSG_FLUSHSA:
	case XFRM_MSG_FLUSHPOLICY:
		c->resync = true;
		break;
	case XFRM_MSG_ACQUIRE:
		log_acquire(c->x, &m.acq);
		break;
	default:
		break;
	}
	return 0;
}

/* Check one installed group against dump @d; lose it when an object is
 * missing or changed.  0 or -ENOMEM. */
static int resync_group(struct evctx *c, struct kdump *d, const struct sadb_group *g)
{
	struct xfrm_plan plan;
	struct reason why;
	bool *skip, bad = false;
	size_t i;

	if (xfrm_plan_group(g, &plan, NULL))
		return 0;
	skip = calloc(plan.n + 1, sizeof(*skip));
	if (!skip) {
		xfrm_plan_free(&plan);
		return -ENOMEM;
	}
	for (i = 0; i < plan.n; i++) {
		struct kobj *k = kdump_find(d, &plan.obj[i], true);

		if (k) {
			k->claimed = true;
			continue;
		}
		k = kdump_find(d, &plan.obj[i], false);
		skip[i] = k && !k->ours;
		if (!bad)
			set_lost_reason(&why, &plan.obj[i],
					k ? "replaced behind our back" : "gone (flushed or deleted)");
		bad = true;
	}
	if (bad)
		lose_group(c, g, &plan, skip, &why);
	free(skip);
	xfrm_plan_free(&plan);
	return 0;
}

/* After lost events or a flush: check every installed group against a
 * fresh dump. */
static int resync(struct evctx *c)
{
	struct reason why;
	struct kdump d;
	size_t gi;
	int ret;

	ret = dump_all(c->x, &d, false, &why);
	if (ret)
		return ret;
	for (gi = 0; !ret && gi < c->db->ngroup; gi++)
		if (group_live(c, c->db->group[gi]))
			ret = resync_group(c, &d, c->db->group[gi]);
	kdump_free(&d);
	return ret;
}

int xfrm_process_events(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o)
{
	struct evctx c = { .x = x, .db = db, .o = o };
	bool lost = false;
	int ret;

	ret = nlsock_read_events(x->ev, on_event, &c, &lost);
	if (ret)
		return ret;
	if (lost) {
		/* The kernel dropped events: the only safe answer is a full
		 * comparison. */
		log_warn("xfrm: event socket overrun, resynchronising");
		c.resync = true;
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

/* nlsock callback: the GETSA answer. */
static int counters_cb(const struct nlmsghdr *h, void *arg)
{
	struct sa_counters *ctr = arg;
	struct xm_msg m;

	if (xm_parse(h, h->nlmsg_len, &m) || m.type != XFRM_MSG_NEWSA)
		return 0;
	ctr->bytes = m.sa.curlft.bytes;
	ctr->packets = m.sa.curlft.packets;
	ctr->add_time = m.sa.curlft.add_time;
	ctr->replay_window_errs = m.sa.stats.replay_window;
	ctr->replay_errs = m.sa.stats.replay;
	ctr->integrity_errs = m.sa.stats.integrity_failed;
	ctr->oseq = xm_state_oseq(&m.sa);
	ctr->iseq = xm_state_iseq(&m.sa);
	return 0;
}

int xfrm_read_counters(struct xfrm *x, const struct sadb_group *g, struct sa_counters *ctr)
{
	unsigned i;
	int ret = 0;

	memset(ctr, 0, g->nsa * sizeof(*ctr));
	for (i = 0; i < g->nsa; i++) {
		const struct said *s = &g->sa[i]->cfg->said;
		struct xm_msg m = { .type = XFRM_MSG_GETSA };
		struct nlmsghdr *h;
		struct reason why;
		int r;

		if (s->proto == SAID_PROTO_TUN)
			continue;
		m.sa.family = s->dst.family;
		memcpy(&m.sa.daddr, s->dst.b, ip_addr_len(&s->dst));
		m.sa.spi = htonl(s->spi);
		m.sa.proto = s->proto;
		r = xm_build(&m, &h);
		if (!r) {
			r = nlsock_request(x->req, h, counters_cb, &ctr[i], &why);
			xm_free(h);
		}
		if (r && !ret)
			ret = r;
		/* a tun SA is the tunnel mode of the SA after it */
		if (!r && i > 0 && g->sa[i - 1]->cfg->said.proto == SAID_PROTO_TUN)
			ctr[i - 1] = ctr[i];
	}
	return ret;
}
