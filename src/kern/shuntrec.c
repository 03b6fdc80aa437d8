/* shuntrec.c: the record of our template-less policies (shuntrec.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "hash.h"
#include "log.h"
#include "shuntrec.h"
#include "statefile.h"
#include "strbuf.h"
#include "xfrm_own.h"

#define SHUNT_SLACK 1024u
#define SHUNT_MAGIC "spigrpd shunt policies v1"
#define SHUNT_LINE 256

struct ent {
	struct shunt s;
	bool dead;            /* dropped; its index slot is reused at the next rebuild */
	bool seen;            /* shuntrec_sync_*(): found in the kernel */
};

struct shuntrec {
	struct ent *e;
	size_t n, live, cap;
	struct hidx idx;      /* key hash -> index into e (dead ones included) */
	char *dir, *path;     /* NULL: no state dir, the record is kept in memory only */
	char header[160];     /* the first line for this network namespace and boot */
	int fd;               /* the file, opened O_APPEND, or -1 */
	size_t lines;         /* change lines in the file after its header */
	bool appendable;      /* the file is ours and ends with a whole line */
	bool warned;
};

/* ---- in memory ---- */

static void shunt_of(const struct xm_policy *p, struct shunt *s)
{
	memset(s, 0, sizeof(*s));
	xm_policy_key(p, &s->key);
	s->priority = p->priority;
	s->action = p->action;
}

static struct ent *find(const struct shuntrec *r, const struct shunt *key)
{
	size_t pos = 0, v;

	while (hidx_next(&r->idx, xm_key_hash(&key->key), &pos, &v))
		if (!r->e[v].dead && xm_key_equal(&r->e[v].s.key, &key->key))
			return &r->e[v];
	return NULL;
}

/* Drop dead entries and index the rest anew. */
static void compact(struct shuntrec *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (!r->e[i].dead)
			r->e[n++] = r->e[i];
	r->n = n;
	hidx_reset(&r->idx);
	for (i = 0; i < n; i++)
		hidx_put(&r->idx, xm_key_hash(&r->e[i].s.key), i); /* room: it held more before */
}

