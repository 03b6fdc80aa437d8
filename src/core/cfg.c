/* cfg.c: the spigrpd.conf INI line parser (see cfg.h; cfg_priv.h says how
 * the parser is split over cfg.c, cfg_path.c and cfg_load.c).
 *
 * One strict line parser serves the config and its secrets file.  Lines are
 * "[section]", "key = value", comments ('#' or ';' first) or blank; leading
 * and trailing white space is ignored, there is no line length limit and no
 * continuation.  Errors go to a sink that remembers (file, line) so that the
 * caller sees them sorted in file order even though the checks of a section
 * run when the section ends, and the key checks after the secrets file has
 * been merged.  A message quotes input through cfgp_quote() only, so that
 * no line grows with the input.  Key material is wiped from every buffer
 * that held it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <openssl/crypto.h>

#include "cfg_priv.h"
#include "escape.h"

#define Q(s) cfgp_quote(p, (s)) /* every quote of input in a message */

/* ---- keys ---- */

void cfg_key_clear(struct cfg_key *k)
{
	if (!k)
		return;
	if (k->data) {
		OPENSSL_cleanse(k->data, k->len);
		free(k->data);
	}
	k->data = NULL;
	k->len = 0;
}

int cfg_key_copy(struct cfg_key *dst, const struct cfg_key *src)
{
	dst->data = NULL;
	dst->len = 0;
	if (!src->data || !src->len)
		return 0;
	dst->data = malloc(src->len);
	if (!dst->data)
		return -ENOMEM;
	memcpy(dst->data, src->data, src->len);
	dst->len = src->len;
	return 0;
}

/* ---- error list ---- */

/* "FILE:LINE: TEXT", "FILE: TEXT", "LINE: TEXT" or "TEXT" (malloc'ed). */
static char *locate(const char *file, unsigned line, const char *text)
{
	char *msg = NULL;
	int n;

	if (file && line)
		n = asprintf(&msg, "%s:%u: %s", file, line, text);
	else if (file)
		n = asprintf(&msg, "%s: %s", file, text);
	else if (line)
		n = asprintf(&msg, "%u: %s", line, text);
	else
		n = asprintf(&msg, "%s", text);
	return n < 0 ? NULL : msg;
}

void cfg_errors_add(struct cfg_errors *e, const char *file, unsigned line, const char *fmt, ...)
{
	char *text = NULL, *msg = NULL, **v;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	msg = locate(file, line, text);
	free(text);
	if (!msg)
		return;
	/* may quote raw bytes of the file; never longer than CFG_ERROR_MAX */
	text = escape_text(msg, ESCAPE_NOCAP, CFG_ERROR_MAX);
	if (!text)
		goto out;
	v = realloc(e->msg, (e->n + 1) * sizeof(*v));
	if (!v)
		goto out;
	e->msg = v;
	e->msg[e->n++] = text;
	text = NULL;
out:
	free(msg);
	free(text);
}

void cfg_errors_free(struct cfg_errors *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

/* ---- the sink (cfg_priv.h) ---- */

void cfgp_sink_add(struct err_sink *s, unsigned file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct err_ent *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			s->oom = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s->oom = true;
		return;
	}
	s->v[s->n].file = file;
	s->v[s->n].line = line;
	s->v[s->n].seq = s->n;
	s->v[s->n].msg = msg;
	s->n++;
}

static int err_ent_cmp(const void *a, const void *b)
{
	const struct err_ent *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort, copy into @errs, empty the sink.  Return: the number of errors. */
static size_t sink_flush(struct err_sink *s, struct cfg_errors *errs)
{
	size_t i, n = s->n + (s->oom ? 1 : 0);

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), err_ent_cmp);
	for (i = 0; i < s->n; i++) {
		if (errs)
			cfg_errors_add(errs, s->files[s->v[i].file], s->v[i].line, "%s", s->v[i].msg);
		free(s->v[i].msg);
	}
	if (s->oom && errs)
		cfg_errors_add(errs, s->files[0], 0, "out of memory");
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
	s->oom = false;
	return n;
}

const char *cfgp_quote(struct cfg_parser *p, const char *s)
{
	char **slot = &p->quoted[p->qnext];

	p->qnext = (p->qnext + 1) % CFGP_NQUOTE;
	free(*slot);
	*slot = escape_text(s, ESCAPE_NOCAP, CFG_QUOTE_MAX);
	if (!*slot) {
		p->sink->oom = true;
		return "?";
	}
	return *slot;
}

/* ---- SAID index (duplicate [sa] check, cfg_find_sa, the secrets merge) ---- */

static uint64_t said_hash(const struct said *s)
{
	uint8_t spi[4] = { s->spi >> 24, s->spi >> 16, s->spi >> 8, s->spi };
	uint64_t h = hash_bytes(HASH_INIT, &s->proto, 1);

	h = hash_bytes(h, spi, sizeof(spi));
	h = hash_bytes(h, &s->dst.family, 1);
	return hash_bytes(h, s->dst.b, ip_addr_len(&s->dst));
}

uint64_t cfgp_said_hash(const struct said *s)
{
	return said_hash(s);
}

int cfgp_sa_lookup(const struct cfg *c, const struct said *s, size_t *out)
{
	size_t pos = 0, i;

	if (!c->sa_index) { /* a cfg built by hand */
		for (i = 0; i < c->nsa; i++)
			if (said_equal(&c->sa[i].said, s))
				goto found;
		return -ENOENT;
	}
	while (hidx_next(&c->sa_index->x, said_hash(s), &pos, &i))
		if (said_equal(&c->sa[i].said, s))
			goto found;
	return -ENOENT;
found:
	*out = i;
	return 0;
}

const struct cfg_sa *cfg_find_sa(const struct cfg *c, const struct said *s)
{
	size_t i;

	if (!c || !s)
		return NULL;
	return cfgp_sa_lookup(c, s, &i) ? NULL : &c->sa[i];
}

