/* cfg.c: the spigrpd.conf INI parser (see cfg.h).
 *
 * One strict line parser serves the config and its secrets file.  Lines are
 * "[section]", "key = value", comments ('#' or ';' first) or blank; leading
 * and trailing white space is ignored, there is no line length limit and no
 * continuation.  Errors go to a sink that remembers (file, line) so that the
 * caller sees them sorted in file order even though the checks of a section
 * run when the section ends, and the key checks after the secrets file has
 * been merged.  Key material is wiped from every buffer that held it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "escape.h"

/* ---- algorithm table (pinned in spigrpd.conf(5)) ---- */

const struct alg_desc alg_table[] = {
	{ "aes128", ALG_ENC, "cbc(aes)", 16, 0 },
	{ "aes192", ALG_ENC, "cbc(aes)", 24, 0 },
	{ "aes256", ALG_ENC, "cbc(aes)", 32, 0 },
	{ "aes128gcm16", ALG_AEAD, "rfc4106(gcm(aes))", 16 + 4, 128 },
	{ "aes256gcm16", ALG_AEAD, "rfc4106(gcm(aes))", 32 + 4, 128 },
	{ "chacha20poly1305", ALG_AEAD, "rfc7539esp(chacha20,poly1305)", 32 + 4, 128 },
	{ "3des", ALG_ENC, "cbc(des3_ede)", 24, 0 },
	{ "null", ALG_ENC, "ecb(cipher_null)", 0, 0 },
	{ "sha1", ALG_AUTH, "hmac(sha1)", 20, 96 },
	{ "sha256", ALG_AUTH, "hmac(sha256)", 32, 128 },
	{ "sha384", ALG_AUTH, "hmac(sha384)", 48, 192 },
	{ "sha512", ALG_AUTH, "hmac(sha512)", 64, 256 },
	{ "deflate", ALG_COMP, "deflate", 0, 0 },
	{ NULL, 0, NULL, 0, 0 },
};

#define AEAD_SALT_BYTES 4 /* RFC 4106 / RFC 7634 nonce salt, appended to the key */

const struct alg_desc *alg_find(const char *name, enum alg_kind kind)
{
	const struct alg_desc *a;

	if (!name)
		return NULL;
	for (a = alg_table; a->name; a++) {
		if (strcmp(a->name, name))
			continue;
		if (a->kind == kind || (kind == ALG_ENC && a->kind == ALG_AEAD))
			return a;
	}
	return NULL;
}

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

void cfg_errors_add(struct cfg_errors *e, const char *file, unsigned line, const char *fmt, ...)
{
	char *text = NULL, *msg = NULL, **v;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	text = malloc((size_t)n + 1);
	if (!text)
		return;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);

	if (!file)
		n = line ? snprintf(NULL, 0, "%u: %s", line, text) : snprintf(NULL, 0, "%s", text);
	else
		n = line ? snprintf(NULL, 0, "%s:%u: %s", file, line, text)
			 : snprintf(NULL, 0, "%s: %s", file, text);
	if (n < 0)
		goto out;
	msg = malloc((size_t)n + 1);
	if (!msg)
		goto out;
	if (!file && line)
		snprintf(msg, (size_t)n + 1, "%u: %s", line, text);
	else if (!file)
		snprintf(msg, (size_t)n + 1, "%s", text);
	else if (line)
		snprintf(msg, (size_t)n + 1, "%s:%u: %s", file, line, text);
	else
		snprintf(msg, (size_t)n + 1, "%s: %s", file, text);

	free(text);
	text = escape_text(msg, ESCAPE_NOCAP, ESCAPE_NOCAP); /* may quote raw bytes of the file */
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

/*
 * The sink: errors of one parse (one or two files) with their position, so
 * that they can be handed over sorted by file, then line, then arrival.
 */
struct err_ent {
	unsigned file, line;
	size_t seq;
	char *msg;
};

struct err_sink {
	struct err_ent *v;
	size_t n, cap;
	const char *files[2]; /* borrowed names: [0] config, [1] secrets */
	bool oom;
};

