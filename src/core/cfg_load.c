/* cfg_load.c: reading the config file and its secrets file (cfg.h,
 * cfg_load()).
 *
 * A daemon that runs as root takes from these files where to mount, where
 * to bind, where to write, which file to read the keys from and whom to
 * let send changes.  So whatever a file holds, it and the directory that
 * holds it must be under the control of root (or of the user reading it)
 * alone; a file that holds keys must moreover be readable by its owner
 * only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cfg_priv.h"

/* Move the keys of secrets parser @q into the SAs of @p. */
static void merge_secrets(struct cfg_parser *p, struct cfg_parser *q)
{
	size_t j, i;
	int w;

	for (j = 0; j < q->c->nsa; j++) {
		struct cfg_sa *qs = &q->c->sa[j];
		struct sa_aux *qx = &q->aux[j];

		if (cfgp_sa_lookup(p->c, &qs->said, &i)) {
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
				perr_at(q, qx->seen[kk], "%s of [sa %s] is also given in %s:%u", cfgp_sa_keys[kk],
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

/* @uid may control what the reader reads: root, or the reader itself. */
static bool trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* "root" as the caller sees it: "root" or "root or uid N". */
static const char *owners(char *buf, size_t len)
{
	uid_t me = geteuid();

	if (me == 0)
		return "root";
	snprintf(buf, len, "root or uid %u", (unsigned)me);
	return buf;
}

/*
 * The directory @dir holding a config or secrets file: whoever may write it
 * may replace the file.  Writable by group or others is fine only with the
 * sticky bit (only the file's owner may then rename or remove it).
 */
static void check_dir(struct cfg_parser *p, const char *dir, bool check_owner)
{
	unsigned mode;
	struct stat st;
	char who[64];

	if (stat(dir, &st))
		return; /* the file was opened through it: nothing to add */
	mode = (unsigned)st.st_mode & 07777;
	if ((mode & 022) && !(mode & S_ISVTX))
		perr_at(p, 0, "its directory %s is writable by group or others (mode %04o): they could replace the file",
			dir, mode);
	if (check_owner && !trusted_uid(st.st_uid))
		perr_at(p, 0, "its directory %s is owned by uid %u, not by %s: that user could replace the file",
			dir, (unsigned)st.st_uid, owners(who, sizeof(who)));
}

/* The directories that hold @path: as written (resolved), and where a
 * symbolic link leads. */
static void check_dirs(struct cfg_parser *p, const char *path, bool check_owner)
{
	char *rdir = cfgp_real_dir(path), *rfile = realpath(path, NULL);
	char *rfdir = rfile ? cfgp_real_dir(rfile) : NULL;

	if (rdir)
		check_dir(p, rdir, check_owner);
	if (rfdir && (!rdir || strcmp(rfdir, rdir)))
		check_dir(p, rfdir, check_owner);
	free(rfdir);
	free(rfile);
	free(rdir);
}

/*
 * Who may change or read a config or secrets file (@fi: what fstat(2) said
 * of the file read): no one but its owner may write it, and with
 * @check_owner that owner is root or the reader; one that holds keys is
 * readable by its owner only.
 */
static void check_trust(struct cfg_parser *p, const char *path, const struct file_info *fi,
			bool check_owner)
{
	unsigned mode = (unsigned)fi->st.st_mode & 07777;
	char who[64];

	if (!fi->opened)
		return;
	if (p->has_keys && (mode & 077))
		perr_at(p, 0, "holds keys but is %s by group or others (mode %04o); chmod 600 it",
			mode & 044 ? "readable" : "accessible", mode);
	else if (mode & 022)
		perr_at(p, 0, "is writable by group or others (mode %04o); chmod go-w it", mode);
	if (check_owner && !trusted_uid(fi->st.st_uid))
		perr_at(p, 0, "is owned by uid %u, not by %s%s", (unsigned)fi->st.st_uid,
			owners(who, sizeof(who)), geteuid() == 0 ? "; chown root it" : "");
	check_dirs(p, path, check_owner);
}

/* control-group must name a group of the system (looked up at load: the
 * daemon needs its gid for the control socket). */
static void check_control_group(struct cfg_parser *p)
{
	const char *name = p->c->control_group;
	unsigned line = p->daemon_seen[D_CONTROL_GROUP];
	int err;

	errno = 0;
	if (getgrnam(name))
		return;
	err = errno;
	/* getgrnam(3): 0, ENOENT, ESRCH, EBADF and EPERM all mean "not found" */
	if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM)
		perr_at(p, line, "bad control-group \"%s\": no such group", cfgp_quote(p, name));
	else
		perr_at(p, line, "control-group \"%s\": cannot look up the group: %s", cfgp_quote(p, name),
			strerror(err));
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

/*
 * Read the secrets file named by @p's `secrets` into a parser of its own,
 * check it and merge its keys into @p.  Return: true when its keys are
 * elsewhere (the file could not be read), so that missing keys are no error.
 */
static bool load_secrets(struct cfg_parser *p, const char *spath, bool check_owner,
			 struct cfg_parser **qp)
{
	struct cfg_parser *q = cfgp_alloc(spath, p->sink, 1, true);
	struct file_info sfi;
	const char *what = NULL;
	int r;

	*qp = q;
	if (!q) {
		p->sink->oom = true;
		return true;
	}
	r = feed_file(q, spath, &sfi, &what);
	if (r) /* reported where the main file names it */
		perr_at(p, p->daemon_seen[D_SECRETS], "secrets file %s: " FEED_ERR_FMT, spath,
			FEED_ERR_ARGS(what, r));
	cfgp_close_section(q);
	check_trust(q, spath, &sfi, check_owner);
	if (!sfi.opened)
		return true;
	merge_secrets(p, q);
	return false;
}

struct cfg *cfg_load(const char *path, bool check_owner, struct cfg_errors *errs)
{
	struct cfg_parser *p, *q = NULL;
	struct file_info fi;
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
	cfgp_close_section(p);
	cfgp_check_daemon(p);
	check_trust(p, path, &fi, check_owner);
	if (p->c->control_group)
		check_control_group(p);
	if (p->c->secrets) {
		spath = secrets_path(path, p->c->secrets);
		if (spath)
			keys_elsewhere = load_secrets(p, spath, check_owner, &q);
		else
			p->sink->oom = keys_elsewhere = true;
	}
	if (fi.opened)
		cfgp_check_resolved(p, path, spath);
	for (i = 0; i < p->c->nsa; i++)
		cfgp_check_sa_keys(p, i, keys_elsewhere);
	c = cfgp_done(p); /* the sink still names spath: free q after */
	cfgp_free(q, true);
	free(spath);
	return c;
}
