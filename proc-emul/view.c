/* view.c: the FUSE glue of the KLIPS views (libfuse3 low-level API).
 *
 * A tiny read-only file system laid out as KLIPS's /proc/net (ipsec_spigrp(5)
 * FILES): the directory ipsec/ holds the files (eroute/all, spi/all,
 * spigrp/all, tncfg, version, klipsdebug, natt), and the top level the
 * compatibility names as symbolic links into it (ipsec_spigrp ->
 * ipsec/spigrp/all, ...).  The tree is the constant table pe_nodes[]: a
 * node's inode is its index (1 = the root).  Directories are 0555, files
 * 0444 (owned by root, size 0 like procfs), links 0777.  Each file's content
 * is a snapshot (snap.h); pe_view_publish() swaps in a new one, open()
 * takes a reference to the current one and release() drops it, so a reader
 * keeps the rendering of its open() until it closes the file.
 *
 * Files rendered on demand (pe_view_invalidate(): ipsec_spi and
 * ipsec_eroute, one line per SA or policy): an open() of one whose
 * rendering was dropped, or of a live one (counters) whose rendering is
 * older than PE_LIVE_AGE, asks the daemon for a new one (a counter on the
 * refresh eventfd, pe_view_refresh_fd()) and is answered when it comes
 * (pe_view_publish() replies from the daemon's thread); an open that has
 * an older rendering to fall back on gets that after PE_LIVE_WAIT.  The
 * FUSE thread never waits for the daemon: other files are served
 * meanwhile.
 *
 * Threading: one thread of our own runs a plain receive/process loop.  No
 * handler ever blocks (everything is served from memory under a short
 * mutex, or answered later), so a pool (fuse_session_loop_mt) would not
 * serve readers any faster, while our own loop can poll a wake-up pipe:
 * pe_view_unmount() stops it without signals, even while some reader keeps
 * a file open.
 */
#include "config.h"

#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "snap.h"
#include "view.h"

/* The names pe_view_publish() takes: the compatibility links (each
 * leads to its file) and the one file without a link. */
const char *const pe_view_files[] = {
	"ipsec_eroute",
	"ipsec_klipsdebug",
	"ipsec_spi",
	"ipsec_spigrp",
	"ipsec_tncfg",
	"ipsec_version",
	"ipsec/natt",
	NULL,
};

enum pe_kind { PE_DIR = 1, PE_FILE, PE_LINK };

/* One node of the tree.  Files carry their slot in cur[]/mtime[]. */
struct pe_node {
	const char *name;
	fuse_ino_t parent;
	enum pe_kind kind;
	const char *target; /* links: relative to the root */
	int slot;           /* files: 0..PE_NFILES-1; others -1 */
	bool live;          /* counters: refreshed on open (see above) */
};

/* Adding a file = a node here (children of a directory in name order, as
 * ls shows them), a name in pe_view_files[] and its text published by the
 * daemon. */
static const struct pe_node pe_nodes[] = {
	[1] = { "", 1, PE_DIR, NULL, -1, false },
	[2] = { "ipsec", 1, PE_DIR, NULL, -1, false },
	[3] = { "ipsec_eroute", 1, PE_LINK, "ipsec/eroute/all", -1, false },
	[4] = { "ipsec_klipsdebug", 1, PE_LINK, "ipsec/klipsdebug", -1, false },
	[5] = { "ipsec_spi", 1, PE_LINK, "ipsec/spi/all", -1, false },
	[6] = { "ipsec_spigrp", 1, PE_LINK, "ipsec/spigrp/all", -1, false },
	[7] = { "ipsec_tncfg", 1, PE_LINK, "ipsec/tncfg", -1, false },
	[8] = { "ipsec_version", 1, PE_LINK, "ipsec/version", -1, false },
	[9] = { "eroute", 2, PE_DIR, NULL, -1, false },
	[10] = { "klipsdebug", 2, PE_FILE, NULL, 0, false },
	[11] = { "natt", 2, PE_FILE, NULL, 1, false },
	[12] = { "spi", 2, PE_DIR, NULL, -1, false },
	[13] = { "spigrp", 2, PE_DIR, NULL, -1, false },
	[14] = { "tncfg", 2, PE_FILE, NULL, 2, false },
	[15] = { "version", 2, PE_FILE, NULL, 3, false },
	[16] = { "all", 9, PE_FILE, NULL, 4, true },
	[17] = { "all", 12, PE_FILE, NULL, 5, true },
	[18] = { "all", 13, PE_FILE, NULL, 6, false },
};