/* Index of the group named @name, or -ENOENT. */
static int group_lookup(const struct cfg_parser *p, const char *name, size_t *out)
{
	size_t pos = 0, i;

	while (hidx_next(&p->group_idx, hash_str(HASH_INIT, name), &pos, &i)) {
		if (!strcmp(p->c->group[i].name, name)) {
			*out = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- freeing ---- */

void cfg_free(struct cfg *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nsa; i++) {
		cfg_key_clear(&c->sa[i].enckey);
		cfg_key_clear(&c->sa[i].authkey);
	}
	free(c->sa);
	for (i = 0; i < c->ngroup; i++)
		free(c->group[i].name);
	free(c->group);
	if (c->sa_index)
		hidx_free(&c->sa_index->x);
	free(c->sa_index);
	free(c->path);
	free(c->mount);
	free(c->control);
	free(c->state_dir);
	free(c->secrets);
	free(c->control_group);
	free(c->tun_device);
	free(c);
}

/* ---- key tables ---- */

const char *const cfgp_daemon_keys[D_NKEYS] = {
	[D_MOUNT] = "mount",
	[D_CONTROL] = "control",
	[D_STATE_DIR] = "state-dir",
	[D_DATAPATH] = "datapath",
	[D_SAID_FORMAT] = "said-format",
	[D_SECRETS] = "secrets",
	[D_INSTALL_ROUTES] = "install-routes",
	[D_KEEP_ON_EXIT] = "keep-on-exit",
	[D_CONTROL_GROUP] = "control-group",
	[D_ROUTE_TABLE] = "route-table",
	[D_TUN_DEVICE] = "tun-device",
	[D_FWMARK] = "fwmark",
	[D_DP_BATCH] = "dp-batch",
};

const char *const cfgp_sa_keys[S_NKEYS] = {
	[S_SRC] = "src",
	[S_DIR] = "dir",
	[S_MODE] = "mode",
	[S_ENC] = "enc",
	[S_ENCKEY] = "enckey",
	[S_AUTH] = "auth",
	[S_AUTHKEY] = "authkey",
	[S_COMP] = "comp",
	[S_REPLAY] = "replay-window",
	[S_ESN] = "esn",
	[S_AH_ALIGN] = "ah-align",
	[S_LIFE_BYTES] = "life-bytes",
	[S_LIFE_PACKETS] = "life-packets",
	[S_LIFE_SECONDS] = "life-seconds",
};

static const char *const group_keys[G_NKEYS] = {
	[G_SAID] = "said",
	[G_SRC_TS] = "src-ts",
	[G_DST_TS] = "dst-ts",
	[G_PROTO] = "proto",
	[G_SPORT] = "sport",
	[G_DPORT] = "dport",
	[G_DATAPATH] = "datapath",
	[G_PRIORITY] = "priority",
};

static int key_lookup(const char *const *tab, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(tab[i], key))
			return i;
	return -1;
}

/* ---- the parser ---- */

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '-' ||
	       ch == '_';
}

/* Trim white space in place; returns the new start, *end moved back. */
static char *trim(char *s, char **end)
{
	char *e = *end;

	while (s < e && is_ws(*s))
		s++;
	while (e > s && is_ws(e[-1]))
		e--;
	*e = '\0';
	*end = e;
	return s;
}

/* Decimal or 0x-hex unsigned number, nothing else.  0 / -EINVAL / -ERANGE. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		d = base == 16 ? hex_val(*s) : (is_digit(*s) ? *s - '0' : -1);
		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_yesno(const char *s, bool *out)
{
	if (!strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_datapath(const char *s, enum cfg_datapath *out)
{
	if (!strcmp(s, "auto"))
		*out = CFG_DP_AUTO;
	else if (!strcmp(s, "kernel"))
		*out = CFG_DP_KERNEL;
	else if (!strcmp(s, "userspace"))
		*out = CFG_DP_USERSPACE;
	else
		return -EINVAL;
	return 0;
}

/*
 * "0x" followed by an even number of hex digits -> malloc'ed bytes.  On
 * failure *why says what is wrong without quoting the key.
 */
static int parse_hexkey(const char *s, struct cfg_key *k, const char **why)
{
	size_t n, i;

	k->data = NULL;
	k->len = 0;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		*why = "expected 0x followed by hex digits";
		return -EINVAL;
	}
	s += 2;
	n = strlen(s);
	for (i = 0; i < n; i++) {
		if (hex_val(s[i]) < 0) {
			*why = "expected 0x followed by hex digits";
			return -EINVAL;
		}
	}
	if (n % 2) {
		*why = "odd number of hex digits";
		return -EINVAL;
	}
	if (!n)
		return 0;
	k->data = malloc(n / 2);
	if (!k->data) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (i = 0; i < n / 2; i++)
		k->data[i] = (uint8_t)(hex_val(s[2 * i]) << 4 | hex_val(s[2 * i + 1]));
	k->len = n / 2;
	return 0;
}

/* "HARD" or "SOFT,HARD"; soft 0 = none; both set: soft < hard. */
static int parse_life(char *s, uint64_t *soft, uint64_t *hard, const char **why)
{
	char *comma = strchr(s, ','), *a, *b, *e;

	*why = "expected HARD or SOFT,HARD";
	if (!comma) {
		*soft = 0;
		return parse_u64(s, UINT64_MAX, hard) ? -EINVAL : 0;
	}
	e = comma;
	a = trim(s, &e);
	e = comma + 1 + strlen(comma + 1);
	b = trim(comma + 1, &e);
	if (parse_u64(a, UINT64_MAX, soft) || parse_u64(b, UINT64_MAX, hard))
		return -EINVAL;
	if (*soft && *hard && *soft >= *hard) {
		*why = "the soft limit must be below the hard limit";
		return -EINVAL;
	}
	return 0;
}

static const char *family_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static const char *proto_article(uint8_t proto)
{
	switch (proto) {
	case SAID_PROTO_ESP:
		return "an ESP SA";
	case SAID_PROTO_AH:
		return "an AH SA";
	case SAID_PROTO_COMP:
		return "a comp SA";
	case SAID_PROTO_TUN:
		return "a tun SA";
	default:
		return "this SA";
	}
}

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? 2 * *cap : 16;
	nv = realloc(v, ncap * size);
	if (!nv)
		return NULL;
	*cap = ncap;
	return nv;
}

