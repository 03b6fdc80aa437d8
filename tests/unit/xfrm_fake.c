/* xfrm_fake.c: fixtures and a fake XFRM kernel for the unit tests
 * (xfrm_fake.h). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "reqid.h"
#include "xfrm_fake.h"
#include "xfrm_own.h"

/* ---- fixtures ---- */

/* The bytes of $top_srcdir/@rel, NUL-terminated beyond *@len. */
static uint8_t *load(const char *rel, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	uint8_t *b = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = 0;
	*len = (size_t)n;
	return b;
}

uint8_t *fx_load(const char *name, size_t *len)
{
	return fx_load_dir("xfrm", name, len);
}

uint8_t *fx_load_dir(const char *dir, const char *name, size_t *len)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "tests/data/%s/%s", dir, name);
	return load(rel, len);
}

size_t fx_split(const uint8_t *b, size_t len, struct fx_msg *out, size_t max)
{
	size_t off = 0, n = 0;

	while (off < len && n < max) {
		uint32_t ml = 0;

		if (len - off >= sizeof(ml))
			memcpy(&ml, b + off, sizeof(ml));
		out[n].p = b + off;
		out[n].len = len - off;
		if (ml >= NLMSG_HDRLEN && NLMSG_ALIGN(ml) < len - off)
			out[n].len = NLMSG_ALIGN(ml);
		n++;
		if (ml < NLMSG_HDRLEN)
			break;
		off += NLMSG_ALIGN(ml);
	}
	return n;
}

static bool left_is_local(const struct ip_addr *a, void *arg)
{
	struct ip_addr l4, l6;

	(void)arg;
	ck_assert_int_eq(ip_addr_parse("192.168.2.100", &l4, NULL, 0), 0);
	ck_assert_int_eq(ip_addr_parse("3049:1::1", &l6, NULL, 0), 0);
	return ip_addr_equal(a, &l4) || ip_addr_equal(a, &l6);
}

static void parse_lines(struct cfg_parser *cp, const char *text)
{
	char line[4096];

	for (; *text; text += strcspn(text, "\n") + (text[strcspn(text, "\n")] != 0)) {
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(text, "\n"), text);
		cfg_parser_line(cp, line);
	}
}

struct sadb *fx_seed_model(const char *extra, struct cfg **c)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *cp;
	struct sadb *db;
	size_t len, i;
	char *text;

	text = (char *)load("contrib/seed.conf", &len);
	cp = cfg_parser_new("seed.conf", &errs);
	parse_lines(cp, text);
	free(text);
	parse_lines(cp, extra ? extra : "");
	*c = cfg_parser_finish(cp);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(*c);
	db = sadb_build(*c, left_is_local, NULL, &errs);
	ck_assert_ptr_nonnull(db);
	reqid_assign(db, NULL, XFRM_OWN_REQID_BASE, XFRM_OWN_REQID_COUNT);
	cfg_errors_free(&errs);
	return db;
}

/* ---- the fake kernel ---- */

/* One held object: the NEWSA / NEWPOLICY a dump returns, and its parse. */
struct hobj {
	struct nlmsghdr *msg;
	struct xm_msg m;      /* keys point into msg */
};

struct dgram {
	uint8_t *b;
	size_t len;
	int err;              /* nonzero: recv() returns it instead */
};

struct queue {
	struct dgram *d;
	size_t head, n, cap;
};

struct end {
	struct fake *f;
	bool ev;
};

struct fake {
	struct hobj *sa, *sp;
	size_t nsa, nsp;
	struct queue rq, eq;
	struct end req_end, ev_end;
	bool events, mute;
	struct rule {
		uint16_t type;
		uint8_t proto;
		int err, count;
		char text[128];
	} fail[4];
	size_t nfail;
	int dump_intr;
	unsigned long nreq, nreq_type[256];
	uint32_t next_index;
};

static void q_push(struct queue *q, const void *b, size_t len, int err)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		q->d = realloc(q->d, q->cap * sizeof(*q->d));
		ck_assert_ptr_nonnull(q->d);
	}
	q->d[q->n].b = len ? malloc(len) : NULL;
	if (len)
		memcpy(q->d[q->n].b, b, len);
	q->d[q->n].len = len;
	q->d[q->n].err = err;
	q->n++;
}

