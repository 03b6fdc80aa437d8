/* view.c: the FUSE glue of the KLIPS views (libfuse3 low-level API).
 *
 * A tiny read-only file system: inode 1 is the root directory (0555), inode
 * 2 + i is pe_view_files[i] (0444, owned by root, size 0 like procfs).  Each
 * file's content is a snapshot (snap.h); pe_view_publish() swaps in a new
 * one, open() takes a reference to the current one and release() drops it,
 * so a reader keeps the rendering of its open() until it closes the file.
 *
 * Threading: one thread of our own runs a plain receive/process loop.  No
 * handler ever blocks (everything is served from memory under a short
 * mutex), so a pool (fuse_session_loop_mt) would not serve readers any
 * faster, while our own loop can poll a wake-up pipe: pe_view_unmount()
 * stops it without signals, even while some reader keeps a file open.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "snap.h"
#include "view.h"

/* The files, in directory order.  Adding a view = adding its name here and
 * publishing its text from the daemon. */
const char *const pe_view_files[] = {
	"ipsec_spigrp",
	"ipsec_version",
	NULL,
};

#define PE_NFILES (sizeof(pe_view_files) / sizeof(pe_view_files[0]) - 1)
#define PE_INO_FIRST 2 /* FUSE_ROOT_ID is 1 */
#define PE_FSTYPE "fuse.spigrpd"
#define PE_TIMEOUT 1.0 /* s: attributes and names never change */

struct pe_view {
	struct fuse_session *se;
	char *mountpoint;
	bool created_dir;   /* we made the mount point: rmdir it at the end */
	bool mounted;
	bool thread_started;
	pthread_t thread;
	int wake[2];        /* pipe: a byte in wake[1] stops the loop */
	pthread_mutex_t lock; /* guards cur[] and mtime[] */
	struct snap *cur[PE_NFILES]; /* one reference each */
	struct timespec mtime[PE_NFILES];
	struct timespec born;
};

/* A new reference to the current snapshot of file @i. */
static struct snap *pe_current(struct pe_view *v, size_t i)
{
	struct snap *b;

	pthread_mutex_lock(&v->lock);
	b = snap_get(v->cur[i]);
	pthread_mutex_unlock(&v->lock);
	return b;
}

static int pe_file_index(const char *name)
{
	size_t i;

	for (i = 0; i < PE_NFILES; i++)
		if (strcmp(pe_view_files[i], name) == 0)
			return (int)i;
	return -1;
}

static bool pe_ino_is_file(fuse_ino_t ino)
{
	return ino >= PE_INO_FIRST && ino < PE_INO_FIRST + PE_NFILES;
}

static void pe_fill_attr(struct pe_view *v, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		st->st_mtim = v->born;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = 0; /* like procfs: the length is known only at open */
		pthread_mutex_lock(&v->lock);
		st->st_mtim = v->mtime[ino - PE_INO_FIRST];
		pthread_mutex_unlock(&v->lock);
	}
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
}

static void pe_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pe_view *v = fuse_req_userdata(req);
	struct fuse_entry_param e;
	int i;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	i = pe_file_index(name);
	if (i < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = PE_INO_FIRST + (fuse_ino_t)i;
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
	if (ino != FUSE_ROOT_ID && !pe_ino_is_file(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	pe_fill_attr(v, ino, &st);
	fuse_reply_attr(req, &st, PE_TIMEOUT);
}

static void pe_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FUSE_ROOT_ID) {
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

/* Offsets: 0 = ".", 1 = "..", 2 + i = pe_view_files[i]; an entry's "next
 * offset" is its own index + 1. */
static void pe_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	char *buf;
	size_t len = 0, prev;
	off_t i;

	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (i = off; i < (off_t)(PE_INO_FIRST + PE_NFILES); i++) {
		prev = len;
		if (i == 0)
			len = pe_add_dirent(req, buf, size, len, ".", FUSE_ROOT_ID,
					    S_IFDIR, i + 1);
		else if (i == 1)
			len = pe_add_dirent(req, buf, size, len, "..", FUSE_ROOT_ID,
					    S_IFDIR, i + 1);
		else
			len = pe_add_dirent(req, buf, size, len,
					    pe_view_files[i - PE_INO_FIRST],
					    (fuse_ino_t)i, S_IFREG, i + 1);
		if (len == prev)
			break; /* full: the kernel asks again from this offset */
	}
	fuse_reply_buf(req, buf, len);
	free(buf);
}

static void pe_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pe_view *v = fuse_req_userdata(req);
	struct snap *b;

	if (!pe_ino_is_file(ino)) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	/* The mount is read-only already; root (DAC override) still must not
	 * open for writing or truncate. */
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	b = pe_current(v, ino - PE_INO_FIRST);
	fi->fh = (uint64_t)(uintptr_t)b;
	/* Size 0 in getattr: without direct_io the page cache would serve
	 * readers nothing.  Nothing to keep either: the next open may see
	 * another rendering. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) /* interrupted: no release comes */
		snap_put(b);
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
	s.f_files = PE_NFILES + 1;
	s.f_namemax = 255;
	s.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops pe_ops = {
	.lookup = pe_op_lookup,
	.getattr = pe_op_getattr,
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
		if (poll(pfd, 2, -1) < 0) {
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
	pthread_mutex_unlock(&v->lock);
	snap_put(old);
	return 0;
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