struct cfg_parser *cfgp_alloc(const char *file, struct err_sink *sink, unsigned fileidx, bool secrets_only)
{
	struct cfg_parser *p = calloc(1, sizeof(*p));
	struct cfg *c;

	if (!p)
		return NULL;
	c = p->c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->path = strdup(file ? file : "-");
	c->mount = strdup(CFG_DEFAULT_MOUNT);
	c->control = strdup(CFG_DEFAULT_CONTROL);
	c->state_dir = strdup(CFG_DEFAULT_STATE_DIR);
	c->tun_device = strdup(CFG_DEFAULT_TUN_DEVICE);
	c->sa_index = calloc(1, sizeof(*c->sa_index));
	if (!c->path || !c->mount || !c->control || !c->state_dir || !c->tun_device ||
	    !c->sa_index ||
	    hidx_init(&c->sa_index->x, 0) || hidx_init(&p->group_idx, 0))
		goto fail;
	c->datapath = CFG_DP_AUTO;
	c->said_format = CFG_SAID_SEED;
	c->install_routes = true;
	c->keep_on_exit = false;
	c->route_table = CFG_DEFAULT_ROUTE_TABLE;
	c->fwmark = CFG_DEFAULT_FWMARK;
	c->fwmask = CFG_DEFAULT_FWMASK;
	c->dp_batch = CFG_DEFAULT_DP_BATCH;
	p->sink = sink ? sink : &p->own_sink;
	p->file = fileidx;
	p->sink->files[fileidx] = c->path;
	p->secrets_only = secrets_only;
	return p;
fail:
	hidx_free(&p->group_idx);
	cfg_free(p->c);
	free(p);
	return NULL;
}

void cfgp_free(struct cfg_parser *p, bool free_cfg)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->c && i < p->c->nsa; i++)
		free(p->aux[i].text);
	free(p->aux);
	free(p->ts_first);
	hidx_free(&p->group_idx);
	for (i = 0; i < CFGP_NQUOTE; i++)
		free(p->quoted[i]);
	if (p->buf) {
		OPENSSL_cleanse(p->buf, p->bufcap);
		free(p->buf);
	}
	if (free_cfg)
		cfg_free(p->c);
	free(p);
}

struct cfg_parser *cfg_parser_new(const char *file, struct cfg_errors *errs)
{
	struct cfg_parser *p = cfgp_alloc(file, NULL, 0, false);

	if (p)
		p->errs = errs;
	return p;
}

/* ---- section checks ---- */

static void not_valid(struct cfg_parser *p, struct cfg_sa *sa, unsigned line, int key)
{
	perr_at(p, line, "%s is not valid on %s", cfgp_sa_keys[key], proto_article(sa->said.proto));
}

/* Checks of one [sa] that do not depend on its keys (those may come from
 * the secrets file: cfgp_check_sa_keys()). */
static void check_sa(struct cfg_parser *p, size_t i)
{
	struct cfg_sa *sa = &p->c->sa[i];
	struct sa_aux *ax = &p->aux[i];
	const unsigned *seen = ax->seen;
	uint8_t proto = sa->said.proto;
	int k;

	if (!seen[S_SRC])
		perr_at(p, sa->line, "[sa %s]: src is mandatory", ax->text);

	switch (proto) {
	case SAID_PROTO_ESP:
		if (seen[S_COMP])
			not_valid(p, sa, seen[S_COMP], S_COMP);
		if (seen[S_AH_ALIGN])
			not_valid(p, sa, seen[S_AH_ALIGN], S_AH_ALIGN);
		if (sa->enc && sa->enc->kind == ALG_AEAD && seen[S_AUTH])
			perr_at(p, seen[S_AUTH], "auth cannot be combined with AEAD enc %s (it has its own ICV)",
				sa->enc->name);
		if (sa->enc && !strcmp(sa->enc->name, "null") && !seen[S_AUTH])
			perr_at(p, seen[S_ENC], "enc null needs auth (ESP without integrity is refused)");
		if (!seen[S_ENC] && !seen[S_AUTH])
			perr_at(p, sa->line, "[sa %s]: ESP needs enc, auth or both", ax->text);
		break;
	case SAID_PROTO_AH:
		if (seen[S_ENC])
			not_valid(p, sa, seen[S_ENC], S_ENC);
		if (seen[S_COMP])
			not_valid(p, sa, seen[S_COMP], S_COMP);
		if (!seen[S_AUTH])
			perr_at(p, sa->line, "[sa %s]: AH needs auth", ax->text);
		if (seen[S_AH_ALIGN] && sa->ah_align == 32 && sa->said.dst.family == AF_INET6)
			perr_at(p, seen[S_AH_ALIGN],
				"ah-align 32 is for IPv4 only (IPv6 AH is 64-bit aligned, RFC 4302)");
		break;
	case SAID_PROTO_COMP:
		for (k = 0; k < S_NKEYS; k++) {
			if (seen[k] && (k == S_ENC || k == S_AUTH || k == S_REPLAY || k == S_ESN ||
					k == S_AH_ALIGN))
				not_valid(p, sa, seen[k], k);
		}
		if (!seen[S_COMP])
			perr_at(p, sa->line, "[sa %s]: a comp SA needs comp = deflate", ax->text);
		break;
	case SAID_PROTO_TUN:
		for (k = 0; k < S_NKEYS; k++) {
			if (seen[k] && k != S_SRC && k != S_DIR && k != S_MODE && k != S_ENCKEY &&
			    k != S_AUTHKEY)
				not_valid(p, sa, seen[k], k);
		}
		if (seen[S_MODE] && sa->mode == CFG_MODE_TRANSPORT)
			perr_at(p, seen[S_MODE], "mode transport is not valid on a tun SA");
		break;
	}
	if ((proto == SAID_PROTO_ESP || proto == SAID_PROTO_AH) && sa->esn && seen[S_REPLAY] &&
	    sa->replay_window == 0)
		perr_at(p, seen[S_REPLAY], "replay-window 0 needs esn = no (ESN needs a replay window)");
}