static void sink_add(struct err_sink *s, unsigned file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sink_add(struct err_sink *s, unsigned file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
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
	msg = malloc((size_t)n + 1);
	if (!msg) {
		s->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
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

/* ---- SAID hash index (duplicate [sa] check, cfg_find_sa) ---- */

struct idx_slot {
	size_t val; /* index + 1; 0 = empty */
	uint32_t hash;
};

struct cfg_sa_index {
	struct idx_slot *slot;
	size_t mask, n;
};

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static uint32_t said_hash(const struct said *s)
{
	uint32_t h = 2166136261u;
	uint8_t spi[4] = { s->spi >> 24, s->spi >> 16, s->spi >> 8, s->spi };

	h = fnv1a(h, &s->proto, 1);
	h = fnv1a(h, spi, 4);
	h = fnv1a(h, &s->dst.family, 1);
	return fnv1a(h, s->dst.b, ip_addr_len(&s->dst));
}

static uint32_t str_hash(const char *s)
{
	return fnv1a(2166136261u, s, strlen(s));
}

static int idx_grow(struct cfg_sa_index *x)
{
	size_t cap = x->slot ? 2 * (x->mask + 1) : 64, i, j;
	struct idx_slot *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; x->slot && i <= x->mask; i++) {
		if (!x->slot[i].val)
			continue;
		for (j = x->slot[i].hash & (cap - 1); v[j].val; j = (j + 1) & (cap - 1))
			;
		v[j] = x->slot[i];
	}
	free(x->slot);
	x->slot = v;
	x->mask = cap - 1;
	return 0;
}

static int idx_insert(struct cfg_sa_index *x, uint32_t hash, size_t val)
{
	size_t j;

	if (!x->slot || 2 * (x->n + 1) > x->mask + 1) {
		if (idx_grow(x))
			return -ENOMEM;
	}
	for (j = hash & x->mask; x->slot[j].val; j = (j + 1) & x->mask)
		;
	x->slot[j].val = val + 1;
	x->slot[j].hash = hash;
	x->n++;
	return 0;
}

static void idx_free(struct cfg_sa_index *x)
{
	if (!x)
		return;
	free(x->slot);
	x->slot = NULL;
	x->mask = x->n = 0;
}

static bool idx_find_said(const struct cfg_sa_index *x, const struct cfg_sa *sa, const struct said *s,
			  size_t *out)
{
	uint32_t h = said_hash(s);
	size_t j;

	if (!x || !x->slot)
		return false;
	for (j = h & x->mask; x->slot[j].val; j = (j + 1) & x->mask) {
		if (x->slot[j].hash == h && said_equal(&sa[x->slot[j].val - 1].said, s)) {
			*out = x->slot[j].val - 1;
			return true;
		}
	}
	return false;
}

static bool idx_find_group(const struct cfg_sa_index *x, const struct cfg_group *g, const char *name,
			   size_t *out)
{
	uint32_t h = str_hash(name);
	size_t j;

	if (!x->slot)
		return false;
	for (j = h & x->mask; x->slot[j].val; j = (j + 1) & x->mask) {
		if (x->slot[j].hash == h && !strcmp(g[x->slot[j].val - 1].name, name)) {
			*out = x->slot[j].val - 1;
			return true;
		}
	}
	return false;
}

const struct cfg_sa *cfg_find_sa(const struct cfg *c, const struct said *s)
{
	size_t i;

	if (!c || !s)
		return NULL;
	if (c->sa_index && c->sa_index->slot)
		return idx_find_said(c->sa_index, c->sa, s, &i) ? &c->sa[i] : NULL;
	for (i = 0; i < c->nsa; i++)
		if (said_equal(&c->sa[i].said, s))
			return &c->sa[i];
	return NULL;
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
	idx_free(c->sa_index);
	free(c->sa_index);
	free(c->path);
	free(c->mount);
	free(c->control);
	free(c->state_dir);
	free(c->secrets);
	free(c->control_group);
	free(c);
}

/* ---- key tables ---- */

enum { D_MOUNT, D_CONTROL, D_STATE_DIR, D_DATAPATH, D_SAID_FORMAT, D_SECRETS, D_INSTALL_ROUTES,
       D_KEEP_ON_EXIT, D_CONTROL_GROUP, D_ROUTE_TABLE, D_NKEYS };
enum { S_SRC, S_DIR, S_MODE, S_ENC, S_ENCKEY, S_AUTH, S_AUTHKEY, S_COMP, S_REPLAY, S_ESN,
       S_AH_ALIGN, S_LIFE_BYTES, S_LIFE_PACKETS, S_LIFE_SECONDS, S_NKEYS };
enum { G_SAID, G_SRC_TS, G_DST_TS, G_PROTO, G_SPORT, G_DPORT, G_DATAPATH, G_PRIORITY, G_NKEYS };

static const char *const daemon_keys[D_NKEYS] = {
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
};

static const char *const sa_keys[S_NKEYS] = {
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

enum sect { SEC_NONE, SEC_DAEMON, SEC_SA, SEC_GROUP, SEC_SKIP };

/* What the parser remembers per [sa] beyond struct cfg_sa. */
struct sa_aux {
	unsigned seen[S_NKEYS];   /* line of each key, 0 = not written */
	unsigned keyfile[2];      /* sink file index of the enckey / authkey line */
	bool keyok[2];            /* that key parsed (its length is meaningful) */
	char *text;               /* the SAID as written in the header */
};

struct cfg_parser {
	struct cfg *c;
	struct err_sink own_sink;
	struct err_sink *sink;
	struct cfg_errors *errs;
	unsigned file;            /* our index in the sink */
	bool secrets_only;        /* a secrets file: [sa] with enckey/authkey only */
	bool has_keys;            /* an enckey or authkey line was seen */
	unsigned lineno;
	enum sect sec;
	size_t cur;               /* the current [sa] or [group] */
	unsigned daemon_line;
	unsigned daemon_seen[D_NKEYS];
	bool path_refused;        /* a mount, control or state-dir value was refused */
	unsigned group_seen[G_NKEYS];
	char *ts_first;           /* first prefix of the current group, as written */
	uint8_t ts_family;
	struct sa_aux *aux;       /* parallel to c->sa */
	size_t sa_cap, group_cap;
	struct cfg_sa_index group_idx;
	char *buf;                /* copy of the current line: wiped after use */
	size_t bufcap;
};

#define perr(p, ...) sink_add((p)->sink, (p)->file, (p)->lineno, __VA_ARGS__)
#define perr_at(p, line, ...) sink_add((p)->sink, (p)->file, (line), __VA_ARGS__)

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

/* "aes128, aes192, ..." for an error message. */
static void alg_names(enum alg_kind kind, char *buf, size_t len)
{
	const struct alg_desc *a;
	size_t off = 0;

	buf[0] = '\0';
	for (a = alg_table; a->name; a++) {
		if (a->kind != kind && !(kind == ALG_ENC && a->kind == ALG_AEAD))
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? ", " : "",
					a->name);
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

static struct cfg_parser *parser_alloc(const char *file, struct err_sink *sink, unsigned fileidx,
				       bool secrets_only)
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
	c->sa_index = calloc(1, sizeof(*c->sa_index));
	if (!c->path || !c->mount || !c->control || !c->state_dir || !c->sa_index)
		goto fail;
	c->datapath = CFG_DP_AUTO;
	c->said_format = CFG_SAID_SEED;
	c->install_routes = true;
	c->keep_on_exit = false;
	c->route_table = CFG_DEFAULT_ROUTE_TABLE;
	p->sink = sink ? sink : &p->own_sink;
	p->file = fileidx;
	p->sink->files[fileidx] = c->path;
	p->secrets_only = secrets_only;
	return p;
fail:
	if (p)
		cfg_free(p->c);
	free(p);
	return NULL;
}

static void parser_free(struct cfg_parser *p, bool free_cfg)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->c && i < p->c->nsa; i++)
		free(p->aux[i].text);
	free(p->aux);
	free(p->ts_first);
	idx_free(&p->group_idx);
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
	struct cfg_parser *p = parser_alloc(file, NULL, 0, false);

	if (p)
		p->errs = errs;
	return p;
}

/* ---- [daemon] paths ---- */

/*
 * Check an absolute path of [daemon] and rewrite it in place without
 * repeated and trailing slashes.  "." and ".." components are refused: the
 * checks below compare paths as text.  Return: NULL, or why it is refused.
 */
static const char *clean_path(char *path)
{
	char *r = path, *w = path, *c;

	if (path[0] != '/')
		return "not an absolute path";
	while (*r) {
		while (*r == '/')
			r++;
		if (!*r)
			break;
		c = r;
		while (*r && *r != '/')
			r++;
		if ((r - c == 1 && c[0] == '.') || (r - c == 2 && c[0] == '.' && c[1] == '.'))
			return "\".\" and \"..\" components are not allowed";
		*w++ = '/';
		memmove(w, c, (size_t)(r - c));
		w += r - c;
	}
	/* "/a /": the value would end in the space, which the file cannot hold */
	if (w > path && is_ws(w[-1]))
		return "its last component ends in white space";
	if (w == path)
		*w++ = '/';
	*w = '\0';
	return NULL;
}

/* @path is @dir or below it (both clean).  Everything is below "/". */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* Why the view cannot be mounted at clean @path, or NULL. */
static const char *mount_refused(const char *path)
{
	static const char *const kernel_fs[] = { "/proc", "/sys", "/dev" };
	size_t i;

	if (!strcmp(path, "/"))
		return "the view cannot be mounted on /";
	for (i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
		if (path_within(path, kernel_fs[i]))
			return "/proc, /sys and /dev belong to the kernel; mount the view elsewhere";
	return NULL;
}

/* The longest path a unix socket address holds (sun_path less its NUL). */
#define CFG_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

/* Why the control socket cannot be bound at clean @path, or NULL. */
static const char *control_refused(const char *path)
{
	if (!strcmp(path, "/"))
		return "not a file name";
	if (path_within(path, "/proc") || path_within(path, "/sys"))
		return "/proc and /sys cannot hold a socket";
	return NULL;
}

/* ---- section checks ---- */

static void not_valid(struct cfg_parser *p, struct cfg_sa *sa, unsigned line, int key)
{
	perr_at(p, line, "%s is not valid on %s", sa_keys[key], proto_article(sa->said.proto));
}

/* Checks of one [sa] that do not depend on its keys (those may come from
 * the secrets file: check_sa_keys()). */
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
static void check_sa_keys(struct cfg_parser *p, size_t i, bool keys_elsewhere)
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
				sink_add(p->sink, kfile, kline, "%s is not valid on %s", sa_keys[key_key],
					 proto_article(proto));
			else if (!ax->seen[alg_key])
				sink_add(p->sink, kfile, kline, "%s without %s", sa_keys[key_key],
					 sa_keys[alg_key]);
			else if (alg && ax->keyok[w] && key->len != alg->key_bytes) {
				if (alg->kind == ALG_AEAD)
					sink_add(p->sink, kfile, kline,
						 "wrong %s length for %s: expected %u bytes (%u key + %u salt), got %zu",
						 sa_keys[key_key], alg->name, alg->key_bytes,
						 alg->key_bytes - AEAD_SALT_BYTES, AEAD_SALT_BYTES, key->len);
				else
					sink_add(p->sink, kfile, kline,
						 "wrong %s length for %s: expected %u bytes, got %zu",
						 sa_keys[key_key], alg->name, alg->key_bytes, key->len);
			}
		} else if (allowed && alg && alg->key_bytes && !keys_elsewhere) {
			perr_at(p, ax->seen[alg_key], "%s %s needs an %s", sa_keys[alg_key], alg->name,
				sa_keys[key_key]);
		}
	}
}

