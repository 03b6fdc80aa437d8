/* worker.c: the datapath's send and receive threads (worker.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "seqstore.h"
#include "worker.h"
#include "xform.h"

#define WORKER_OFFLINE (1ull << 63)
#define FLOW_CACHE 4

/* Counts of one batch, added to the shared atomics once per batch. */
struct tally {
	uint64_t tx_packets, tx_errors, tun_packets, tun_malformed, tun_no_group, tun_write_errors;
	uint64_t rx_packets, not_ours, malformed;
};

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
	if (n)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- quiescence ---- */

static void worker_quiescent(struct worker *w)
{
	atomic_store(&w->qs, atomic_load(&w->core->gen));
}

static void worker_offline(struct worker *w)
{
	atomic_store(&w->qs, WORKER_OFFLINE);
}

void core_synchronize(struct dp_core *c, struct worker *const *w, unsigned n)
{
	uint64_t gen = atomic_fetch_add(&c->gen, 1) + 1;

	for (unsigned i = 0; i < n; i++) {
		while (w[i]->started) {
			uint64_t qs = atomic_load(&w[i]->qs);

			if ((qs & WORKER_OFFLINE) || qs >= gen)
				break;
			nanosleep(&(struct timespec){ 0, 20000 }, NULL);
		}
	}
}

/* ---- send: TUN -> network ---- */

struct flow_cache {
	struct spd_flow flow[FLOW_CACHE];
	const struct xf_group *g[FLOW_CACHE];
	unsigned n, next;
};

static const struct xf_group *flow_group(struct flow_cache *fc, const struct spd *t,
					 const struct spd_flow *f)
{
	const struct xf_group *g;

	for (unsigned i = 0; i < fc->n; i++)
		if (spd_flow_equal(&fc->flow[i], f))
			return fc->g[i];
	g = spd_out_lookup(t, f);
	fc->flow[fc->next] = *f;
	fc->g[fc->next] = g;
	fc->next = (fc->next + 1) % FLOW_CACHE;
	if (fc->n < FLOW_CACHE)
		fc->n++;
	return g;
}

/* Has an SA of @g gone past half of its reserved block? */
static bool seq_low(const struct xf_group *g)
{
	for (unsigned k = 0; k < g->g->nsa; k++) {
		uint8_t proto = g->g->sa[k].said.proto;
		const struct sa_live *l = g->live[k];

		if (proto != SAID_PROTO_ESP && proto != SAID_PROTO_AH)
			continue;
		if (atomic_load_explicit(&l->seq_next, memory_order_relaxed) + SEQSTORE_BLOCK / 2 >=
		    atomic_load_explicit(&l->seq_limit, memory_order_relaxed))
			return true;
	}
	return false;
}

/* Too big for @g: the ICMP error back into the TUN, the drop counted on
 * the outermost SA. */
static void tx_too_big(struct worker *w, const struct xf_group *g, struct pkt *p,
		       struct tally *t)
{
	struct sa_live *l = g->live[g->g->nsa - 1];

	atomic_fetch_add_explicit(&l->drop[DP_DROP_MTU], 1, memory_order_relaxed);
	pkt_reset(&w->spare);
	if (!xf_icmp_too_big(p, g->mtu, &w->spare) &&
	    write(w->core->tun_fd, pkt_data(&w->spare), w->spare.len) < 0)
		t->tun_write_errors++;
}

/* Transform @p for its group; true when it is ready to send.  *@kick: a
 * group used is short of sequence numbers. */
static bool tx_one(struct worker *w, const struct spd *tab, struct flow_cache *fc,
		   struct pkt *p, struct tally *t, bool *kick)
{
	const struct xf_group *g;
	struct spd_flow f;

	if (spd_flow_parse(pkt_data(p), p->len, &f)) {
		t->tun_malformed++;
		return false;
	}
	g = flow_group(fc, tab, &f);
	if (!g) {
		t->tun_no_group++;
		return false;
	}
	if (p->len > g->mtu) {
		tx_too_big(w, g, p, t);
		return false;
	}
	if (xf_encap(g, p, w->xs))
		return false; /* counted on the SA */
	if (!*kick && seq_low(g))
		*kick = true;
	return true;
}

/* Send @n messages from @m on @fd; failures counted and skipped. */
static void tx_flush(int fd, struct mmsghdr *m, unsigned n, struct tally *t)
{
	unsigned sent = 0;

	while (sent < n) {
		int r = sendmmsg(fd, m + sent, n - sent, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			t->tx_errors++;
			sent++;
		} else {
			t->tx_packets += (unsigned)r;
			sent += (unsigned)r;
		}
	}
}

/* Point message @i at packet @p's outer destination; false when @p is not
 * a whole IP header. */
