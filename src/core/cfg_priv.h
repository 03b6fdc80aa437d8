/* cfg_priv.h: what the parts of the config parser share; not a public
 * interface (cfg.h is).
 *
 *   cfg.c       the line parser: sections, keys, values, per-section checks,
 *               the error sink and the SAID index
 *   cfg_path.c  the [daemon] path rules (text only) and, for cfg_load(),
 *               the same rules on the paths as the file system resolves them
 *   cfg_load.c  reading the config and secrets files: who may write them,
 *               the secrets merge, control-group
 */
#ifndef SPIGRP_CFG_PRIV_H
#define SPIGRP_CFG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cfg.h"
#include "hash.h"

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

void cfgp_sink_add(struct err_sink *s, unsigned file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* cfg->sa_index: the SAIDs of cfg->sa (hash of said_hash_of()). */
struct cfg_sa_index {
	struct hidx x;
};

/* The hash of @s in cfg_sa_index. */
uint64_t cfgp_said_hash(const struct said *s);

/* Index of the SA with SAID @s in @c (0 / -ENOENT). */
int cfgp_sa_lookup(const struct cfg *c, const struct said *s, size_t *out);

enum { D_MOUNT, D_CONTROL, D_STATE_DIR, D_DATAPATH, D_SAID_FORMAT, D_SECRETS, D_INSTALL_ROUTES,
       D_KEEP_ON_EXIT, D_CONTROL_GROUP, D_ROUTE_TABLE, D_TUN_DEVICE, D_FWMARK, D_DP_BATCH,
       D_NKEYS };
enum { S_SRC, S_DIR, S_MODE, S_ENC, S_ENCKEY, S_AUTH, S_AUTHKEY, S_COMP, S_REPLAY, S_ESN,
       S_AH_ALIGN, S_LIFE_BYTES, S_LIFE_PACKETS, S_LIFE_SECONDS, S_NKEYS };
enum { G_SAID, G_SRC_TS, G_DST_TS, G_PROTO, G_SPORT, G_DPORT, G_DATAPATH, G_PRIORITY, G_NKEYS };

extern const char *const cfgp_daemon_keys[D_NKEYS];
extern const char *const cfgp_sa_keys[S_NKEYS];

enum sect { SEC_NONE, SEC_DAEMON, SEC_SA, SEC_GROUP, SEC_SKIP };

/* What the parser remembers per [sa] beyond struct cfg_sa. */
struct sa_aux {
	unsigned seen[S_NKEYS];   /* line of each key, 0 = not written */
	unsigned keyfile[2];      /* sink file index of the enckey / authkey line */
	bool keyok[2];            /* that key parsed (its length is meaningful) */
	char *text;               /* the SAID as written in the header */
};

#define CFGP_NQUOTE 4 /* quoted values alive at once (one message's worth) */

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
	struct hidx group_idx;    /* hash of the group name -> index in c->group */
	char *quoted[CFGP_NQUOTE]; /* cfgp_quote()'s ring */
	unsigned qnext;
	char *buf;                /* copy of the current line: wiped after use */
	size_t bufcap;
};

#define perr(p, ...) cfgp_sink_add((p)->sink, (p)->file, (p)->lineno, __VA_ARGS__)
#define perr_at(p, line, ...) cfgp_sink_add((p)->sink, (p)->file, (line), __VA_ARGS__)

/*
 * cfgp_quote() - @s as a message may quote it: escaped (escape.h) and cut
 * at CFG_QUOTE_MAX bytes with "...".  The text lives in @p until
 * CFGP_NQUOTE later calls; "?" when out of memory (noted in the sink).
 */
const char *cfgp_quote(struct cfg_parser *p, const char *s);

/* A parser for @file writing into @sink (NULL: its own) as file @fileidx. */
struct cfg_parser *cfgp_alloc(const char *file, struct err_sink *sink, unsigned fileidx,
			      bool secrets_only);
void cfgp_free(struct cfg_parser *p, bool free_cfg);
/* Run the checks of the section being read and leave it. */
void cfgp_close_section(struct cfg_parser *p);
/* The enckey/authkey checks of SA @i; @keys_elsewhere: a missing key is
 * in a secrets file that was not read (no error). */
void cfgp_check_sa_keys(struct cfg_parser *p, size_t i, bool keys_elsewhere);
/* Hand over the errors and the cfg (NULL on errors), free @p. */
struct cfg *cfgp_done(struct cfg_parser *p);

/* ---- cfg_path.c ---- */

/* Check a [daemon] path (@k: D_MOUNT, D_CONTROL or D_STATE_DIR) and
 * rewrite it in place without repeated and trailing slashes.  Return: NULL,
 * or why it is refused (a constant string). */
const char *cfgp_path_refused(int k, char *path);
/* The [daemon] paths against each other, defaults included. */
void cfgp_check_daemon(struct cfg_parser *p);

/* The userspace datapath's [daemon] keys (@k: D_TUN_DEVICE, D_FWMARK,
 * D_DP_BATCH; cfg_dp.c).  Sets @c's field, or returns -EINVAL with what is
 * wrong (without the value) in @err. */
int cfgp_daemon_dp_key(struct cfg *c, int k, const char *val, char *err, size_t len);
/* The [daemon] paths as the file system resolves them (symbolic links),
 * against the same rules and against the config file @config and the
 * secrets file @secrets (NULL: none): the view may hide neither. */
void cfgp_check_resolved(struct cfg_parser *p, const char *config, const char *secrets);
/* realpath(3) of the directory holding @path (malloc'ed), or NULL. */
char *cfgp_real_dir(const char *path);
/* @path is @dir or below it (both clean).  Everything is below "/". */
bool cfgp_path_within(const char *path, const char *dir);

#endif