static void check_group(struct cfg_parser *p)
{
	struct cfg_group *g = &p->c->group[p->cur];
	const unsigned *seen = p->group_seen;

	if (!seen[G_SAID])
		perr_at(p, g->line, "[group %s]: said is mandatory", g->name);
	if (!seen[G_SRC_TS])
		perr_at(p, g->line, "[group %s]: src-ts is mandatory", g->name);
	if (!seen[G_DST_TS])
		perr_at(p, g->line, "[group %s]: dst-ts is mandatory", g->name);
	if (g->proto != 6 && g->proto != 17 && g->proto != 132) {
		if (g->sport) /* 0 = any: harmless */
			perr_at(p, seen[G_SPORT], "sport needs proto tcp, udp or sctp");
		if (g->dport)
			perr_at(p, seen[G_DPORT], "dport needs proto tcp, udp or sctp");
	}
}

/*
 * The control socket's lock file, CONTROL.lock (ctl.c), against mount and
 * state-dir: neither may be that file or lie below it.
 */
static void check_lock_path(struct cfg_parser *p, unsigned ml, unsigned cl, unsigned sl)
{
	const struct cfg *c = p->c;
	char *lock = NULL;

	if (asprintf(&lock, "%s.lock", c->control) < 0) {
		p->sink->oom = true;
		return;
	}
	if ((ml || cl) && path_within(c->mount, lock)) {
		if (!strcmp(c->mount, lock))
			perr_at(p, ml > cl ? ml : cl,
				"mount \"%s\" is the control socket's lock file (control \"%s\" plus \".lock\")",
				c->mount, c->control);
		else
			perr_at(p, ml > cl ? ml : cl,
				"mount \"%s\" is inside \"%s\", the control socket's lock file", c->mount,
				lock);
	}
	if ((sl || cl) && path_within(c->state_dir, lock)) {
		if (!strcmp(c->state_dir, lock))
			perr_at(p, sl > cl ? sl : cl,
				"state-dir \"%s\" is the control socket's lock file (control \"%s\" plus \".lock\")",
				c->state_dir, c->control);
		else
			perr_at(p, sl > cl ? sl : cl,
				"state-dir \"%s\" is inside \"%s\", the control socket's lock file",
				c->state_dir, lock);
	}
	free(lock);
}