/* Add @s or update its entry.  1 changed, 0 no change, -ENOMEM. */
static int put(struct shuntrec *r, const struct shunt *s)
{
	struct ent *e = find(r, s);

	if (e) {
		if (e->s.priority == s->priority && e->s.action == s->action)
			return 0;
		e->s.priority = s->priority;
		e->s.action = s->action;
		return 1;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct ent *ne;

		if (r->n > 2 * r->live + 64) {
			compact(r);
			return put(r, s);
		}
		ne = realloc(r->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		r->e = ne;
		r->cap = cap;
	}
	if (hidx_put(&r->idx, xm_key_hash(&s->key), r->n))
		return -ENOMEM;
	memset(&r->e[r->n], 0, sizeof(r->e[r->n]));
	r->e[r->n++].s = *s;
	r->live++;
	return 1;
}

static bool drop(struct shuntrec *r, const struct shunt *s)
{
	struct ent *e = find(r, s);

	if (!e)
		return false;
	e->dead = true;
	r->live--;
	return true;
}

static void clear(struct shuntrec *r)
{
	r->n = r->live = 0;
	hidx_reset(&r->idx);
}

/* ---- the file ---- */

static void warn_once(struct shuntrec *r, const char *what, int err)
{
	if (r->warned)
		return;
	r->warned = true;
	log_warn("xfrm: shunt policy record %s: %s: %s (if the daemon dies now, the next start "
		 "takes the shunt policies left behind for someone else's and leaves them)",
		 r->path, what, strerror(-err));
}

/* "+ out 10.9.1.0/24 10.9.2.0/24 0 0/0 0/0 0 0 0/0 1065792 allow\n": op,
 * dir, source and destination prefix, proto, sport/mask and dport/mask
 * (host order), ifindex, user, mark value/mask, priority, action.
 * Return: the length, or -EINVAL (not a selector we record). */
static int format_line(char *buf, size_t len, char op, const struct shunt *s)
{
	const struct xfrm_selector *l = &s->key.sel;
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int n;

	if ((l->family != AF_INET && l->family != AF_INET6) || s->action > XFRM_POLICY_BLOCK ||
	    !inet_ntop(l->family, &l->saddr, sa, sizeof(sa)) ||
	    !inet_ntop(l->family, &l->daddr, da, sizeof(da)))
		return -EINVAL;
	n = snprintf(buf, len, "%c %s %s/%u %s/%u %u %u/%u %u/%u %d %u %u/%u %u %s\n", op,
		     xm_dir_name(s->key.dir), sa, l->prefixlen_s, da, l->prefixlen_d, l->proto,
		     ntohs(l->sport), ntohs(l->sport_mask), ntohs(l->dport), ntohs(l->dport_mask),
		     l->ifindex, (unsigned)l->user, s->key.mark.v, s->key.mark.m, s->priority,
		     s->action == XFRM_POLICY_BLOCK ? "block" : "allow");
	return n > 0 && (size_t)n < len ? n : -EINVAL;
}

static bool parse_dir(const char *t, uint8_t *dir)
{
	static const uint8_t dirs[] = { XFRM_POLICY_IN, XFRM_POLICY_OUT, XFRM_POLICY_FWD };
	size_t i;

	for (i = 0; i < sizeof(dirs); i++) {
		if (!strcmp(t, xm_dir_name(dirs[i]))) {
			*dir = dirs[i];
			return true;
		}
	}
	return false;
}

/* One line of format_line() back.  False: not such a line (complete with
 * its newline). */
static bool parse_line(const char *line, char *op, struct shunt *s)
{
	char o, dir[4], sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], act[6];
	unsigned ls, ld, proto, sp, spm, dp, dpm, user, mv, mm, prio, max = 128;
	int ifindex, end = -1, fam = AF_INET6;

	if (sscanf(line, "%c %3s %45[0-9a-fA-F.:]/%u %45[0-9a-fA-F.:]/%u %u %u/%u %u/%u %d %u %u/%u %u %5s%n",
		   &o, dir, sa, &ls, da, &ld, &proto, &sp, &spm, &dp, &dpm, &ifindex, &user, &mv, &mm,
		   &prio, act, &end) != 17 || end < 0 || strcmp(line + end, "\n"))
		return false;
	struct xfrm_selector *l = &s->key.sel;

	memset(s, 0, sizeof(*s));
	if (inet_pton(AF_INET, sa, &l->saddr) == 1 && inet_pton(AF_INET, da, &l->daddr) == 1) {
		fam = AF_INET;
		max = 32;
	} else {
		memset(s, 0, sizeof(*s));
		if (inet_pton(AF_INET6, sa, &l->saddr) != 1 || inet_pton(AF_INET6, da, &l->daddr) != 1)
			return false;
	}
	if ((o != '+' && o != '-') || ls > max || ld > max || proto > 255 || sp > 0xffff ||
	    spm > 0xffff || dp > 0xffff || dpm > 0xffff || !xfrm_own_priority(prio) ||
	    !parse_dir(dir, &s->key.dir))
		return false;
	if (!strcmp(act, "allow"))
		s->action = XFRM_POLICY_ALLOW;
	else if (!strcmp(act, "block"))
		s->action = XFRM_POLICY_BLOCK;
	else
		return false;
	s->key.policy = 1;
	l->family = (uint16_t)fam;
	l->prefixlen_s = (uint8_t)ls;
	l->prefixlen_d = (uint8_t)ld;
	l->proto = (uint8_t)proto;
	l->sport = htons((uint16_t)sp);
	l->sport_mask = htons((uint16_t)spm);
	l->dport = htons((uint16_t)dp);
	l->dport_mask = htons((uint16_t)dpm);
	l->ifindex = ifindex;
	l->user = user;
	s->key.mark.v = mv;
	s->key.mark.m = mm;
	s->priority = prio;
	*op = o;
	return true;
}

/* Write the whole record anew, durably.  0 or -errno (warned once). */
static int rewrite(struct shuntrec *r)
{
	struct strbuf b = STRBUF_INIT;
	char line[SHUNT_LINE];
	size_t i;
	int ret;

	if (!r->path)
		return 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->appendable = false;
	strbuf_puts(&b, r->header);
	for (i = 0; i < r->n; i++)
		if (!r->e[i].dead && format_line(line, sizeof(line), '+', &r->e[i].s) > 0)
			strbuf_puts(&b, line);
	ret = b.oom ? -ENOMEM : mkdir_p(r->dir, 0755, 1);
	if (!ret)
		ret = statefile_write(r->path, b.s, b.len, 0600);
	strbuf_free(&b);
	if (ret) {
		warn_once(r, "cannot write it", ret);
		return ret;
	}
	r->appendable = true;
	r->lines = 0;
	return 0;
}