static void q_clear(struct queue *q)
{
	size_t i;

	for (i = q->head; i < q->n; i++)
		free(q->d[i].b);
	free(q->d);
	memset(q, 0, sizeof(*q));
}

/* Queue @m built, with @seq and @flags. */
static void q_msg(struct queue *q, struct xm_msg *m, uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *h;

	m->seq = seq;
	m->nlflags = flags;
	ck_assert_int_eq(xm_build(m, &h), 0);
	q_push(q, h, h->nlmsg_len, 0);
	xm_free(h);
}

/* Build @m into @h's slot and parse it back (so keys point into it). */
static void hobj_set(struct hobj *h, struct xm_msg *m)
{
	struct nlmsghdr *n;

	m->seq = m->pid = 0;
	m->nlflags = 0;
	ck_assert_int_eq(xm_build(m, &n), 0);
	xm_free(h->msg);
	h->msg = n;
	ck_assert_int_eq(xm_parse(n, n->nlmsg_len, &h->m), 0);
}

static void hobj_drop(struct hobj *arr, size_t *n, size_t i)
{
	xm_free(arr[i].msg);
	memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof(*arr));
	(*n)--;
}

static size_t find_state(const struct fake *f, const struct xm_state *s)
{
	struct xm_key a, b;
	size_t i;

	xm_state_key(s, &a);
	for (i = 0; i < f->nsa; i++) {
		xm_state_key(&f->sa[i].m.sa, &b);
		if (xm_key_equal(&a, &b))
			return i;
	}
	return SIZE_MAX;
}

static size_t find_policy(const struct fake *f, const struct xm_policy *p)
{
	struct xm_key a, b;
	size_t i;

	xm_policy_key(p, &a);
	for (i = 0; i < f->nsp; i++) {
		if (p->index) {
			if (f->sp[i].m.sp.index == p->index && f->sp[i].m.sp.dir == p->dir)
				return i;
			continue;
		}
		xm_policy_key(&f->sp[i].m.sp, &b);
		if (xm_key_equal(&a, &b))
			return i;
	}
	return SIZE_MAX;
}

static void push_obj(struct fake *f, struct xm_msg *m)
{
	struct hobj **arr = m->type == XFRM_MSG_NEWSA ? &f->sa : &f->sp;
	size_t *n = m->type == XFRM_MSG_NEWSA ? &f->nsa : &f->nsp;

	*arr = realloc(*arr, (*n + 1) * sizeof(**arr));
	ck_assert_ptr_nonnull(*arr);
	memset(&(*arr)[*n], 0, sizeof(**arr));
	if (m->type == XFRM_MSG_NEWPOLICY) {
		if (!m->sp.index)
			m->sp.index = ++f->next_index * 8 + m->sp.dir;
		else if (m->sp.index / 8 > f->next_index)
			f->next_index = m->sp.index / 8;
	}
	hobj_set(&(*arr)[*n], m);
	(*n)++;
}

/* The kernel's answer to request @req: an NLMSG_ERROR with @err (0: ACK),
 * the request's header only (capped), and @text as extended ACK. */
static void ack(struct fake *f, const struct nlmsghdr *req, int err, const char *text)
{
	uint8_t b[512];
	struct nlmsghdr h = { .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = req->nlmsg_seq,
			      .nlmsg_flags = NLM_F_CAPPED };
	struct nlmsgerr e = { .error = err, .msg = *req };
	size_t len = NLMSG_HDRLEN + sizeof(e);

	memset(b, 0, sizeof(b));
	if (text && *text) {
		struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + strlen(text) + 1),
				    .nla_type = NLMSGERR_ATTR_MSG };

		h.nlmsg_flags |= NLM_F_ACK_TLVS;
		memcpy(b + len, &a, sizeof(a));
		memcpy(b + len + NLA_HDRLEN, text, strlen(text) + 1);
		len += NLA_ALIGN(a.nla_len);
	}
	h.nlmsg_len = (uint32_t)len;
	memcpy(b, &h, sizeof(h));
	memcpy(b + NLMSG_HDRLEN, &e, sizeof(e));
	q_push(&f->rq, b, len, 0);
}