/*
 * The [daemon] paths against each other, defaults included: the view is a
 * mount that hides whatever lies below it, and the control socket is a
 * file.  An error goes to the line of the key written last.
 */
static void check_daemon(struct cfg_parser *p)
{
	const struct cfg *c = p->c;
	unsigned ml = p->daemon_seen[D_MOUNT], cl = p->daemon_seen[D_CONTROL];
	unsigned sl = p->daemon_seen[D_STATE_DIR];

	if (p->secrets_only || p->path_refused)
		return;
	if (ml || cl) {
		unsigned line = ml > cl ? ml : cl;

		if (!strcmp(c->mount, c->control))
			perr_at(p, line, "mount and control are the same path \"%s\"", c->mount);
		else if (path_within(c->control, c->mount))
			perr_at(p, line, "control \"%s\" is inside mount \"%s\": the view would hide the socket",
				c->control, c->mount);
		else if (path_within(c->mount, c->control))
			perr_at(p, line, "mount \"%s\" is inside control \"%s\", which is a socket", c->mount,
				c->control);
	}
	if ((ml || sl) && !strcmp(c->state_dir, c->mount))
		perr_at(p, ml > sl ? ml : sl,
			"state-dir and mount are the same path \"%s\": the view would hide the state files",
			c->mount);
	else if ((ml || sl) && path_within(c->state_dir, c->mount))
		perr_at(p, ml > sl ? ml : sl, "state-dir \"%s\" is inside mount \"%s\": the view would hide it",
			c->state_dir, c->mount);
	if (cl || sl) {
		unsigned line = cl > sl ? cl : sl;

		if (!strcmp(c->state_dir, c->control))
			perr_at(p, line, "state-dir and control are the same path \"%s\": one is a directory, the other a socket",
				c->control);
		else if (path_within(c->state_dir, c->control))
			perr_at(p, line, "state-dir \"%s\" is inside control \"%s\", which is a socket",
				c->state_dir, c->control);
	}
	check_lock_path(p, ml, cl, sl);
}