#define PE_NNODES (sizeof(pe_nodes) / sizeof(pe_nodes[0]))
#define PE_NFILES 7
#define PE_FSTYPE "fuse.spigrpd"
#define PE_TIMEOUT 1.0 /* s: attributes and names never change */
#define PE_LIVE_AGE_NS 1000000000LL /* a live file's rendering is fresh enough */
#define PE_LIVE_WAIT_NS 250000000LL /* at most this long for a new one */

/* An open() waiting for a new rendering of its file. */
struct pe_wait {
	struct pe_wait *next;
	fuse_req_t req;
	struct fuse_file_info fi;
	int64_t until;      /* CLOCK_MONOTONIC ns: then the held rendering
			       does; 0: none is held, wait for the new one */
};

struct pe_view {
	struct fuse_session *se;
	char *mountpoint;
	bool created_dir;   /* we made the mount point: rmdir it at the end */
	bool mounted;
	bool thread_started;
	pthread_t thread;
	int wake[2];        /* pipe: a byte in wake[1] stops the loop */
	int refresh;        /* eventfd: a live file wants a new rendering */
	pthread_mutex_t lock; /* guards cur[], mtime[] and wait[] */
	struct snap *cur[PE_NFILES]; /* one reference each; NULL: dropped
					 (pe_view_invalidate()) */
	struct timespec mtime[PE_NFILES];
	struct pe_wait *wait[PE_NFILES]; /* opens waiting for a rendering */
	struct timespec born;
};

/* The child @name of directory @parent, or 0. */
static fuse_ino_t pe_child(fuse_ino_t parent, const char *name, size_t len)
{
	for (fuse_ino_t i = 2; i < PE_NNODES; i++)
		if (pe_nodes[i].parent == parent && strlen(pe_nodes[i].name) == len &&
		    memcmp(pe_nodes[i].name, name, len) == 0)
			return i;
	return 0;
}

/* The node at @path (relative to the root, links followed, at most a few
 * times), or 0. */
static fuse_ino_t pe_resolve(const char *path)
{
	fuse_ino_t ino = FUSE_ROOT_ID;
	int hops = 0;

	while (*path) {
		size_t n = strcspn(path, "/");

		ino = pe_child(ino, path, n);
		if (!ino)
			return 0;
		path += n;
		if (*path == '/')
			path++;
		if (pe_nodes[ino].kind == PE_LINK) {
			if (++hops > 4 || *path)
				return 0; /* no link leads to a directory */
			path = pe_nodes[ino].target;
			ino = FUSE_ROOT_ID;
		}
	}
	return ino;
}

/* The file slot behind publish name @name, or -1. */
static int pe_file_index(const char *name)
{
	fuse_ino_t ino = pe_resolve(name);

	return ino && pe_nodes[ino].kind == PE_FILE ? pe_nodes[ino].slot : -1;
}

static bool pe_ino_valid(fuse_ino_t ino)
{
	return ino >= FUSE_ROOT_ID && ino < PE_NNODES;
}

static bool pe_ino_is_file(fuse_ino_t ino)
{
	return pe_ino_valid(ino) && pe_nodes[ino].kind == PE_FILE;
}