static bool tx_address(struct worker *w, unsigned i, const struct pkt *p, struct mmsghdr *m)
{
	const uint8_t *d = pkt_data(p);
	union dp_sockaddr *a = &w->addr[i];

	memset(a, 0, sizeof(*a));
	if (p->len >= 20 && d[0] >> 4 == 4) {
		a->in.sin_family = AF_INET;
		memcpy(&a->in.sin_addr, d + 16, 4);
		m->msg_hdr.msg_namelen = sizeof(a->in);
	} else if (p->len >= 40 && d[0] >> 4 == 6) {
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, d + 24, 16);
		m->msg_hdr.msg_namelen = sizeof(a->in6);
	} else {
		return false;
	}
	m->msg_hdr.msg_name = a;
	w->iov[i].iov_base = pkt_data(p);
	w->iov[i].iov_len = p->len;
	m->msg_hdr.msg_iov = &w->iov[i];
	m->msg_hdr.msg_iovlen = 1;
	return true;
}

/* Read up to a batch from the TUN, transform and send it.  Return the
 * number of packets read (fewer than a batch: the TUN is empty). */
static unsigned tx_batch(struct worker *w)
{
	struct dp_core *c = w->core;
	struct mmsghdr m4[DP_BATCH_MAX], m6[DP_BATCH_MAX];
	struct flow_cache fc = { .n = 0 };
	struct tally t = { 0 };
	unsigned n = 0, n4 = 0, n6 = 0;
	const struct spd *tab;
	bool kick = false;

	for (; n < c->batch; n++) {
		struct pkt *p = &w->pkt[n];
		ssize_t r;

		pkt_reset(p);
		r = read(c->tun_fd, pkt_data(p), PKT_MAX_IP);
		if (r <= 0)
			break;
		p->len = (size_t)r;
	}
	if (!n)
		return 0;
	t.tun_packets = n;
	tab = atomic_load(&c->spd);
	for (unsigned i = 0; i < n; i++) {
		struct pkt *p = &w->pkt[i];
		bool v6;

		if (!tx_one(w, tab, &fc, p, &t, &kick))
			continue;
		v6 = pkt_data(p)[0] >> 4 == 6;
		if (v6 && c->socks.tx6 < 0) {
			t.tx_errors++;
			continue;
		}
		if (v6 && tx_address(w, i, p, &m6[n6]))
			n6++;
		else if (!v6 && tx_address(w, i, p, &m4[n4]))
			n4++;
		else
			t.tx_errors++;
	}
	tx_flush(c->socks.tx4, m4, n4, &t);
	tx_flush(c->socks.tx6, m6, n6, &t);
	worker_quiescent(w);
	if (kick)
		(void)write(c->seq_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	add(&c->tun_packets, t.tun_packets);
	add(&c->tun_malformed, t.tun_malformed);
	add(&c->tun_no_group, t.tun_no_group);
	add(&c->tun_write_errors, t.tun_write_errors);
	add(&c->tx_packets, t.tx_packets);
	add(&c->tx_errors, t.tx_errors);
	return n;
}

static void *tx_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[2] = {
		{ .fd = w->core->tun_fd, .events = POLLIN },
		{ .fd = w->core->stop_fd, .events = POLLIN },
	};

	for (;;) {
		worker_offline(w);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		worker_quiescent(w);
		if (pfd[1].revents)
			break;
		while (tx_batch(w) == w->core->batch)
			;
	}
	return NULL;
}

/* ---- receive: network -> TUN ---- */

struct key_cache {
	bool valid;
	struct xf_key key;
	const struct xf_group *g;
	unsigned sa;
};

static bool key_equal(const struct xf_key *a, const struct xf_key *b)
{
	if (a->family != b->family || a->proto != b->proto || !ip_addr_equal(&a->dst, &b->dst))
		return false;
	if (a->proto == 4 || a->proto == 41)
		return ip_addr_equal(&a->src, &b->src);
	return a->spi == b->spi;
}

/* An IPv6 datagram read from AF_PACKET may carry link-layer padding:
 * cut it to its payload length. */
static void rx_trim6(struct pkt *p)
{
	const uint8_t *d = pkt_data(p);
	size_t len;

	if (p->len < 40)
		return;
	len = 40 + ((size_t)d[4] << 8 | d[5]);
	if (len < p->len)
		(void)pkt_trim(p, len);
}

static void rx_one(struct worker *w, const struct spd *tab, unsigned si, struct pkt *p,
		   struct key_cache *kc, struct tally *t)
{
	struct xf_key key;
	const struct xf_group *g;
	unsigned sa;
	int r;

