/* cfg.h: the spigrpd.conf INI file -> struct cfg.
 *
 * Our own strict line parser (init/line/finish, like wireguard-tools'
 * config.c): every error is collected as "FILE:LINE: text", not just the
 * first.  It checks syntax, value ranges, key lengths and refused
 * combinations of one section; cross-section checks (undefined SA, SA in two
 * groups, directions) are sadb's.  No kernel, no I/O besides reading files,
 * looking at who may write them and where paths lead (cfg_load(), which also
 * looks up control-group).  The algorithm table is alg.h's.
 */
#ifndef SPIGRP_CFG_H
#define SPIGRP_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "alg.h" /* struct alg_desc, alg_find(): the algorithm table */
#include "said.h"

#define CFG_MAX_GROUP_SAS 4   /* ipsec spigrp: at most four SAs */
#define CFG_MAX_TS 8          /* prefixes per src-ts / dst-ts */

enum cfg_datapath { CFG_DP_AUTO = 0, CFG_DP_KERNEL, CFG_DP_USERSPACE };
enum cfg_dir { CFG_DIR_AUTO = 0, CFG_DIR_IN, CFG_DIR_OUT };
enum cfg_mode { CFG_MODE_UNSET = 0, CFG_MODE_TRANSPORT, CFG_MODE_TUNNEL };
enum cfg_said_format { CFG_SAID_SEED = 0, CFG_SAID_X };

/* A secret.  data is malloc'ed and wiped (OPENSSL_cleanse) by cfg_key_clear(). */
struct cfg_key {
	uint8_t *data;
	size_t len;   /* bytes */
};
void cfg_key_clear(struct cfg_key *k);
int cfg_key_copy(struct cfg_key *dst, const struct cfg_key *src); /* 0/-ENOMEM */

/* Lifetime limits; 0 = unlimited (sent to the kernel as XFRM_INF). */
struct cfg_life {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_seconds, hard_seconds; /* since add */
};

struct cfg_sa {
	struct said said;
	unsigned line;               /* line of the [sa ...] header */
	struct ip_addr src;          /* mandatory `src` */
	enum cfg_dir dir;
	enum cfg_mode mode;
	const struct alg_desc *enc;  /* ALG_ENC or ALG_AEAD, or NULL */
	const struct alg_desc *auth; /* ALG_AUTH, or NULL */
	const struct alg_desc *comp; /* ALG_COMP, or NULL */
	struct cfg_key enckey, authkey;
	uint32_t replay_window;      /* packets, 0..4096; default 32 for ESP/AH, 0 for comp/tun */
	bool esn;                    /* default yes for ESP/AH (static keys), no otherwise */
	bool esn_set;                /* esn written explicitly */
	unsigned ah_align;           /* AH only: 32 (RFC 4302, XFRM align4; IPv4 default) or
					64 (IPv6: always); 0 on other SAs */
	struct cfg_life life;
	bool implicit_tun;           /* synthesized from mode = tunnel (not written) */
	unsigned dir_line, mode_line; /* line of the `dir =` / `mode =` key; 0: not written */
};

struct cfg_group {
	char *name;
	unsigned line;
	struct said said[CFG_MAX_GROUP_SAS]; /* inside -> outside */
	unsigned nsaid;
	unsigned said_line;
	struct ip_prefix src_ts[CFG_MAX_TS], dst_ts[CFG_MAX_TS];
	unsigned nsrc_ts, ndst_ts;
	uint8_t proto;               /* 0 = any */
	uint16_t sport, dport;       /* host order; 0 = any */
	enum cfg_datapath datapath;  /* AUTO: follow [daemon] */
	uint32_t priority;           /* 0 = computed, else CFG_PRIORITY_MIN..MAX */
};

/* Longest [group NAME] (a name goes into the reqids file, the status and
 * log lines). */
#define CFG_GROUP_NAME_MAX 128

/* `priority` range: our XFRM policy priority band (kern/xfrm_own.h). */
#define CFG_PRIORITY_MIN 1000000u
#define CFG_PRIORITY_MAX 1999999u

struct cfg_sa_index; /* private to the parser (cfg_priv.h) */

struct cfg {
	char *path;                  /* the file read */
	/* [daemon] */
	/* mount, control, state_dir: absolute, no "." or ".." component, at
	 * most PATH_MAX - 1 bytes, stored without repeated or trailing '/';
	 * control fits a sockaddr_un and is not in /proc or /sys; mount and
	 * state_dir are not /, nor in /proc, /sys or /dev, nor a system
	 * directory (cfg_path.c: /etc, /usr, /tmp, /var, /var/lib, ...); none
	 * lies inside another where that would break the daemon (control or
	 * state_dir below mount, mount below control, mount == control).
	 * cfg_load() checks mount and state_dir once more with symbolic links
	 * resolved, and that the view would hide neither the config nor the
	 * secrets file. */
	char *mount;                 /* default /run/spigrpd/net */
	char *control;               /* default /run/spigrpd/ctl */
	char *state_dir;             /* default /var/lib/spigrpd */
	char *secrets;               /* path as written (relative: to the config's
					directory; < PATH_MAX bytes), or NULL */
	char *control_group;         /* group name, or NULL (cfg_load: it exists) */
	enum cfg_datapath datapath;
	enum cfg_said_format said_format;
	bool install_routes;         /* default yes */
	bool keep_on_exit;           /* default no */
	uint32_t route_table;        /* default CFG_DEFAULT_ROUTE_TABLE */
	/* the userspace datapath (dp.h's struct dp_config) */
	char *tun_device;            /* its TUN device's name: a valid interface
					name without '%' (default
					CFG_DEFAULT_TUN_DEVICE) */
	uint32_t fwmark, fwmask;     /* SO_MARK of its sockets; our routing rule
					skips marked packets: "not fwmark
					fwmark/fwmask"; fwmark != 0, inside
					fwmask */
	unsigned dp_batch;           /* packets per batched system call, 1..64 */
	/* sections in file order */
	struct cfg_sa *sa;
	size_t nsa;
	struct cfg_group *group;
	size_t ngroup;
	struct cfg_sa_index *sa_index; /* private: cfg_find_sa()'s hash; NULL = linear search */
	/* Sections from this line on are the runtime objects of the KLIPS
	 * commands (klips_rt_merge()), not lines of @path: sadb's messages
	 * name them "runtime"; 0: none. */
	unsigned rt_line;
};