static void done(struct fake *f, uint32_t seq)
{
	struct {
		struct nlmsghdr h;
		int err;
	} d = { { sizeof(d), NLMSG_DONE, NLM_F_MULTI, seq, 0 }, 0 };

	if (f->dump_intr > 0) {
		d.h.nlmsg_flags |= NLM_F_DUMP_INTR;
		f->dump_intr--;
	}
	q_push(&f->rq, &d, sizeof(d), 0);
}

static void dump(struct fake *f, const struct hobj *arr, size_t n, uint32_t seq)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct xm_msg m = arr[i].m;

		q_msg(&f->rq, &m, seq, NLM_F_MULTI);
	}
	done(f, seq);
}

/* A delete's event: the whole object after the id; the nlmsg_pid of the
 * request that caused it (0: the kernel's own), as the kernel does. */
static void del_event(struct fake *f, const struct hobj *h, uint32_t pid)
{
	struct xm_msg m = h->m;

	if (!f->events)
		return;
	m.type = m.type == XFRM_MSG_NEWSA ? XFRM_MSG_DELSA : XFRM_MSG_DELPOLICY;
	m.full = true;
	m.pid = pid;
	q_msg(&f->eq, &m, 0, 0);
}

/* The first rule failing @m (its count used up), or NULL. */
static const struct rule *fail_rule(struct fake *f, const struct xm_msg *m)
{
	size_t i;

	for (i = 0; i < f->nfail; i++) {
		struct rule *r = &f->fail[i];

		if (!r->count || (r->type && r->type != m->type))
			continue;
		if (r->proto && (m->type != XFRM_MSG_NEWSA || m->sa.proto != r->proto))
			continue;
		if (r->count > 0)
			r->count--;
		return r;
	}
	return NULL;
}

static void handle_sa(struct fake *f, const struct nlmsghdr *req, struct xm_msg *m)
{
	size_t i = find_state(f, &m->sa);

	switch (m->type) {
	case XFRM_MSG_NEWSA:
		if (i != SIZE_MAX)
			return ack(f, req, -EEXIST, NULL);
		/* as copy_from_user_state(): an empty selector gets the
		 * state's family unless AF_UNSPEC says otherwise */
		if (!m->sa.sel.family && !(m->sa.flags & XFRM_STATE_AF_UNSPEC))
			m->sa.sel.family = m->sa.family;
		push_obj(f, m);
		return ack(f, req, 0, NULL);
	case XFRM_MSG_DELSA:
		if (i == SIZE_MAX)
			return ack(f, req, -ESRCH, NULL);
		del_event(f, &f->sa[i], req->nlmsg_pid);
		hobj_drop(f->sa, &f->nsa, i);
		return ack(f, req, 0, NULL);
	default: /* GETSA */
		if ((m->nlflags & NLM_F_DUMP) == NLM_F_DUMP)
			return dump(f, f->sa, f->nsa, req->nlmsg_seq);
		if (i == SIZE_MAX)
			return ack(f, req, -ESRCH, NULL);
		{
			struct xm_msg r = f->sa[i].m;

			q_msg(&f->rq, &r, req->nlmsg_seq, 0);
		}
		return ack(f, req, 0, NULL);
	}
}

static void handle_policy(struct fake *f, const struct nlmsghdr *req, struct xm_msg *m)
{
	size_t i = find_policy(f, &m->sp);

	switch (m->type) {
	case XFRM_MSG_NEWPOLICY:
		if (i != SIZE_MAX)
			return ack(f, req, -EEXIST, NULL);
		push_obj(f, m);
		return ack(f, req, 0, NULL);
	case XFRM_MSG_DELPOLICY:
		if (i == SIZE_MAX)
			return ack(f, req, -ENOENT, NULL);
		del_event(f, &f->sp[i], req->nlmsg_pid);
		hobj_drop(f->sp, &f->nsp, i);
		return ack(f, req, 0, NULL);
	default: /* GETPOLICY */
		if ((m->nlflags & NLM_F_DUMP) == NLM_F_DUMP)
			return dump(f, f->sp, f->nsp, req->nlmsg_seq);
		return ack(f, req, -EOPNOTSUPP, "the fake has no GETPOLICY by key");
	}
}