static void pe_fill_attr(struct pe_view *v, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_blksize = 4096;
	st->st_mtim = v->born;
	switch (pe_nodes[ino].kind) {
	case PE_DIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		for (fuse_ino_t i = 2; i < PE_NNODES; i++)
			if (pe_nodes[i].parent == ino && pe_nodes[i].kind == PE_DIR)
				st->st_nlink++;
		break;
	case PE_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(pe_nodes[ino].target);
		break;
	case PE_FILE:
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = 0; /* like procfs: the length is known only at open */
		pthread_mutex_lock(&v->lock);
		st->st_mtim = v->mtime[pe_nodes[ino].slot];
		pthread_mutex_unlock(&v->lock);
		break;
	}
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
}

static void pe_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pe_view *v = fuse_req_userdata(req);
	struct fuse_entry_param e;
	fuse_ino_t ino;

	if (!pe_ino_valid(parent) || pe_nodes[parent].kind != PE_DIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	ino = pe_child(parent, name, strlen(name));
	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.attr_timeout = PE_TIMEOUT;
	e.entry_timeout = PE_TIMEOUT;
	pe_fill_attr(v, e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void pe_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pe_view *v = fuse_req_userdata(req);
	struct stat st;

	(void)fi;
	if (!pe_ino_valid(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	pe_fill_attr(v, ino, &st);
	fuse_reply_attr(req, &st, PE_TIMEOUT);
}

static void pe_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	if (!pe_ino_valid(ino) || pe_nodes[ino].kind != PE_LINK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fuse_reply_readlink(req, pe_nodes[ino].target);
}

static bool pe_ino_is_dir(fuse_ino_t ino)
{
	return pe_ino_valid(ino) && pe_nodes[ino].kind == PE_DIR;
}

static void pe_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!pe_ino_is_dir(ino)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

/* Append one entry to @buf if it fits; return the new length. */
static size_t pe_add_dirent(fuse_req_t req, char *buf, size_t size, size_t len,
			    const char *name, fuse_ino_t ino, mode_t mode, off_t next)
{
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = mode;
	need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	if (len + need > size)
		return len;
	fuse_add_direntry(req, buf + len, size - len, name, &st, next);
	return len + need;
}

static mode_t pe_dirent_mode(enum pe_kind k)
{
	return k == PE_DIR ? S_IFDIR : k == PE_LINK ? S_IFLNK : S_IFREG;
}

/* Offsets: 0 = ".", 1 = "..", 2 + j = the directory's j-th child in
 * pe_nodes[] order; an entry's "next offset" is its own offset + 1. */
static void pe_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	fuse_ino_t child[PE_NNODES];
	size_t nchild = 0;
	char *buf;
	size_t len = 0, prev;
	off_t i;

	(void)fi;
	if (!pe_ino_is_dir(ino)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (fuse_ino_t c = 2; c < PE_NNODES; c++)
		if (pe_nodes[c].parent == ino)
			child[nchild++] = c;
	for (i = off; i < (off_t)(2 + nchild); i++) {
		prev = len;
		if (i == 0) {
			len = pe_add_dirent(req, buf, size, len, ".", ino, S_IFDIR, i + 1);
		} else if (i == 1) {
			len = pe_add_dirent(req, buf, size, len, "..", pe_nodes[ino].parent,
					    S_IFDIR, i + 1);
		} else {
			fuse_ino_t c = child[i - 2];

			len = pe_add_dirent(req, buf, size, len, pe_nodes[c].name, c,
					    pe_dirent_mode(pe_nodes[c].kind), i + 1);
		}
		if (len == prev)
			break; /* full: the kernel asks again from this offset */
	}
	fuse_reply_buf(req, buf, len);
	free(buf);
}

static int64_t pe_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int64_t pe_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return pe_ns(&t);
}

/* Does an open of file node @ino want a new rendering?  Under v->lock. */
static bool pe_wants_new(struct pe_view *v, fuse_ino_t ino)
{
	int slot = pe_nodes[ino].slot;
	struct timespec now;

	if (v->refresh < 0)
		return false;
	if (!v->cur[slot])
		return true;
	if (!pe_nodes[ino].live)
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	return pe_ns(&now) - pe_ns(&v->mtime[slot]) >= PE_LIVE_AGE_NS;
}

/* Answer open @req with snapshot @b (a reference the reader takes over;
 * NULL: an empty one). */
static void pe_reply_open(fuse_req_t req, struct fuse_file_info *fi, struct snap *b)
{
	if (!b)
		b = snap_new(NULL, 0, 0, NULL);
	if (!b) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)b;
	/* Size 0 in getattr: without direct_io the page cache would serve
	 * readers nothing.  Nothing to keep either: the next open may see
	 * another rendering. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) /* interrupted: no release comes */
		snap_put(b);
}

/* Queue open @req of file node @ino until a new rendering comes (under
 * v->lock); false when out of memory (then serve what is there). */
static bool pe_wait_new(struct pe_view *v, fuse_ino_t ino, fuse_req_t req,
			const struct fuse_file_info *fi)
{
	int slot = pe_nodes[ino].slot;
	struct pe_wait *w = calloc(1, sizeof(*w));
	uint64_t one = 1;

	if (!w)
		return false;
	w->req = req;
	w->fi = *fi;
	w->until = v->cur[slot] ? pe_mono_ns() + PE_LIVE_WAIT_NS : 0;
	w->next = v->wait[slot];
	v->wait[slot] = w;
	if (write(v->refresh, &one, sizeof(one)) < 0) {
		/* a full counter is a pending request: the owner comes */
	}
	return true;
}

static void pe_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pe_view *v = fuse_req_userdata(req);
	struct snap *b;

	if (!pe_ino_is_file(ino)) {
		fuse_reply_err(req, pe_ino_is_dir(ino) ? EISDIR : ENOENT);
		return;
	}
	/* The mount is read-only already; root (DAC override) still must not
	 * open for writing or truncate. */
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	pthread_mutex_lock(&v->lock);
	if (pe_wants_new(v, ino) && pe_wait_new(v, ino, req, fi)) {
		pthread_mutex_unlock(&v->lock);
		return; /* answered by pe_view_publish() or pe_serve_late() */
	}
	b = snap_get(v->cur[pe_nodes[ino].slot]);
	pthread_mutex_unlock(&v->lock);
	pe_reply_open(req, fi, b);
}