/*
 * The enckey/authkey checks, run once every key is where it belongs.  With
 * @keys_elsewhere (a secrets file we did not read) a missing key is no error.
 */
void cfgp_check_sa_keys(struct cfg_parser *p, size_t i, bool keys_elsewhere)
{
	struct cfg_sa *sa = &p->c->sa[i];
	struct sa_aux *ax = &p->aux[i];
	uint8_t proto = sa->said.proto;
	int w;

	for (w = 0; w < 2; w++) {
		int alg_key = w ? S_AUTH : S_ENC, key_key = w ? S_AUTHKEY : S_ENCKEY;
		const struct alg_desc *alg = w ? sa->auth : sa->enc;
		const struct cfg_key *key = w ? &sa->authkey : &sa->enckey;
		bool allowed = w ? proto == SAID_PROTO_ESP || proto == SAID_PROTO_AH
				 : proto == SAID_PROTO_ESP;
		unsigned kline = ax->seen[key_key], kfile = ax->keyfile[w];

		if (w && sa->enc && sa->enc->kind == ALG_AEAD && ax->seen[S_AUTH])
			continue; /* auth itself is refused: check_sa() */
		if (kline) {
			if (!allowed)
				cfgp_sink_add(p->sink, kfile, kline, "%s is not valid on %s", cfgp_sa_keys[key_key],
					 proto_article(proto));
			else if (!ax->seen[alg_key])
				cfgp_sink_add(p->sink, kfile, kline, "%s without %s", cfgp_sa_keys[key_key],
					 cfgp_sa_keys[alg_key]);
			else if (alg && ax->keyok[w] && key->len != alg->key_bytes) {
				if (alg->salt_bytes)
					cfgp_sink_add(p->sink, kfile, kline,
						 "wrong %s length for %s: expected %u bytes (%u key + %u salt), got %zu",
						 cfgp_sa_keys[key_key], alg->name, alg->key_bytes,
						 alg->key_bytes - alg->salt_bytes, alg->salt_bytes, key->len);
				else
					cfgp_sink_add(p->sink, kfile, kline,
						 "wrong %s length for %s: expected %u bytes, got %zu",
						 cfgp_sa_keys[key_key], alg->name, alg->key_bytes, key->len);
			}
		} else if (allowed && alg && alg->key_bytes && !keys_elsewhere) {
			perr_at(p, ax->seen[alg_key], "%s %s needs an %s", cfgp_sa_keys[alg_key], alg->name,
				cfgp_sa_keys[key_key]);
		}
	}
}

static void check_group(struct cfg_parser *p)
{
	struct cfg_group *g = &p->c->group[p->cur];
	const unsigned *seen = p->group_seen;

	if (!seen[G_SAID])
		perr_at(p, g->line, "[group %s]: said is mandatory", Q(g->name));
	if (!seen[G_SRC_TS])
		perr_at(p, g->line, "[group %s]: src-ts is mandatory", Q(g->name));
	if (!seen[G_DST_TS])
		perr_at(p, g->line, "[group %s]: dst-ts is mandatory", Q(g->name));
	if (g->proto != 6 && g->proto != 17 && g->proto != 132) {
		if (g->sport) /* 0 = any: harmless */
			perr_at(p, seen[G_SPORT], "sport needs proto tcp, udp or sctp");
		if (g->dport)
			perr_at(p, seen[G_DPORT], "dport needs proto tcp, udp or sctp");
	}
}

void cfgp_close_section(struct cfg_parser *p)
{
	if (p->sec == SEC_SA && !p->secrets_only)
		check_sa(p, p->cur);
	else if (p->sec == SEC_GROUP)
		check_group(p);
	free(p->ts_first);
	p->ts_first = NULL;
	p->ts_family = 0;
	p->sec = SEC_NONE;
}

/* ---- section headers ---- */

static void open_sa(struct cfg_parser *p, const char *arg)
{
	struct cfg *c = p->c;
	struct cfg_sa *sa;
	struct sa_aux *ax;
	struct said s;
	char err[256];
	size_t first;
	void *v;

	if (!*arg) {
		perr(p, "[sa] needs a SAID, as in [sa esp.100@192.0.2.1]");
		return;
	}
	if (said_parse(arg, &s, err, sizeof(err))) {
		perr(p, "%s", err); /* said.c names the text */
		return;
	}
	if (said_is_magic(&s)) {
		perr(p, "[sa %s]: a magic SAID cannot be configured as an SA", Q(arg));
		return;
	}
	if (s.proto != SAID_PROTO_ESP && s.proto != SAID_PROTO_AH && s.proto != SAID_PROTO_COMP &&
	    s.proto != SAID_PROTO_TUN) {
		perr(p, "[sa %s]: only esp, ah, comp and tun SAs can be configured", Q(arg));
		return;
	}

	v = grow(c->sa, &p->sa_cap, c->nsa, sizeof(*c->sa));
	if (v) {
		c->sa = v;
		v = realloc(p->aux, p->sa_cap * sizeof(*p->aux));
	}
	if (!v) {
		p->sink->oom = true;
		return;
	}
	p->aux = v;
	sa = memset(&c->sa[c->nsa], 0, sizeof(*sa));
	memset(&p->aux[c->nsa], 0, sizeof(*p->aux));
	ax = &p->aux[c->nsa];
	ax->text = escape_text(arg, ESCAPE_NOCAP, CFG_QUOTE_MAX); /* for messages only */
	if (!ax->text) {
		p->sink->oom = true;
		return;
	}
	sa->said = s;
	sa->line = p->lineno;
	sa->dir = CFG_DIR_AUTO;
	sa->mode = CFG_MODE_UNSET;
	if (s.proto == SAID_PROTO_ESP || s.proto == SAID_PROTO_AH) {
		sa->replay_window = 32;
		sa->esn = true;
	}
	if (s.proto == SAID_PROTO_AH)
		sa->ah_align = s.dst.family == AF_INET6 ? 64 : 32;
	p->cur = c->nsa++;
	p->sec = SEC_SA;

	if (!cfgp_sa_lookup(c, &s, &first))
		perr(p, "duplicate [sa %s] (first at line %u)", ax->text, c->sa[first].line);
	else if (hidx_put(&c->sa_index->x, said_hash(&s), p->cur))
		p->sink->oom = true;
	if (p->secrets_only)
		return;

	if (ip_addr_is_any(&s.dst))
		perr(p, "[sa %s]: the destination is the unspecified address", ax->text);
	if ((s.proto == SAID_PROTO_ESP || s.proto == SAID_PROTO_AH) && s.spi < 0x100)
		perr(p, "[sa %s]: SPI 0x%x is reserved (ESP and AH SPIs start at 0x100)", ax->text, s.spi);
	if (s.proto == SAID_PROTO_COMP && (s.spi < 0x100 || s.spi > 0xffff))
		perr(p, "[sa %s]: CPI 0x%x is out of range (0x100..0xffff)", ax->text, s.spi);
}