static int fake_send(void *arg, const void *buf, size_t len)
{
	struct end *e = arg;
	struct fake *f = e->f;
	const struct rule *r;
	struct nlmsghdr req;
	struct xm_msg m;

	ck_assert(!e->ev);
	ck_assert_uint_ge(len, sizeof(req));
	memcpy(&req, buf, sizeof(req));
	ck_assert_uint_eq(req.nlmsg_len, len);
	ck_assert(req.nlmsg_flags & NLM_F_REQUEST);
	f->nreq++;
	f->nreq_type[req.nlmsg_type & 0xff]++;
	if (f->mute) {
		f->mute = false;
		return 0;
	}
	if (xm_parse(buf, len, &m)) {
		ack(f, &req, -EINVAL, "malformed");
		return 0;
	}
	if ((r = fail_rule(f, &m))) {
		ack(f, &req, r->err, r->text);
		return 0;
	}
	if (m.type == XFRM_MSG_NEWSA || m.type == XFRM_MSG_DELSA || m.type == XFRM_MSG_GETSA)
		handle_sa(f, &req, &m);
	else if (m.type == XFRM_MSG_NEWPOLICY || m.type == XFRM_MSG_DELPOLICY ||
		 m.type == XFRM_MSG_GETPOLICY)
		handle_policy(f, &req, &m);
	else
		ack(f, &req, -EOPNOTSUPP, "the fake does not do that");
	return 0;
}

static ssize_t fake_recv(void *arg, void *buf, size_t cap, bool wait)
{
	struct end *e = arg;
	struct queue *q = e->ev ? &e->f->eq : &e->f->rq;
	struct dgram d;

	(void)wait;
	if (q->head == q->n)
		return -EAGAIN;
	d = q->d[q->head++];
	if (d.err)
		return d.err;
	memcpy(buf, d.b, d.len < cap ? d.len : cap);
	free(d.b);
	return (ssize_t)d.len;
}

static void fake_close(void *arg)
{
	(void)arg; /* the test owns the fake */
}

static const struct nlsock_ops fake_ops = { fake_send, fake_recv, fake_close };

struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->events = true;
	f->req_end.f = f->ev_end.f = f;
	f->ev_end.ev = true;
	return f;
}

void fake_free(struct fake *f)
{
	while (f->nsa)
		hobj_drop(f->sa, &f->nsa, 0);
	while (f->nsp)
		hobj_drop(f->sp, &f->nsp, 0);
	free(f->sa);
	free(f->sp);
	q_clear(&f->rq);
	q_clear(&f->eq);
	free(f);
}

void fake_sockets(struct fake *f, struct nlsock **req, struct nlsock **ev)
{
	ck_assert_int_eq(nlsock_open_ops(req, &fake_ops, &f->req_end), 0);
	if (ev)
		ck_assert_int_eq(nlsock_open_ops(ev, &fake_ops, &f->ev_end), 0);
}

int fake_hold(struct fake *f, const void *msg, size_t len)
{
	struct xm_msg m;
	int r = xm_parse(msg, len, &m);

	if (r)
		return r;
	if (m.type != XFRM_MSG_NEWSA && m.type != XFRM_MSG_NEWPOLICY)
		return -EINVAL;
	push_obj(f, &m);
	return 0;
}

size_t fake_hold_fixture(struct fake *f, const char *name)
{
	return fake_hold_fixture_dir(f, "xfrm", name);
}

size_t fake_hold_fixture_dir(struct fake *f, const char *dir, const char *name)
{
	struct fx_msg msgs[64];
	size_t len, n, i, held = 0;
	uint8_t *b = fx_load_dir(dir, name, &len);

	n = fx_split(b, len, msgs, 64);
	for (i = 0; i < n; i++)
		held += fake_hold(f, msgs[i].p, msgs[i].len) == 0;
	free(b);
	return held;
}

void fake_event(struct fake *f, const void *msg, size_t len)
{
	q_push(&f->eq, msg, len, 0);
}

void fake_event_fixture(struct fake *f, const char *name)
{
	fake_event_fixture_dir(f, "xfrm", name);
}

void fake_event_fixture_dir(struct fake *f, const char *dir, const char *name)
{
	struct fx_msg msgs[64];
	size_t len, n, i;
	uint8_t *b = fx_load_dir(dir, name, &len);

	n = fx_split(b, len, msgs, 64);
	for (i = 0; i < n; i++)
		fake_event(f, msgs[i].p, msgs[i].len);
	free(b);
}