/* Answer the waiting opens whose time is up with the rendering held;
 * return the poll timeout until the next one is (ms, -1: none). */
static int pe_serve_late(struct pe_view *v)
{
	int64_t now = pe_mono_ns(), next = -1;
	struct pe_wait *late = NULL, **pp, *w;

	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < PE_NFILES; i++) {
		for (pp = &v->wait[i]; (w = *pp);) {
			if (!w->until || w->until > now) {
				if (w->until && (next < 0 || w->until < next))
					next = w->until;
				pp = &w->next;
				continue;
			}
			*pp = w->next;
			w->fi.fh = (uint64_t)(uintptr_t)snap_get(v->cur[i]);
			w->next = late;
			late = w;
		}
	}
	pthread_mutex_unlock(&v->lock);
	while ((w = late)) {
		late = w->next;
		pe_reply_open(w->req, &w->fi, (struct snap *)(uintptr_t)w->fi.fh);
		free(w);
	}
	return next < 0 ? -1 : (int)((next - now) / 1000000 + 1);
}

static void pe_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	const struct snap *b = (const struct snap *)(uintptr_t)fi->fh;
	size_t len = snap_len(b), n = 0;

	(void)ino;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((uint64_t)off < len) {
		n = len - (size_t)off;
		if (n > size)
			n = size;
	}
	fuse_reply_buf(req, n ? (const char *)snap_data(b) + off : NULL, n);
}