static void open_group(struct cfg_parser *p, const char *arg)
{
	struct cfg *c = p->c;
	struct cfg_group *g;
	const char *s;
	size_t first;
	void *v;

	if (!*arg) {
		perr(p, "[group] needs a name, as in [group net1]");
		return;
	}
	for (s = arg; *s; s++) {
		if (!is_name_char(*s) && *s != '.') {
			perr(p, "bad group name \"%s\": use letters, digits, '.', '_' and '-'", Q(arg));
			return;
		}
	}
	if (s - arg > CFG_GROUP_NAME_MAX) {
		perr(p, "bad group name \"%s\": longer than %d bytes", Q(arg), CFG_GROUP_NAME_MAX);
		return;
	}
	v = grow(c->group, &p->group_cap, c->ngroup, sizeof(*c->group));
	if (!v) {
		p->sink->oom = true;
		return;
	}
	c->group = v;
	g = memset(&c->group[c->ngroup], 0, sizeof(*g));
	g->name = strdup(arg);
	if (!g->name) {
		p->sink->oom = true;
		return;
	}
	g->line = p->lineno;
	g->datapath = CFG_DP_AUTO;
	p->cur = c->ngroup++;
	p->sec = SEC_GROUP;
	memset(p->group_seen, 0, sizeof(p->group_seen));
	if (!group_lookup(p, arg, &first))
		perr(p, "duplicate [group %s] (first at line %u)", Q(arg), c->group[first].line);
	else if (hidx_put(&p->group_idx, hash_str(HASH_INIT, arg), p->cur))
		p->sink->oom = true;
}

/* @s: the text between '[' and ']', NUL-terminated, not yet trimmed. */
static void section(struct cfg_parser *p, char *s, char *e)
{
	char *word, *arg, *we;

	cfgp_close_section(p);
	p->sec = SEC_SKIP; /* until a header is accepted: ignore its keys */
	word = trim(s, &e);
	for (we = word; we < e && !is_ws(*we); we++)
		;
	arg = we;
	if (we < e) {
		*we = '\0';
		arg = trim(we + 1, &e);
	}

	if (!strcmp(word, "sa")) {
		open_sa(p, arg);
	} else if (p->secrets_only && (!strcmp(word, "daemon") || !strcmp(word, "group"))) {
		perr(p, "[%s] does not belong in a secrets file (only [sa SAID] sections with enckey and authkey)",
		     word);
	} else if (!strcmp(word, "daemon")) {
		if (*arg) {
			perr(p, "[daemon] takes no argument");
			return;
		}
		if (p->daemon_line)
			perr(p, "duplicate [daemon] (first at line %u)", p->daemon_line);
		else
			p->daemon_line = p->lineno;
		p->sec = SEC_DAEMON;
	} else if (!strcmp(word, "group")) {
		open_group(p, arg);
	} else {
		if (*arg)
			perr(p, "unknown section [%s %s]", Q(word), Q(arg));
		else
			perr(p, "unknown section [%s]", Q(word));
	}
}

/* ---- keys ---- */