static void close_section(struct cfg_parser *p)
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
		perr(p, "[sa %s]: a magic SAID cannot be configured as an SA", arg);
		return;
	}
	if (s.proto != SAID_PROTO_ESP && s.proto != SAID_PROTO_AH && s.proto != SAID_PROTO_COMP &&
	    s.proto != SAID_PROTO_TUN) {
		perr(p, "[sa %s]: only esp, ah, comp and tun SAs can be configured", arg);
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
	p->aux[c->nsa].text = strdup(arg);
	if (!p->aux[c->nsa].text) {
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

	if (idx_find_said(c->sa_index, c->sa, &s, &first))
		perr(p, "duplicate [sa %s] (first at line %u)", arg, c->sa[first].line);
	else if (idx_insert(c->sa_index, said_hash(&s), p->cur))
		p->sink->oom = true;
	if (p->secrets_only)
		return;

	if (ip_addr_is_any(&s.dst))
		perr(p, "[sa %s]: the destination is the unspecified address", arg);
	if ((s.proto == SAID_PROTO_ESP || s.proto == SAID_PROTO_AH) && s.spi < 0x100)
		perr(p, "[sa %s]: SPI 0x%x is reserved (ESP and AH SPIs start at 0x100)", arg, s.spi);
	if (s.proto == SAID_PROTO_COMP && (s.spi < 0x100 || s.spi > 0xffff))
		perr(p, "[sa %s]: CPI 0x%x is out of range (0x100..0xffff)", arg, s.spi);
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
			perr(p, "bad group name \"%s\": use letters, digits, '.', '_' and '-'", arg);
			return;
		}
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
	if (idx_find_group(&p->group_idx, c->group, arg, &first))
		perr(p, "duplicate [group %s] (first at line %u)", arg, c->group[first].line);
	else if (idx_insert(&p->group_idx, str_hash(arg), p->cur))
		p->sink->oom = true;
}