static void pe_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	snap_put((struct snap *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void pe_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs s;

	(void)ino;
	memset(&s, 0, sizeof(s));
	s.f_bsize = 4096;
	s.f_frsize = 4096;
	s.f_files = PE_NNODES - 1;
	s.f_namemax = 255;
	s.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops pe_ops = {
	.lookup = pe_op_lookup,
	.getattr = pe_op_getattr,
	.readlink = pe_op_readlink,
	.opendir = pe_op_opendir,
	.readdir = pe_op_readdir,
	.open = pe_op_open,
	.read = pe_op_read,
	.release = pe_op_release,
	.statfs = pe_op_statfs,
};

/* libfuse's own messages go to our log instead of a bare stderr. */
static void pe_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;
	int prio;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	switch (level) {
	case FUSE_LOG_EMERG:
	case FUSE_LOG_ALERT:
	case FUSE_LOG_CRIT:
	case FUSE_LOG_ERR:
		prio = LOG_ERR;
		break;
	case FUSE_LOG_WARNING:
		prio = LOG_WARNING;
		break;
	case FUSE_LOG_NOTICE:
		prio = LOG_NOTICE;
		break;
	case FUSE_LOG_INFO:
		prio = LOG_INFO;
		break;
	default:
		prio = LOG_DEBUG;
		break;
	}
	log_msg(prio, "view: fuse: %s", msg);
}

static void *pe_thread(void *arg)
{
	struct pe_view *v = arg;
	struct fuse_buf fbuf = { .mem = NULL };
	struct pollfd pfd[2];
	int res;

	pfd[0].fd = fuse_session_fd(v->se);
	pfd[0].events = POLLIN;
	pfd[1].fd = v->wake[0];
	pfd[1].events = POLLIN;
	while (!fuse_session_exited(v->se)) {
		if (poll(pfd, 2, pe_serve_late(v)) < 0) {
			if (errno == EINTR)
				continue;
			log_err("view: poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_warn("view: FUSE connection of %s lost", v->mountpoint);
			break;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		res = fuse_session_receive_buf(v->se, &fbuf);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res <= 0) {
			if (res < 0)
				log_err("view: reading /dev/fuse: %s", strerror(-res));
			break;
		}
		fuse_session_process_buf(v->se, &fbuf);
	}
	free(fbuf.mem);
	return NULL;
}

/* Unescape a mountinfo field (octal \040 etc.) in place. */
static void pe_unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* Is a file system of type @fstype mounted at @path (canonical) in our
 * mount namespace?  Return 1, 0, or -errno. */
static int pe_mounted_type(const char *path, const char *fstype)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *sep, *mp, *type, *save;
	size_t cap = 0;
	int found = 0, i;

	if (!f)
		return -errno;
	while (!found && getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SRC SUPER */
		mp = strtok_r(line, " ", &save);
		for (i = 0; mp && i < 4; i++)
			mp = strtok_r(NULL, " ", &save);
		sep = strstr(save ? save : "", " - ");
		if (!mp || !sep)
			continue;
		type = strtok_r(sep + 3, " ", &save);
		if (!type)
			continue;
		pe_unescape(mp);
		if (strcmp(mp, path) == 0 && strcmp(type, fstype) == 0)
			found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * Clean the mount point before mounting: a FUSE mount whose daemon died
 * answers ENOTCONN to everything; detach it (perhaps several stacked).  A
 * live fuse.spigrpd mount means another daemon serves this place: refuse.
 */
static int pe_prepare_mountpoint(struct pe_view *v, char *err, size_t errlen)
{
	char canon[PATH_MAX];
	struct statx stx;
	int tries, r;

	for (tries = 0; tries < 8; tries++) {
		/* Forced to ask the file system: a FUSE mount whose daemon died
		 * a moment ago still answers a plain stat from its attribute
		 * cache. */
		if (statx(AT_FDCWD, v->mountpoint, AT_STATX_FORCE_SYNC, STATX_TYPE, &stx) == 0)
			break;
		if (errno == ENOTCONN || errno == ECONNABORTED) {
			log_notice("view: %s is a dead FUSE mount (%s): detaching it",
				   v->mountpoint, strerror(errno));
			if (umount2(v->mountpoint, MNT_DETACH) < 0) {
				r = -errno;
				snprintf(err, errlen, "cannot detach the stale mount at %s: %s",
					 v->mountpoint, strerror(-r));
				return r;
			}
			continue;
		}
		if (errno != ENOENT) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", v->mountpoint, strerror(-r));
			return r;
		}
		if (mkdir(v->mountpoint, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "cannot create the mount point %s: %s",
				 v->mountpoint, strerror(-r));
			return r;
		}
		v->created_dir = true;
	}
	if (tries == 8) {
		snprintf(err, errlen, "%s: still a dead mount after 8 detaches", v->mountpoint);
		return -EBUSY;
	}
	if (!S_ISDIR(stx.stx_mode)) {
		snprintf(err, errlen, "%s: not a directory", v->mountpoint);
		return -ENOTDIR;
	}
	if (!realpath(v->mountpoint, canon)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", v->mountpoint, strerror(-r));
		return r;
	}
	r = pe_mounted_type(canon, PE_FSTYPE);
	if (r < 0) {
		snprintf(err, errlen, "cannot read /proc/self/mountinfo: %s", strerror(-r));
		return r;
	}
	if (r > 0) {
		snprintf(err, errlen, "%s is served by another running spigrpd", canon);
		return -EBUSY;
	}
	return 0;
}

/* Make the parent directories of @path (like mkdir -p, mode 0755). */
static int pe_mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static void pe_view_free(struct pe_view *v)
{
	size_t i;

	for (i = 0; i < PE_NFILES; i++) {
		while (v->wait[i]) { /* opens still waiting: before the session goes */
			struct pe_wait *w = v->wait[i];

			v->wait[i] = w->next;
			fuse_reply_err(w->req, EIO);
			free(w);
		}
	}
	if (v->se) {
		if (v->mounted)
			fuse_session_unmount(v->se);
		fuse_session_destroy(v->se);
	}
	if (v->created_dir && v->mounted)
		rmdir(v->mountpoint); /* only when empty again: fine to fail */
	for (i = 0; i < PE_NFILES; i++)
		snap_put(v->cur[i]);
	if (v->wake[0] >= 0)
		close(v->wake[0]);
	if (v->wake[1] >= 0)
		close(v->wake[1]);
	if (v->refresh >= 0)
		close(v->refresh);
	pthread_mutex_destroy(&v->lock);
	free(v->mountpoint);
	free(v);
}

int pe_view_mount(struct pe_view **out, const char *mountpoint, char *err, size_t errlen)
{
	char *argv[] = {
		"spigrpd",
		"-o",
		"ro,allow_other,default_permissions,fsname=spigrpd,subtype=spigrpd",
		NULL,
	};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct pe_view *v;
	size_t i;
	int r, fl;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!mountpoint || mountpoint[0] != '/') {
		snprintf(err, errlen, "mount point must be an absolute path");
		return -EINVAL;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		r = -errno;
		snprintf(err, errlen, "/dev/fuse: %s (is the fuse module loaded?)",
			 strerror(-r));
		return r;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->wake[0] = v->wake[1] = -1;
	pthread_mutex_init(&v->lock, NULL);
	v->refresh = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	clock_gettime(CLOCK_REALTIME, &v->born);
	v->mountpoint = strdup(mountpoint);
	if (!v->mountpoint) {
		r = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < PE_NFILES; i++) {
		v->cur[i] = snap_new(NULL, 0, 0, NULL);
		if (!v->cur[i]) {
			r = -ENOMEM;
			goto fail;
		}
		v->mtime[i] = v->born;
	}
	if (v->refresh < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-r));
		goto fail;
	}
	if (pipe2(v->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(-r));
		goto fail;
	}
	r = pe_mkdir_parents(v->mountpoint);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the parents of %s: %s",
			 v->mountpoint, strerror(-r));
		goto fail;
	}
	r = pe_prepare_mountpoint(v, err, errlen);
	if (r < 0)
		goto fail;

	fuse_set_log_func(pe_fuse_log);
	v->se = fuse_session_new(&args, &pe_ops, sizeof(pe_ops), v);
	fuse_opt_free_args(&args);
	if (!v->se) {
		r = -EINVAL;
		snprintf(err, errlen, "cannot create the FUSE session");
		goto fail;
	}
	if (fuse_session_mount(v->se, v->mountpoint) != 0) {
		r = -EIO;
		snprintf(err, errlen, "cannot mount the view at %s (see the fuse message above)",
			 v->mountpoint);
		goto fail;
	}
	v->mounted = true;
	fl = fcntl(fuse_session_fd(v->se), F_GETFL);
	if (fl >= 0)
		fcntl(fuse_session_fd(v->se), F_SETFL, fl | O_NONBLOCK);
	r = -pthread_create(&v->thread, NULL, pe_thread, v);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the FUSE thread: %s", strerror(-r));
		goto fail;
	}
	v->thread_started = true;
	*out = v;
	return 0;
