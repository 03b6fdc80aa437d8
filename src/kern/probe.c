/* probe.c: trial adds in a throw-away network namespace, cached per state
 * shape (probe.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include "hash.h"
#include "probe.h"

struct probe_ent {
	char *key;
	int err;              /* 0 or the kernel's -errno */
	struct reason text;
};

struct probe {
	struct probe_ent *e;
	size_t n;
	struct hidx idx;      /* hash_str(key) -> index into e */
	probe_open_fn open;
	void *arg;
};

/* The work of one probe thread. */
struct probe_job {
	const struct probe *p;
	const struct xm_state **st;
	size_t n;
	int *err;             /* per state: 0 or -errno */
	struct reason *text;
	int setup_err;
	struct reason setup;
};

/* unshare() moves only the calling thread into the new namespace; it dies
 * with the thread and the socket. */
static int netns_open(void *arg, struct nlsock **out, struct reason *why)
{
	int r;

	(void)arg;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		reason_set(why, "cannot create a probe network namespace: %s", strerror(-r));
		return r;
	}
	r = nlsock_open(out, NETLINK_XFRM, NULL, 0);
	if (r)
		reason_set(why, "no XFRM netlink: %s", strerror(-r));
	return r;
}

int probe_new(struct probe **out, probe_open_fn open, void *arg)
{
	struct probe *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p || hidx_init(&p->idx, 16)) {
		free(p);
		return -ENOMEM;
	}
	p->open = open ? open : netns_open;
	p->arg = arg;
	*out = p;
	return 0;
}

void probe_free(struct probe *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->e[i].key);
	free(p->e);
	hidx_free(&p->idx);
	free(p);
}

static void *probe_thread(void *arg)
{
	struct probe_job *j = arg;
	struct nlsock *s = NULL;
	size_t i;

	j->setup_err = j->p->open(j->p->arg, &s, &j->setup);
	if (j->setup_err)
		return NULL;
	for (i = 0; i < j->n; i++) {
		struct xm_msg m;
		struct nlmsghdr *h;

		memset(&m, 0, sizeof(m));
		m.type = XFRM_MSG_NEWSA;
		m.nlflags = NLM_F_CREATE | NLM_F_EXCL;
		m.sa = *j->st[i];
		j->err[i] = xm_build(&m, &h);
		if (j->err[i]) {
			reason_set(&j->text[i], "cannot build the request: %s", strerror(-j->err[i]));
			continue;
		}
		j->err[i] = nlsock_request(s, h, NULL, NULL, &j->text[i]);
		xm_free(h);
	}
	nlsock_close(s);
	return NULL;
}

/* What the kernel must support for @s: "proto/mode/family/flags/replay"
 * then "/attr:name:key bits:ICV bits" per algorithm. */
static char *shape_key(const struct xm_state *s)
{
	const struct {
		int type;
		const struct xm_alg *a;
	} algs[] = {
		{ XFRMA_ALG_CRYPT, &s->crypt },
		{ XFRMA_ALG_AEAD, &s->aead },
		{ s->auth_trunc ? XFRMA_ALG_AUTH_TRUNC : XFRMA_ALG_AUTH, &s->auth },
		{ XFRMA_ALG_COMP, &s->comp },
	};
	char buf[512];
	size_t off, i;

	off = (size_t)snprintf(buf, sizeof(buf), "%u/%u/%u/%x/%s", s->proto, s->mode, s->family,
			       s->flags, s->has_replay_esn ? "bmp" : "legacy");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]) && off < sizeof(buf); i++) {
		if (!algs[i].a->present)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "/%d:%s:%u:%u", algs[i].type,
					algs[i].a->name, algs[i].a->key_bits, algs[i].a->icv_bits);
	}
	return strdup(buf);
}

static const struct probe_ent *cached(const struct probe *p, const char *key)
{
	size_t pos = 0, v;

	while (hidx_next(&p->idx, hash_str(HASH_INIT, key), &pos, &v))
		if (!strcmp(p->e[v].key, key))
			return &p->e[v];
	return NULL;
}

/* Keep the answer for @key (taken over).  Out of memory: not kept. */
static void remember(struct probe *p, char *key, int err, const struct reason *text)
{
	struct probe_ent *e = realloc(p->e, (p->n + 1) * sizeof(*e));

	if (!e || hidx_put(&p->idx, hash_str(HASH_INIT, key), p->n)) {
		if (e)
			p->e = e;
		free(key);
		return;
	}
	p->e = e;
	e[p->n].key = key;
	e[p->n].err = err;
	e[p->n].text = *text;
	p->n++;
}

/* Run the @j->n uncached states in a probe thread; cache the answers. */
static int run_job(struct probe *p, struct probe_job *j, char **keys, struct reason *why)
{
	pthread_t th;
	size_t i;
	int ret = 0;

	if (pthread_create(&th, NULL, probe_thread, j)) {
		reason_set(why, "cannot start the probe thread");
		return -EAGAIN;
	}
	pthread_join(th, NULL);
	if (j->setup_err) {
		*why = j->setup;
		return j->setup_err;
	}
	for (i = 0; i < j->n; i++) {
		if (j->err[i] && !ret) {
			ret = j->err[i];
			*why = j->text[i];
		}
		remember(p, keys[i], j->err[i], &j->text[i]);
		keys[i] = NULL;
	}
	return ret;
}

int probe_states(struct probe *p, const struct xm_state *st, size_t n, struct reason *why)
{
	struct probe_job j = { .p = p };
	char **keys = calloc(n + 1, sizeof(*keys));
	size_t i;
	int ret = 0;

	reason_set(why, "%s", "");
	j.st = calloc(n + 1, sizeof(*j.st));
	j.err = calloc(n + 1, sizeof(*j.err));
	j.text = calloc(n + 1, sizeof(*j.text));
	if (!keys || !j.st || !j.err || !j.text) {
		ret = -ENOMEM;
		goto out;
	}
	/* Cached shapes answer at once; the rest go to one probe thread. */
	for (i = 0; i < n && !ret; i++) {
		char *key = shape_key(&st[i]);
		const struct probe_ent *e;

		if (!key) {
			ret = -ENOMEM;
			break;
		}
		e = cached(p, key);
		if (!e) {
			keys[j.n] = key;
			j.st[j.n++] = &st[i];
			continue;
		}
		free(key);
		if (e->err) {
			ret = e->err;
			*why = e->text;
		}
	}
	if (!ret && j.n)
		ret = run_job(p, &j, keys, why);
out:
	if (ret == -ENOMEM)
		reason_set(why, "out of memory");
	for (i = 0; keys && i < j.n; i++)
		free(keys[i]);
	free(keys);
	free(j.st);
	free(j.err);
	free(j.text);
	return ret;
}