/* @s: the text between '[' and ']', NUL-terminated, not yet trimmed. */
static void section(struct cfg_parser *p, char *s, char *e)
{
	char *word, *arg, *we;

	close_section(p);
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
			perr(p, "unknown section [%s %s]", word, arg);
		else
			perr(p, "unknown section [%s]", word);
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

static void daemon_key(struct cfg_parser *p, int k, const char *key, const char *val)
{
	struct cfg *c = p->c;
	uint64_t n;
	bool b;

	switch (k) {
	case D_MOUNT:
	case D_CONTROL:
	case D_STATE_DIR: {
		char *path = strdup(val);
		const char *why;

		if (!path) {
			p->sink->oom = true;
			return;
		}
		why = clean_path(path);
		if (!why)
			why = k == D_MOUNT ? mount_refused(path) : k == D_CONTROL ? control_refused(path) : NULL;
		if (!why && k == D_CONTROL && strlen(path) > CFG_SUN_PATH_MAX) {
			perr(p, "bad control \"%s\": too long for a unix socket (%zu bytes, at most %zu)", val,
			     strlen(path), CFG_SUN_PATH_MAX);
			p->path_refused = true;
		} else if (why) {
			perr(p, "bad %s \"%s\": %s", key, val, why);
			p->path_refused = true;
		} else {
			set_str(p, k == D_MOUNT ? &c->mount : k == D_CONTROL ? &c->control : &c->state_dir,
				path);
		}
		free(path);
		return;
	}
	case D_SECRETS:
		set_str(p, &c->secrets, val);
		return;
	case D_CONTROL_GROUP:
		set_str(p, &c->control_group, val);
		return;
	case D_DATAPATH:
		if (parse_datapath(val, &c->datapath))
			perr(p, "bad datapath \"%s\": expected auto, kernel or userspace", val);
		return;
	case D_SAID_FORMAT:
		if (!strcmp(val, "seed"))
			c->said_format = CFG_SAID_SEED;
		else if (!strcmp(val, "x"))
			c->said_format = CFG_SAID_X;
		else
			perr(p, "bad said-format \"%s\": expected seed or x", val);
		return;
	case D_INSTALL_ROUTES:
	case D_KEEP_ON_EXIT:
		if (parse_yesno(val, &b))
			perr(p, "bad %s \"%s\": expected yes or no", key, val);
		else if (k == D_INSTALL_ROUTES)
			c->install_routes = b;
		else
			c->keep_on_exit = b;
		return;
	case D_ROUTE_TABLE:
		if (parse_u64(val, 0xfffffffeu, &n) || n == 0)
			perr(p, "bad route-table \"%s\": expected a number 1..4294967294", val);
		else if (n == 253 || n == 254 || n == 255)
			perr(p, "bad route-table \"%s\": 253, 254 and 255 are the kernel's default, main and local tables",
			     val);
		else
			c->route_table = (uint32_t)n;
		return;
	}
}

static void sa_key(struct cfg_parser *p, int k, const char *key, char *val)
{
	struct cfg_sa *sa = &p->c->sa[p->cur];
	struct sa_aux *ax = &p->aux[p->cur];
	const struct alg_desc *alg;
	uint64_t *soft, *hard;
	char err[256], known[256];
	const char *why;
	uint64_t n;
	int w;

	switch (k) {
	case S_SRC:
		if (ip_addr_parse(val, &sa->src, err, sizeof(err)))
			perr(p, "src: %s", err);
		else if (ip_addr_is_any(&sa->src))
			perr(p, "bad src \"%s\": the unspecified address", val);
		else if (sa->src.family != sa->said.dst.family)
			perr(p, "src \"%s\" is %s but the SAID is %s", val, family_name(sa->src.family),
			     family_name(sa->said.dst.family));
		return;
	case S_DIR:
		sa->dir_line = p->lineno;
		if (!strcmp(val, "in"))
			sa->dir = CFG_DIR_IN;
		else if (!strcmp(val, "out"))
			sa->dir = CFG_DIR_OUT;
		else
			perr(p, "bad dir \"%s\": expected in or out", val);
		return;
	case S_MODE:
		sa->mode_line = p->lineno;
		if (!strcmp(val, "tunnel"))
			sa->mode = CFG_MODE_TUNNEL;
		else if (!strcmp(val, "transport"))
			sa->mode = CFG_MODE_TRANSPORT;
		else
			perr(p, "bad mode \"%s\": expected tunnel or transport", val);
		return;
	case S_ENC:
	case S_AUTH:
	case S_COMP: {
		enum alg_kind kind = k == S_ENC ? ALG_ENC : k == S_AUTH ? ALG_AUTH : ALG_COMP;

		alg = alg_find(val, kind);
		if (!alg) {
			alg_names(kind, known, sizeof(known));
			perr(p, "unknown %s \"%s\" (known: %s)", key, val, known);
		} else if (k == S_ENC) {
			sa->enc = alg;
		} else if (k == S_AUTH) {
			sa->auth = alg;
		} else {
			sa->comp = alg;
		}
		return;
	}
	case S_ENCKEY:
	case S_AUTHKEY:
		w = k == S_AUTHKEY;
		ax->keyfile[w] = p->file;
		if (parse_hexkey(val, w ? &sa->authkey : &sa->enckey, &why)) {
			perr(p, "bad %s: %s", key, why);
			return;
		}
		ax->keyok[w] = true;
		return;
	case S_REPLAY:
		if (parse_u64(val, 4096, &n))
			perr(p, "bad replay-window \"%s\": expected 0..4096 packets", val);
		else
			sa->replay_window = (uint32_t)n;
		return;
	case S_ESN:
		if (parse_yesno(val, &sa->esn))
			perr(p, "bad esn \"%s\": expected yes or no", val);
		else
			sa->esn_set = true;
		return;
	case S_AH_ALIGN:
		if (!strcmp(val, "32"))
			sa->ah_align = 32;
		else if (!strcmp(val, "64"))
			sa->ah_align = 64;
		else
			perr(p, "bad ah-align \"%s\": expected 32 or 64", val);
		return;
	case S_LIFE_BYTES:
	case S_LIFE_PACKETS:
	case S_LIFE_SECONDS: {
		uint64_t s0, h0;
		char *copy = strdup(val);

		if (!copy) {
			p->sink->oom = true;
			return;
		}
		soft = k == S_LIFE_BYTES ? &sa->life.soft_bytes
		       : k == S_LIFE_PACKETS ? &sa->life.soft_packets : &sa->life.soft_seconds;
		hard = k == S_LIFE_BYTES ? &sa->life.hard_bytes
		       : k == S_LIFE_PACKETS ? &sa->life.hard_packets : &sa->life.hard_seconds;
		if (parse_life(copy, &s0, &h0, &why)) {
			perr(p, "bad %s \"%s\": %s", key, val, why);
		} else {
			*soft = s0;
			*hard = h0;
		}
		free(copy);
		return;
	}
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
				     tok[i]);
				bad = true;
			} else if (n > 1) {
				perr(p, "\"%s\" must be the only SAID of a group", tok[i]);
				bad = true;
			}
			continue;
		}
		for (j = 0; j < i; j++) {
			if (said_equal(&g->said[j], &g->said[i])) {
				perr(p, "\"%s\" appears twice in said", tok[i]);
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
			     tok, family_name(tmp.addr.family), p->ts_first ? p->ts_first : "?",
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
			perr(p, "bad proto \"%s\": expected tcp, udp, sctp, icmp, ipv6-icmp or 0..255", val);
		else
			g->proto = (uint8_t)n;
		return;
	case G_SPORT:
	case G_DPORT:
		if (parse_u64(val, 65535, &n))
			perr(p, "bad %s \"%s\": expected 0..65535", key, val);
		else if (k == G_SPORT)
			g->sport = (uint16_t)n;
		else
			g->dport = (uint16_t)n;
		return;
	case G_DATAPATH:
		if (parse_datapath(val, &g->datapath))
			perr(p, "bad datapath \"%s\": expected auto, kernel or userspace", val);
		return;
	case G_PRIORITY:
		if (parse_u64(val, UINT32_MAX, &n) || n < CFG_PRIORITY_MIN || n > CFG_PRIORITY_MAX)
			perr(p, "bad priority \"%s\": expected %u..%u", val, CFG_PRIORITY_MIN,
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
		perr(p, "key \"%s\" outside any section", key);
		return;
	case SEC_SKIP:
		return;
	case SEC_DAEMON:
		tab = daemon_keys;
		ntab = D_NKEYS;
		seen = p->daemon_seen;
		break;
	case SEC_SA:
		tab = sa_keys;
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
		if (p->sec == SEC_DAEMON)
			perr(p, "unknown key \"%s\" in [daemon]", key);
		else if (p->sec == SEC_SA)
			perr(p, "unknown key \"%s\" in [sa %s]", key, p->aux[p->cur].text);
		else
			perr(p, "unknown key \"%s\" in [group %s]", key, p->c->group[p->cur].name);
		return;
	}
	if (p->secrets_only && k != S_ENCKEY && k != S_AUTHKEY) {
		perr(p, "\"%s\" does not belong in a secrets file (only enckey and authkey)", key);
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
			close_section(p);
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

/* Move the keys of secrets parser @q into the SAs of @p. */
static void merge_secrets(struct cfg_parser *p, struct cfg_parser *q)
{
	size_t j, i;
	int w;

	for (j = 0; j < q->c->nsa; j++) {
		struct cfg_sa *qs = &q->c->sa[j];
		struct sa_aux *qx = &q->aux[j];

		if (!idx_find_said(p->c->sa_index, p->c->sa, &qs->said, &i)) {
			perr_at(q, qs->line, "[sa %s] is not defined in %s", qx->text, p->c->path);
			continue;
		}
		for (w = 0; w < 2; w++) {
			int kk = w ? S_AUTHKEY : S_ENCKEY;
			struct cfg_key *from = w ? &qs->authkey : &qs->enckey;
			struct cfg_key *to = w ? &p->c->sa[i].authkey : &p->c->sa[i].enckey;

			if (!qx->seen[kk])
				continue;
			if (p->aux[i].seen[kk]) {
				perr_at(q, qx->seen[kk], "%s of [sa %s] is also given in %s:%u", sa_keys[kk],
					qx->text, p->sink->files[p->aux[i].keyfile[w]], p->aux[i].seen[kk]);
				continue;
			}
			*to = *from;
			from->data = NULL;
			from->len = 0;
			p->aux[i].seen[kk] = qx->seen[kk];
			p->aux[i].keyfile[w] = q->file;
			p->aux[i].keyok[w] = qx->keyok[w];
		}
	}
}

/* Hand over the errors and the cfg (NULL on errors), free @p. */
static struct cfg *parser_done(struct cfg_parser *p)
{
	struct cfg *c = p->c;
	size_t nerr = sink_flush(p->sink, p->errs);

	parser_free(p, nerr != 0);
	return nerr ? NULL : c;
}

struct cfg *cfg_parser_finish(struct cfg_parser *p)
{
	size_t i;

	if (!p)
		return NULL;
	close_section(p);
	check_daemon(p);
	for (i = 0; !p->secrets_only && i < p->c->nsa; i++)
		check_sa_keys(p, i, p->c->secrets != NULL);
	return parser_done(p);
}

/* ---- files ---- */

struct file_info {
	bool opened;
	struct stat st;
};

/*
 * Read @path and feed it to @p line by line.  The buffer is wiped (it may
 * hold keys).  Only a regular file is read: the open does not block (a
 * FIFO would wait for a writer) and acquires no controlling terminal.
 * Return: 0, or -errno with *@what naming the step that failed ("cannot
 * open", ...; -EINVAL: "not a regular file") for the caller to report.
 */
static int feed_file(struct cfg_parser *p, const char *path, struct file_info *fi, const char **what)
{
	char *buf = NULL, *nb, *s, *nl, *end;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd, ret = 0, fl;

	fi->opened = false;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*what = "cannot open";
		return -errno;
	}
	if (fstat(fd, &fi->st)) {
		*what = "cannot stat";
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(fi->st.st_mode)) {
		*what = "not a regular file";
		ret = -EINVAL;
		goto out;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		*what = "cannot read";
		ret = -errno;
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			size_t ncap = cap ? 2 * cap : 16384;

			nb = malloc(ncap);
			if (!nb) {
				p->sink->oom = true;
				goto out;
			}
			if (buf) {
				memcpy(nb, buf, len);
				OPENSSL_cleanse(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*what = "cannot read";
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	fi->opened = true;
	buf[len] = '\0';
	end = buf + len;
	for (s = buf; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		*nl = '\0';
		if (strlen(s) != (size_t)(nl - s)) {
			p->lineno++;
			perr(p, "line contains a NUL byte");
			continue;
		}
		cfg_parser_line(p, s);
	}
out:
	if (buf) {
		OPENSSL_cleanse(buf, cap);
		free(buf);
	}
	close(fd);
	return ret;
}

/* "not a regular file" or "cannot open: No such file or directory". */
#define FEED_ERR_FMT "%s%s%s"
#define FEED_ERR_ARGS(what, err) (what), (err) == -EINVAL ? "" : ": ", \
	(err) == -EINVAL ? "" : strerror(-(err))

/* A file holding keys: not accessible by group/others, owned by root (or us). */
static void check_secrecy(struct cfg_parser *p, const struct file_info *fi, bool check_owner)
{
	unsigned mode = (unsigned)fi->st.st_mode & 07777;
	uid_t me = geteuid();

	if (!fi->opened || !p->has_keys)
		return;
	if (mode & 077)
		perr_at(p, 0, "holds keys but is %s by group or others (mode %04o); chmod 600 it",
			mode & 044 ? "readable" : "accessible", mode);
	if (check_owner && fi->st.st_uid != 0 && fi->st.st_uid != me) {
		if (me == 0)
			perr_at(p, 0, "holds keys but is owned by uid %u, not by root; chown root it",
				(unsigned)fi->st.st_uid);
		else
			perr_at(p, 0, "holds keys but is owned by uid %u, not by root or uid %u",
				(unsigned)fi->st.st_uid, (unsigned)me);
	}
}

/* control-group must name a group of the system (looked up at load: the
 * daemon needs its gid for the control socket). */
static void check_control_group(struct cfg_parser *p)
{
	const char *name = p->c->control_group;
	unsigned line = p->daemon_seen[D_CONTROL_GROUP];

	errno = 0;
	if (getgrnam(name))
		return;
	/* getgrnam(3): 0, ENOENT, ESRCH, EBADF and EPERM all mean "not found" */
	if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
		perr_at(p, line, "bad control-group \"%s\": no such group", name);
	else
		perr_at(p, line, "control-group \"%s\": cannot look up the group: %s", name,
			strerror(errno));
}

/* The secrets path: absolute, or relative to the config file's directory. */
static char *secrets_path(const char *config, const char *secrets)
{
	const char *slash = strrchr(config, '/');
	size_t dlen;
	char *s;

	if (secrets[0] == '/' || !slash)
		return strdup(secrets);
	dlen = (size_t)(slash - config) + 1;
	s = malloc(dlen + strlen(secrets) + 1);
	if (!s)
		return NULL;
	memcpy(s, config, dlen);
	strcpy(s + dlen, secrets);
	return s;
}

struct cfg *cfg_load(const char *path, bool check_owner, struct cfg_errors *errs)
{
	struct cfg_parser *p, *q = NULL;
	struct file_info fi, sfi;
	bool keys_elsewhere = false;
	char *spath = NULL;
	const char *what = NULL;
	struct cfg *c;
	size_t i;
	int r;

	p = cfg_parser_new(path, errs);
	if (!p) {
		cfg_errors_add(errs, path, 0, "out of memory");
		return NULL;
	}
	r = feed_file(p, path, &fi, &what);
	if (r)
		perr_at(p, 0, FEED_ERR_FMT, FEED_ERR_ARGS(what, r));
	close_section(p);
	check_daemon(p);
	check_secrecy(p, &fi, check_owner);
	if (p->c->control_group)
		check_control_group(p);

	if (p->c->secrets) {
		spath = secrets_path(path, p->c->secrets);
		if (spath)
			q = parser_alloc(spath, p->sink, 1, true);
		if (!q) {
			p->sink->oom = true;
			keys_elsewhere = true;
		} else {
			r = feed_file(q, spath, &sfi, &what);
			if (r) /* reported where the main file names it */
				perr_at(p, p->daemon_seen[D_SECRETS], "secrets file %s: " FEED_ERR_FMT, spath,
					FEED_ERR_ARGS(what, r));
			close_section(q);
			check_secrecy(q, &sfi, check_owner);
			if (sfi.opened)
				merge_secrets(p, q);
			else
				keys_elsewhere = true;
		}
	}
	for (i = 0; i < p->c->nsa; i++)
		check_sa_keys(p, i, keys_elsewhere);
	c = parser_done(p); /* the sink still names spath: free q after */
	parser_free(q, true);
	free(spath);
	return c;
}