fail:
	pe_view_free(v);
	return r;
}

int pe_view_publish(struct pe_view *v, const char *name, struct snap *b)
{
	struct pe_wait *w, *waiting;
	struct snap *old;
	int i = pe_file_index(name);

	if (i < 0) {
		snap_put(b);
		return -ENOENT;
	}
	if (!b)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	old = v->cur[i];
	v->cur[i] = b;
	clock_gettime(CLOCK_REALTIME, &v->mtime[i]);
	waiting = v->wait[i];
	v->wait[i] = NULL;
	for (w = waiting; w; w = w->next)
		w->fi.fh = (uint64_t)(uintptr_t)snap_get(b);
	pthread_mutex_unlock(&v->lock);
	snap_put(old);
	while ((w = waiting)) {
		waiting = w->next;
		pe_reply_open(w->req, &w->fi, (struct snap *)(uintptr_t)w->fi.fh);
		free(w);
	}
	return 0;
}

int pe_view_invalidate(struct pe_view *v, const char *name)
{
	struct snap *old;
	int i = pe_file_index(name);

	if (i < 0)
		return -ENOENT;
	pthread_mutex_lock(&v->lock);
	old = v->cur[i];
	v->cur[i] = NULL;
	for (struct pe_wait *w = v->wait[i]; w; w = w->next)
		w->until = 0; /* nothing to fall back on now */
	pthread_mutex_unlock(&v->lock);
	snap_put(old);
	return 0;
}

bool pe_view_wanted(struct pe_view *v, const char *name)
{
	int i = pe_file_index(name);
	bool r;

	if (i < 0)
		return false;
	pthread_mutex_lock(&v->lock);
	r = v->wait[i] != NULL;
	pthread_mutex_unlock(&v->lock);
	return r;
}

int pe_view_refresh_fd(const struct pe_view *v)
{
	return v ? v->refresh : -1;
}

void pe_view_unmount(struct pe_view *v)
{
	ssize_t n;

	if (!v)
		return;
	if (v->thread_started) {
		fuse_session_exit(v->se);
		do
			n = write(v->wake[1], "x", 1);
		while (n < 0 && errno == EINTR);
		pthread_join(v->thread, NULL);
	}
	/* Detaches the mount (lazily); destroying the session closes
	 * /dev/fuse, so a reader still holding a file gets ENOTCONN.  The
	 * snapshots of files still open then are never released by the kernel:
	 * they go with the process. */
	pe_view_free(v);
}