static int set_str(struct cfg_parser *p, char **dst, const char *val)
{
	char *s = strdup(val);

	if (!s) {
		p->sink->oom = true;
		return -ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* The longest path a unix socket address holds (sun_path less its NUL). */
#define CFG_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

/* mount, control or state-dir */
static void daemon_path(struct cfg_parser *p, int k, const char *key, const char *val)
{
	struct cfg *c = p->c;
	char *path = strdup(val);
	const char *why;

	if (!path) {
		p->sink->oom = true;
		return;
	}
	why = cfgp_path_refused(k, path);
	if (!why && k == D_CONTROL && strlen(path) > CFG_SUN_PATH_MAX) {
		perr(p, "bad control \"%s\": too long for a unix socket (%zu bytes, at most %zu)", Q(val),
		     strlen(path), CFG_SUN_PATH_MAX);
		p->path_refused = true;
	} else if (why) {
		perr(p, "bad %s \"%s\": %s", key, Q(val), why);
		p->path_refused = true;
	} else {
		set_str(p, k == D_MOUNT ? &c->mount : k == D_CONTROL ? &c->control : &c->state_dir, path);
	}
	free(path);
}

static void daemon_key(struct cfg_parser *p, int k, const char *key, const char *val)
{
	struct cfg *c = p->c;
	uint64_t n;
	bool b;

	switch (k) {
	case D_MOUNT:
	case D_CONTROL:
	case D_STATE_DIR:
		daemon_path(p, k, key, val);
		return;
	case D_SECRETS:
		if (strlen(val) >= PATH_MAX)
			perr(p, "bad secrets \"%s\": longer than a path can be (%d bytes)", Q(val),
			     PATH_MAX - 1);
		else
			set_str(p, &c->secrets, val);
		return;
	case D_CONTROL_GROUP:
		set_str(p, &c->control_group, val);
		return;
	case D_DATAPATH:
		if (parse_datapath(val, &c->datapath))
			perr(p, "bad datapath \"%s\": expected auto, kernel or userspace", Q(val));
		return;
	case D_SAID_FORMAT:
		if (!strcmp(val, "seed"))
			c->said_format = CFG_SAID_SEED;
		else if (!strcmp(val, "x"))
			c->said_format = CFG_SAID_X;
		else
			perr(p, "bad said-format \"%s\": expected seed or x", Q(val));
		return;
	case D_INSTALL_ROUTES:
	case D_KEEP_ON_EXIT:
		if (parse_yesno(val, &b))
			perr(p, "bad %s \"%s\": expected yes or no", key, Q(val));
		else if (k == D_INSTALL_ROUTES)
			c->install_routes = b;
		else
			c->keep_on_exit = b;
		return;
	case D_ROUTE_TABLE:
		if (parse_u64(val, 0xfffffffeu, &n) || n == 0)
			perr(p, "bad route-table \"%s\": expected a number 1..4294967294", Q(val));
		else if (n == 253 || n == 254 || n == 255)
			perr(p, "bad route-table \"%s\": 253, 254 and 255 are the kernel's default, main and local tables",
			     Q(val));
		else
			c->route_table = (uint32_t)n;
		return;
	case D_TUN_DEVICE:
	case D_FWMARK:
	case D_DP_BATCH: {
		char err[160];

		if (cfgp_daemon_dp_key(c, k, val, err, sizeof(err)) == -ENOMEM)
			p->sink->oom = true;
		else if (err[0])
			perr(p, "bad %s \"%s\": %s", key, Q(val), err);
		return;
	}
	}
}

static void sa_src(struct cfg_parser *p, struct cfg_sa *sa, const char *val)
{
	char err[256];

	if (ip_addr_parse(val, &sa->src, err, sizeof(err)))
		perr(p, "src: %s", err); /* said.c names the text (within its buffer) */
	else if (ip_addr_is_any(&sa->src))
		perr(p, "bad src \"%s\": the unspecified address", Q(val));
	else if (sa->src.family != sa->said.dst.family)
		perr(p, "src \"%s\" is %s but the SAID is %s", Q(val), family_name(sa->src.family),
		     family_name(sa->said.dst.family));
}

/* Does @s hold a run of 16 or more hex digits (a key, typed where a key
 * does not go)?  Such text is not quoted back: messages go to syslog. */
static bool looks_like_key(const char *s)
{
	size_t run = 0;

	for (; *s; s++) {
		run = isxdigit((unsigned char)*s) ? run + 1 : 0;
		if (run >= 16)
			return true;
	}
	return false;
}

#define KEY_NOT_SHOWN "<not shown: it looks like a key>"

/* enc, auth or comp */
static void sa_alg(struct cfg_parser *p, struct cfg_sa *sa, int k, const char *key, const char *val)
{
	enum alg_kind kind = k == S_ENC ? ALG_ENC : k == S_AUTH ? ALG_AUTH : ALG_COMP;
	const struct alg_desc *alg = alg_find(val, kind), *e2, *a2;
	unsigned *seen = p->aux[p->cur].seen;
	char known[256];

	if (!alg && k == S_ENC && alg_find_esp(val, &e2, &a2) == 0 && e2 && a2) {
		/* a KLIPS ESP transform (`ipsec spi --esp 3des-md5-96`): enc and
		 * auth at once, with enckey and authkey */
		if (seen[S_AUTH]) {
			perr(p, "enc \"%s\" names the integrity algorithm too: auth (line %u) cannot be "
				"combined with it", Q(val), seen[S_AUTH]);
			return;
		}
		sa->enc = e2;
		sa->auth = a2;
		if (sa->said.proto == SAID_PROTO_ESP)
			seen[S_AUTH] = p->lineno; /* key_value() tells a later auth */
	} else if (!alg) {
		alg_names(kind, known, sizeof(known));
		if (looks_like_key(val))
			perr(p, "unknown %s %s (known: %s)", key, KEY_NOT_SHOWN, known);
		else
			perr(p, "unknown %s \"%s\" (known: %s)", key, Q(val), known);
	} else if (k == S_ENC) {
		sa->enc = alg;
	} else if (k == S_AUTH) {
		sa->auth = alg;
	} else {
		sa->comp = alg;
	}
}

/* life-bytes, life-packets or life-seconds */
static void sa_life(struct cfg_parser *p, struct cfg_sa *sa, int k, const char *key, const char *val)
{
	uint64_t *soft = k == S_LIFE_BYTES ? &sa->life.soft_bytes
			 : k == S_LIFE_PACKETS ? &sa->life.soft_packets : &sa->life.soft_seconds;
	uint64_t *hard = k == S_LIFE_BYTES ? &sa->life.hard_bytes
			 : k == S_LIFE_PACKETS ? &sa->life.hard_packets : &sa->life.hard_seconds;
	char *copy = strdup(val); /* parse_life() cuts it up; the message quotes @val */
	const char *why;
	uint64_t s0, h0;

	if (!copy) {
		p->sink->oom = true;
		return;
	}
	if (parse_life(copy, &s0, &h0, &why)) {
		perr(p, "bad %s \"%s\": %s", key, Q(val), why);
	} else {
		*soft = s0;
		*hard = h0;
	}
	free(copy);
}

static void sa_key(struct cfg_parser *p, int k, const char *key, const char *val)
{
	struct cfg_sa *sa = &p->c->sa[p->cur];
	struct sa_aux *ax = &p->aux[p->cur];
	const char *why;
	uint64_t n;
	int w;

	switch (k) {
	case S_SRC:
		sa_src(p, sa, val);
		return;
	case S_DIR:
		sa->dir_line = p->lineno;
		if (!strcmp(val, "in"))
			sa->dir = CFG_DIR_IN;
		else if (!strcmp(val, "out"))
			sa->dir = CFG_DIR_OUT;
		else
			perr(p, "bad dir \"%s\": expected in or out", Q(val));
		return;
	case S_MODE:
		sa->mode_line = p->lineno;
		if (!strcmp(val, "tunnel"))
			sa->mode = CFG_MODE_TUNNEL;
		else if (!strcmp(val, "transport"))
			sa->mode = CFG_MODE_TRANSPORT;
		else
			perr(p, "bad mode \"%s\": expected tunnel or transport", Q(val));
		return;
	case S_ENC:
	case S_AUTH:
	case S_COMP:
		sa_alg(p, sa, k, key, val);
		return;
	case S_ENCKEY:
	case S_AUTHKEY:
		w = k == S_AUTHKEY;
		ax->keyfile[w] = p->file;
		if (parse_hexkey(val, w ? &sa->authkey : &sa->enckey, &why))
			perr(p, "bad %s: %s", key, why); /* never quotes a key */
		else
			ax->keyok[w] = true;
		return;
	case S_REPLAY:
		if (parse_u64(val, 4096, &n))
			perr(p, "bad replay-window \"%s\": expected 0..4096 packets", Q(val));
		else
			sa->replay_window = (uint32_t)n;
		return;
	case S_ESN:
		if (parse_yesno(val, &sa->esn))
			perr(p, "bad esn \"%s\": expected yes or no", Q(val));
		else
			sa->esn_set = true;
		return;
	case S_AH_ALIGN:
		if (!strcmp(val, "32") || !strcmp(val, "64"))
			sa->ah_align = val[0] == '3' ? 32 : 64;
		else
			perr(p, "bad ah-align \"%s\": expected 32 or 64", Q(val));
		return;
	default: /* S_LIFE_BYTES, S_LIFE_PACKETS, S_LIFE_SECONDS */
		sa_life(p, sa, k, key, val);
		return;
	}
}

static bool group_allowed_magic(const struct said *s)
{
	return s->proto == SAID_PROTO_INT &&
	       (s->spi == SAID_SPI_PASS || s->spi == SAID_SPI_DROP || s->spi == SAID_SPI_REJECT);
}

static void group_said(struct cfg_parser *p, struct cfg_group *g, char *val)
{
	char *tok[CFG_MAX_GROUP_SAS], *s = val, err[256];
	unsigned n = 0, i, j;
	bool bad = false;

	while (*s) {
		while (*s && is_ws(*s))
			s++;
		if (!*s)
			break;
		if (n < CFG_MAX_GROUP_SAS)
			tok[n] = s;
		n++;
		while (*s && !is_ws(*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	if (n > CFG_MAX_GROUP_SAS) {
		perr(p, "said lists %u SAs, at most %u allowed", n, CFG_MAX_GROUP_SAS);
		return;
	}
	for (i = 0; i < n; i++) {
		if (said_parse(tok[i], &g->said[i], err, sizeof(err))) {
			perr(p, "said: %s", err);
			bad = true;
			continue;
		}
		if (said_is_magic(&g->said[i]) || g->said[i].proto == SAID_PROTO_INT) {
			if (!group_allowed_magic(&g->said[i])) {
				perr(p, "\"%s\" cannot be used in a group (only %%pass, %%drop or %%reject)",
				     Q(tok[i]));
				bad = true;
			} else if (n > 1) {
				perr(p, "\"%s\" must be the only SAID of a group", Q(tok[i]));
				bad = true;
			}
			continue;
		}
		for (j = 0; j < i; j++) {
			if (said_equal(&g->said[j], &g->said[i])) {
				perr(p, "\"%s\" appears twice in said", Q(tok[i]));
				bad = true;
				break;
			}
		}
	}
	if (!bad) {
		g->nsaid = n;
		g->said_line = p->lineno;
	}
}

static void group_ts(struct cfg_parser *p, int k, const char *key, char *val)
{
	struct cfg_group *g = &p->c->group[p->cur];
	struct ip_prefix *pfx = k == G_SRC_TS ? g->src_ts : g->dst_ts;
	unsigned *np = k == G_SRC_TS ? &g->nsrc_ts : &g->ndst_ts;
	unsigned n = 1, i = 0, j;
	char *s, *e, *tok, err[256];
	struct ip_prefix tmp;

	for (s = val; *s; s++)
		n += *s == ',';
	if (n > CFG_MAX_TS) {
		perr(p, "%s lists %u prefixes, at most %u allowed", key, n, CFG_MAX_TS);
		return;
	}
	for (s = val; s; s = e ? e + 1 : NULL) {
		char *end;

		e = strchr(s, ',');
		end = e ? e : s + strlen(s);
		tok = trim(s, &end);
		if (!*tok) {
			perr(p, "bad %s: empty prefix", key);
			continue;
		}
		if (ip_prefix_parse(tok, &tmp, err, sizeof(err))) {
			perr(p, "%s: %s", key, err);
			continue;
		}
		if (!p->ts_family) {
			p->ts_family = tmp.addr.family;
			p->ts_first = strdup(tok);
			if (!p->ts_first)
				p->sink->oom = true;
		} else if (tmp.addr.family != p->ts_family) {
			perr(p, "prefix \"%s\" is %s but \"%s\" is %s: a group's selectors must all be one family",
			     Q(tok), family_name(tmp.addr.family), p->ts_first ? Q(p->ts_first) : "?",
			     family_name(p->ts_family));
			continue;
		}
		for (j = 0; j < i; j++)
			if (pfx[j].len == tmp.len && ip_addr_equal(&pfx[j].addr, &tmp.addr))
				break;
		if (j < i) {
			char canon[IP_PREFIX_BUF];

			ip_prefix_format(&tmp, canon, sizeof(canon));
			perr(p, "%s lists %s twice: the kernel holds one policy per selector", key,
			     canon);
			continue;
		}
		pfx[i++] = tmp;
	}
	*np = i;
}

static void group_key(struct cfg_parser *p, int k, const char *key, char *val)
{
	struct cfg_group *g = &p->c->group[p->cur];
	static const struct {
		const char *name;
		uint8_t num;
	} protos[] = { { "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "ipv6-icmp", 58 } };
	uint64_t n;
	size_t i;

	switch (k) {
	case G_SAID:
		group_said(p, g, val);
		return;
	case G_SRC_TS:
	case G_DST_TS:
		group_ts(p, k, key, val);
		return;
	case G_PROTO:
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
			if (!strcmp(val, protos[i].name)) {
				g->proto = protos[i].num;
				return;
			}
		}
		if (parse_u64(val, 255, &n))
			perr(p, "bad proto \"%s\": expected tcp, udp, sctp, icmp, ipv6-icmp or 0..255", Q(val));
		else
			g->proto = (uint8_t)n;
		return;
	case G_SPORT:
	case G_DPORT:
		if (parse_u64(val, 65535, &n))
			perr(p, "bad %s \"%s\": expected 0..65535", key, Q(val));
		else if (k == G_SPORT)
			g->sport = (uint16_t)n;
		else
			g->dport = (uint16_t)n;
		return;
	case G_DATAPATH:
		if (parse_datapath(val, &g->datapath))
			perr(p, "bad datapath \"%s\": expected auto, kernel or userspace", Q(val));
		return;
	case G_PRIORITY:
		if (parse_u64(val, UINT32_MAX, &n) || n < CFG_PRIORITY_MIN || n > CFG_PRIORITY_MAX)
			perr(p, "bad priority \"%s\": expected %u..%u", Q(val), CFG_PRIORITY_MIN,
			     CFG_PRIORITY_MAX);
		else
			g->priority = (uint32_t)n;
		return;
	}
}

static void key_value(struct cfg_parser *p, char *key, char *val)
{
	const char *const *tab;
	unsigned *seen;
	int ntab, k;

	if (!strcmp(key, "enckey") || !strcmp(key, "authkey"))
		p->has_keys = true;
	switch (p->sec) {
	case SEC_NONE:
		perr(p, "key \"%s\" outside any section", Q(key));
		return;
	case SEC_SKIP:
		return;
	case SEC_DAEMON:
		tab = cfgp_daemon_keys;
		ntab = D_NKEYS;
		seen = p->daemon_seen;
		break;
	case SEC_SA:
		tab = cfgp_sa_keys;
		ntab = S_NKEYS;
		seen = p->aux[p->cur].seen;
		break;
	case SEC_GROUP:
	default:
		tab = group_keys;
		ntab = G_NKEYS;
		seen = p->group_seen;
		break;
	}
	k = key_lookup(tab, ntab, key);
	if (k < 0) {
		if (looks_like_key(key))
			perr(p, "unknown key %s", KEY_NOT_SHOWN);
		else if (p->sec == SEC_DAEMON)
			perr(p, "unknown key \"%s\" in [daemon]", Q(key));
		else if (p->sec == SEC_SA)
			perr(p, "unknown key \"%s\" in [sa %s]", Q(key), p->aux[p->cur].text);
		else
			perr(p, "unknown key \"%s\" in [group %s]", Q(key), Q(p->c->group[p->cur].name));
		return;
	}
	if (p->secrets_only && k != S_ENCKEY && k != S_AUTHKEY) {
		perr(p, "\"%s\" does not belong in a secrets file (only enckey and authkey)", Q(key));
		return;
	}
	if (seen[k] && p->sec == SEC_SA && k == S_AUTH && seen[S_AUTH] == seen[S_ENC]) {
		perr(p, "auth cannot be combined with the ESP transform of enc (line %u): it names "
			"the integrity algorithm too", seen[S_ENC]);
		return;
	}
	if (seen[k]) {
		perr(p, "duplicate key \"%s\" (first at line %u)", key, seen[k]);
		return;
	}
	seen[k] = p->lineno;
	if (!*val) {
		perr(p, "key \"%s\" has no value", key);
		return;
	}
	if (p->sec == SEC_DAEMON)
		daemon_key(p, k, key, val);
	else if (p->sec == SEC_SA)
		sa_key(p, k, key, val);
	else
		group_key(p, k, key, val);
}

static void parse_line(struct cfg_parser *p, char *s, char *e)
{
	char *eq, *key, *val, *ke, *q;

	s = trim(s, &e);
	if (s == e || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		if (e[-1] != ']') {
			perr(p, "malformed section header (no closing ])");
			cfgp_close_section(p);
			p->sec = SEC_SKIP;
			return;
		}
		e[-1] = '\0';
		section(p, s + 1, e - 1);
		return;
	}
	eq = strchr(s, '=');
	if (!eq) {
		perr(p, "malformed line (expected [section], key = value or a comment)");
		return;
	}
	ke = eq;
	key = trim(s, &ke);
	val = trim(eq + 1, &e);
	for (q = key; *q && is_name_char(*q); q++)
		;
	if (!*key || *q) {
		perr(p, "malformed line (expected [section], key = value or a comment)");
		return;
	}
	key_value(p, key, val);
}

void cfg_parser_line(struct cfg_parser *p, const char *line)
{
	size_t len;

	if (!p)
		return;
	p->lineno++;
	len = strlen(line);
	if (len + 1 > p->bufcap) {
		size_t cap = len + 1 < 256 ? 256 : len + 1;
		char *nb = malloc(cap);

		if (!nb) {
			p->sink->oom = true;
			return;
		}
		if (p->buf) {
			OPENSSL_cleanse(p->buf, p->bufcap);
			free(p->buf);
		}
		p->buf = nb;
		p->bufcap = cap;
	}
	memcpy(p->buf, line, len + 1);
	parse_line(p, p->buf, p->buf + len);
	OPENSSL_cleanse(p->buf, len + 1);
}

/* Hand over the errors and the cfg (NULL on errors), free @p. */
struct cfg *cfgp_done(struct cfg_parser *p)
{
	struct cfg *c = p->c;
	size_t nerr = sink_flush(p->sink, p->errs);

	cfgp_free(p, nerr != 0);
	return nerr ? NULL : c;
}

struct cfg *cfg_parser_finish(struct cfg_parser *p)
{
	size_t i;

	if (!p)
		return NULL;
	cfgp_close_section(p);
	cfgp_check_daemon(p);
	for (i = 0; !p->secrets_only && i < p->c->nsa; i++)
		cfgp_check_sa_keys(p, i, p->c->secrets != NULL);
	return cfgp_done(p);
}