/* Put one change of @s (already made in memory) into the file. */
static void journal(struct shuntrec *r, char op, const struct shunt *s)
{
	char line[SHUNT_LINE];
	int n;

	if (!r->path)
		return;
	if (!r->appendable || r->lines >= 2 * r->live + SHUNT_SLACK) {
		rewrite(r);
		return;
	}
	n = format_line(line, sizeof(line), op, s);
	if (n < 0)
		return;
	if (r->fd < 0)
		r->fd = open(r->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (r->fd < 0 || write(r->fd, line, (size_t)n) != n) {
		/* gone, or a torn line (which reads as nothing): write anew */
		rewrite(r);
		return;
	}
	r->lines++;
}

/* The first line for this network namespace and boot. */
static void make_header(char *buf, size_t len)
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

/* The change lines after the header. */
static void load_lines(struct shuntrec *r, FILE *f, char **line, size_t *cap)
{
	size_t bad = 0;
	ssize_t n;

	while ((n = getline(line, cap, f)) > 0) {
		struct shunt s;
		char op;

		r->lines++;
		if ((*line)[n - 1] != '\n')
			r->appendable = false; /* torn: write anew before appending */
		if (!parse_line(*line, &op, &s)) {
			bad++;
			continue;
		}
		if (op == '-')
			drop(r, &s);
		else if (put(r, &s) < 0)
			bad++;
	}
	if (bad)
		log_warn("xfrm: shunt policy record %s: %zu line%s ignored", r->path, bad,
			 bad == 1 ? "" : "s");
	log_debug("xfrm: shunt policy record %s: %zu polic%s", r->path, r->live,
		  r->live == 1 ? "y" : "ies");
}

static void load(struct shuntrec *r)
{
	size_t cap = 0;
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
	if (n > 0 && !strcmp(line, r->header)) {
		r->appendable = true;
		load_lines(r, f, &line, &cap);
	} else if (n > 0 && !strncmp(line, SHUNT_MAGIC " ", strlen(SHUNT_MAGIC " "))) {
		log_info("xfrm: shunt policy record %s is from another network namespace or boot: "
			 "nothing recorded", r->path);
	} else if (n > 0) {
		log_warn("xfrm: %s is no shunt policy record: nothing recorded", r->path);
	}
	free(line);
	fclose(f);
}

/* ---- the interface ---- */

int shuntrec_new(struct shuntrec **out)
{
	struct shuntrec *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r || hidx_init(&r->idx, 64)) {
		free(r);
		return -ENOMEM;
	}
	r->fd = -1;
	*out = r;
	return 0;
}

void shuntrec_set_dir(struct shuntrec *r, const char *dir)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->dir);
	free(r->path);
	r->dir = r->path = NULL;
	clear(r);
	if (!dir)
		return;
	r->dir = strdup(dir);
	if (!r->dir || asprintf(&r->path, "%s/shunts", dir) < 0) {
		free(r->dir);
		r->dir = r->path = NULL;
		log_err("xfrm: out of memory: shunt policies are not recorded");
		return;
	}
	make_header(r->header, sizeof(r->header));
	load(r);
}

void shuntrec_free(struct shuntrec *r)
{
	if (!r)
		return;
	shuntrec_set_dir(r, NULL);
	free(r->e);
	hidx_free(&r->idx);
	free(r);
}

bool shuntrec_holds(const struct shuntrec *r, const struct xm_policy *p)
{
	const struct ent *e;
	struct shunt s;

	if (p->ntmpl || p->ptype != XFRM_POLICY_TYPE_MAIN || p->if_id)
		return false;
	shunt_of(p, &s);
	e = find(r, &s);
	return e && e->s.priority == s.priority && e->s.action == s.action;
}

bool shuntrec_add(struct shuntrec *r, const struct xm_policy *p, struct shunt *prev)
{
	struct ent *e;
	struct shunt s;
	bool had = false;
	int ret;

	shunt_of(p, &s);
	e = find(r, &s);
	if (e) {
		*prev = e->s;
		had = true;
	}
	ret = put(r, &s);
	if (ret > 0)
		journal(r, '+', &s);
	else if (ret < 0)
		warn_once(r, "cannot hold it", ret);
	return had;
}

void shuntrec_forget(struct shuntrec *r, const struct xm_policy *p)
{
	struct shunt s;

	shunt_of(p, &s);
	if (drop(r, &s))
		journal(r, '-', &s);
}

void shuntrec_undo(struct shuntrec *r, const struct xm_policy *p, const struct shunt *prev)
{
	if (!prev)
		shuntrec_forget(r, p);
	else if (put(r, prev) > 0)
		journal(r, '+', prev);
}

void shuntrec_sync_begin(struct shuntrec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		r->e[i].seen = false;
}

void shuntrec_sync_seen(struct shuntrec *r, const struct xm_policy *p)
{
	struct shunt s;
	struct ent *e;

	shunt_of(p, &s);
	e = find(r, &s);
	if (e)
		e->seen = true;
}

size_t shuntrec_sync_end(struct shuntrec *r)
{
	size_t i, dropped = 0;

	for (i = 0; i < r->n; i++) {
		if (!r->e[i].dead && !r->e[i].seen) {
			r->e[i].dead = true;
			r->live--;
			dropped++;
		}
	}
	compact(r);
	rewrite(r);
	return dropped;
}

size_t shuntrec_count(const struct shuntrec *r)
{
	return r->live;
}