void fake_overrun(struct fake *f)
{
	q_push(&f->eq, NULL, 0, -ENOBUFS);
}

void fake_set_events(struct fake *f, bool on)
{
	f->events = on;
}

bool fake_delete_state(struct fake *f, size_t n)
{
	if (n >= f->nsa)
		return false;
	del_event(f, &f->sa[n], 0);
	hobj_drop(f->sa, &f->nsa, n);
	return true;
}

bool fake_delete_policy(struct fake *f, size_t n)
{
	if (n >= f->nsp)
		return false;
	del_event(f, &f->sp[n], 0);
	hobj_drop(f->sp, &f->nsp, n);
	return true;
}

bool fake_update_policy(struct fake *f, size_t n, uint32_t priority)
{
	struct xm_msg m;

	if (n >= f->nsp)
		return false;
	m = f->sp[n].m;
	m.sp.priority = priority;
	hobj_set(&f->sp[n], &m);
	m = f->sp[n].m;
	m.type = XFRM_MSG_UPDPOLICY;
	q_msg(&f->eq, &m, 0, 0);
	return true;
}

bool fake_expire_state(struct fake *f, size_t n, bool hard)
{
	struct xm_msg m;

	if (n >= f->nsa)
		return false;
	m = f->sa[n].m;
	m.type = XFRM_MSG_EXPIRE;
	m.hard = hard;
	q_msg(&f->eq, &m, 0, 0);
	if (hard)
		hobj_drop(f->sa, &f->nsa, n);
	return true;
}

void fake_flush(struct fake *f)
{
	struct xm_msg m;

	while (f->nsa)
		hobj_drop(f->sa, &f->nsa, 0);
	while (f->nsp)
		hobj_drop(f->sp, &f->nsp, 0);
	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_FLUSHSA;
	q_msg(&f->eq, &m, 0, 0);
	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_FLUSHPOLICY;
	q_msg(&f->eq, &m, 0, 0);
}

void fake_fail(struct fake *f, uint16_t type, uint8_t proto, int err, const char *text, int count)
{
	struct rule *r;

	if (!count) {
		f->nfail = 0;
		return;
	}
	ck_assert_uint_lt(f->nfail, sizeof(f->fail) / sizeof(f->fail[0]));
	r = &f->fail[f->nfail++];
	r->type = type;
	r->proto = proto;
	r->err = err;
	r->count = count;
	snprintf(r->text, sizeof(r->text), "%s", text ? text : "");
}

void fake_interrupt_dumps(struct fake *f, int n)
{
	f->dump_intr = n;
}

void fake_mute_next(struct fake *f)
{
	f->mute = true;
}

bool fake_set_counters(struct fake *f, uint32_t spi, uint64_t bytes, uint64_t packets,
		       uint32_t integrity_failed)
{
	size_t i;

	for (i = 0; i < f->nsa; i++) {
		struct xm_msg m = f->sa[i].m;

		if (m.sa.spi != htonl(spi))
			continue;
		m.sa.curlft.bytes = bytes;
		m.sa.curlft.packets = packets;
		m.sa.stats.integrity_failed = integrity_failed;
		hobj_set(&f->sa[i], &m);
		return true;
	}
	return false;
}

bool fake_set_oseq(struct fake *f, uint32_t spi, uint64_t oseq)
{
	size_t i;

	for (i = 0; i < f->nsa; i++) {
		struct xm_msg m = f->sa[i].m;

		if (m.sa.spi != htonl(spi))
			continue;
		/* as the kernel counts: in the state's replay attribute */
		if (xm_state_set_oseq(&m.sa, oseq) < 0)
			return false;
		hobj_set(&f->sa[i], &m);
		return true;
	}
	return false;
}

size_t fake_nstates(const struct fake *f)
{
	return f->nsa;
}

size_t fake_npolicies(const struct fake *f)
{
	return f->nsp;
}

const struct xm_state *fake_state(const struct fake *f, size_t n)
{
	return n < f->nsa ? &f->sa[n].m.sa : NULL;
}

const struct xm_policy *fake_policy(const struct fake *f, size_t n)
{
	return n < f->nsp ? &f->sp[n].m.sp : NULL;
}

unsigned long fake_requests(const struct fake *f, uint16_t type)
{
	return type ? f->nreq_type[type & 0xff] : f->nreq;
}