#define CFG_DEFAULT_MOUNT "/run/spigrpd/net"
#define CFG_DEFAULT_CONTROL "/run/spigrpd/ctl"
#define CFG_DEFAULT_STATE_DIR "/var/lib/spigrpd"
#define CFG_DEFAULT_ROUTE_TABLE 2336
#define CFG_DEFAULT_TUN_DEVICE "spigrp0"
/* "SG" in the upper 16 bits: clear of the small marks strongSwan's and
 * libreswan's configurations use (0x1.., 0x42, libreswan's 1001+ per
 * connection) and of wg-quick's 51820 (spigrpd.conf(5) says more). */
#define CFG_DEFAULT_FWMARK 0x53470000u
#define CFG_DEFAULT_FWMASK 0xffff0000u
#define CFG_DEFAULT_DP_BATCH 64

/* Collected errors: one "FILE:LINE: text" string each, in file order.
 * cfg_errors_add() escapes what a terminal could act on, in the file name
 * and the text alike (util/escape.h: C0 and C1 controls, DEL and bytes
 * that are not valid UTF-8 as "\xNN", bidi and zero-width characters as
 * "\u{XXXX}"), and cuts a message at CFG_ERROR_MAX bytes with "...".  The
 * parser quotes a value, name or SAID from the input with at most
 * CFG_QUOTE_MAX of its bytes (then "..."), so that no error line grows with
 * the input; paths it accepted are quoted whole. */
#define CFG_QUOTE_MAX 64
#define CFG_ERROR_MAX 4096
struct cfg_errors {
	char **msg;
	size_t n;
};
void cfg_errors_add(struct cfg_errors *e, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cfg_errors_free(struct cfg_errors *e);

/* Incremental parser: cfg_parser_new(); cfg_parser_line() per line (no
 * trailing newline needed; any length); cfg_parser_finish() hands over the
 * cfg (NULL if this parser collected any error; errors are appended to @errs
 * sorted by line).  @file names the input in messages.  It reads no file:
 * when the text names a `secrets` file, a missing enckey/authkey is left to
 * cfg_load(), which merges that file. */
struct cfg_parser;
struct cfg_parser *cfg_parser_new(const char *file, struct cfg_errors *errs);
void cfg_parser_line(struct cfg_parser *p, const char *line);
struct cfg *cfg_parser_finish(struct cfg_parser *p); /* frees p */

/**
 * cfg_load() - read and parse a config file, then its `secrets` file.
 * The secrets file has the same syntax but only [sa SAID] sections with
 * enckey/authkey lines; its keys are merged into the config's SAs (an SA the
 * config lacks or a key given in both files is an error).
 * Who may change the files, whatever they hold (they decide what a daemon
 * running as root mounts, binds, writes and reads): neither file may be
 * writable by group or others (mode & 022), nor its directory unless that
 * has the sticky bit; with @check_owner, the files and their directories
 * must be owned by root or by geteuid() (for the daemon, root: for `-n` run
 * by a user, also that user, so a file can be checked before it is
 * installed).  A file that holds keys must not be accessible by group or
 * others at all (mode & 077).  The directories are the one in the path as
 * given and, for a symbolic link, the one of the file it leads to.
 * Refused otherwise, with the reason ("FILE: is writable by group or
 * others (mode 0666); chmod go-w it").
 * Paths: mount and state-dir are checked again as symbolic links resolve
 * them, and the view may not hide the config or the secrets file (every
 * reload reads them again): "CONF:LINE: mount "/etc/spigrpd" would hide
 * the config file /etc/spigrpd/spigrpd.conf: ...".
 * Every buffer that held file text is wiped (OPENSSL_cleanse).  Only
 * regular files are read (opened O_NONBLOCK, so a FIFO does not block:
 * "FILE: not a regular file"); a secrets file that cannot be read is
 * reported at the line of `secrets =` ("CONF:LINE: secrets file PATH:
 * cannot open: ...").  Unlike the parser alone, cfg_load() also looks up
 * `control-group` (getgrnam(3)).
 * Return: the config (free with cfg_free()), or NULL with @errs filled.
 */
struct cfg *cfg_load(const char *path, bool check_owner, struct cfg_errors *errs);
void cfg_free(struct cfg *c); /* wipes keys; NULL is a no-op */

/* A deep copy of @c (keys, names and paths copied; its own SAID index).
 * Return: the copy (cfg_free()), or NULL (out of memory). */
struct cfg *cfg_dup(const struct cfg *c);
/* Rebuild @c's SAID index (cfg_find_sa()) after SAs were added to
 * c->sa by hand.  0 or -ENOMEM (then lookups are linear). */
int cfg_reindex(struct cfg *c);

/* The SA with SAID @s (hash lookup; a linear search in a cfg built by hand,
 * whose sa_index is NULL), or NULL. */
const struct cfg_sa *cfg_find_sa(const struct cfg *c, const struct said *s);

#endif