	if (si == DP_RX_IP6)
		rx_trim6(p);
	memset(&key, 0, sizeof(key));
	r = xf_peek(p, &key);
	if (r == -EPROTONOSUPPORT) {
		t->not_ours++;
		return;
	}
	if (r) {
		t->malformed++;
		return;
	}
	if (kc->valid && key_equal(&kc->key, &key)) {
		g = kc->g;
		sa = kc->sa;
	} else {
		g = spd_in_lookup(tab, &key, &sa);
		*kc = (struct key_cache){ true, key, g, sa };
	}
	if (!g) {
		t->not_ours++;
		return;
	}
	if (xf_decap(g, sa, p, w->xs))
		return; /* counted on the SA, or a dummy packet */
	if (write(w->core->tun_fd, pkt_data(p), p->len) < 0)
		t->tun_write_errors++;
}

/* One recvmmsg() batch from socket @si.  Return the packets read. */
static unsigned rx_batch(struct worker *w, unsigned si)
{
	struct dp_core *c = w->core;
	struct key_cache kc = { .valid = false };
	struct tally t = { 0 };
	const struct spd *tab;
	int n;

	for (unsigned i = 0; i < c->batch; i++) {
		pkt_reset(&w->pkt[i]);
		w->msg[i].msg_hdr.msg_namelen = sizeof(w->addr[i]);
		w->msg[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(c->socks.rx[si], w->msg, c->batch, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	tab = atomic_load(&c->spd);
	for (int i = 0; i < n; i++) {
		struct pkt *p = &w->pkt[i];

		p->len = w->msg[i].msg_len;
		if (w->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			t.malformed++;
			continue;
		}
		rx_one(w, tab, si, p, &kc, &t);
	}
	worker_quiescent(w);
	add(&c->rx[si].packets, (uint64_t)n);
	add(&c->rx[si].not_ours, t.not_ours);
	add(&c->rx[si].malformed, t.malformed);
	add(&c->tun_write_errors, t.tun_write_errors);
	return (unsigned)n;
}

static void *rx_main(void *arg)
{
	struct worker *w = arg;
	struct dp_core *c = w->core;
	struct pollfd pfd[DP_RX_NR + 1];
	unsigned sock[DP_RX_NR], n = 0;

	for (unsigned i = 0; i < DP_RX_NR; i++) {
		if (c->socks.rx[i] < 0)
			continue;
		pfd[n] = (struct pollfd){ .fd = c->socks.rx[i], .events = POLLIN };
		sock[n++] = i;
	}
	pfd[n] = (struct pollfd){ .fd = c->stop_fd, .events = POLLIN };
	for (;;) {
		worker_offline(w);
		if (poll(pfd, n + 1, -1) < 0 && errno != EINTR)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		worker_quiescent(w);
		if (pfd[n].revents)
			break;
		for (unsigned i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				(void)rx_batch(w, sock[i]);
	}
	return NULL;
}

/* ---- set-up ---- */

static void worker_free(struct worker *w)
{
	if (w->buf)
		munmap(w->buf, w->buf_len);
	w->buf = NULL;
	xf_scratch_free(w->xs);
	w->xs = NULL;
}

int worker_start(struct worker *w, struct dp_core *core, bool tx, struct reason *why)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->core = core;
	w->tx = tx;
	atomic_init(&w->qs, WORKER_OFFLINE);
	w->buf_len = (core->batch + 1) * (size_t)PKT_BUF_SIZE;
	w->buf = mmap(NULL, w->buf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->buf == MAP_FAILED) {
		w->buf = NULL;
		reason_set(why, "datapath buffers: %s", strerror(errno));
		return -ENOMEM;
	}
	ret = xf_scratch_new(&w->xs);
	if (ret) {
		reason_set(why, "datapath scratch: %s", strerror(-ret));
		goto fail;
	}
	for (unsigned i = 0; i < core->batch; i++) {
		pkt_init(&w->pkt[i], w->buf + i * (size_t)PKT_BUF_SIZE, PKT_BUF_SIZE);
		w->iov[i].iov_base = pkt_data(&w->pkt[i]);
		w->iov[i].iov_len = PKT_MAX_IP;
		w->msg[i].msg_hdr.msg_iov = &w->iov[i];
		w->msg[i].msg_hdr.msg_iovlen = 1;
		w->msg[i].msg_hdr.msg_name = &w->addr[i];
	}
	pkt_init(&w->spare, w->buf + core->batch * (size_t)PKT_BUF_SIZE, PKT_BUF_SIZE);
	ret = -pthread_create(&w->thread, NULL, tx ? tx_main : rx_main, w);
	if (ret) {
		reason_set(why, "datapath thread: %s", strerror(-ret));
		goto fail;
	}
	w->started = true;
	return 0;
fail:
	worker_free(w);
	return ret;
}

void worker_stop(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
	worker_free(w);
}
