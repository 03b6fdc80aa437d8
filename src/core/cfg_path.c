/* cfg_path.c: the rules for the [daemon] paths (cfg_priv.h).
 *
 * The parser checks the paths as text: absolute, no "." or "..", not a
 * system directory, none inside another where that would break the daemon.
 * cfg_load() checks them once more as the file system resolves them (a
 * symbolic link may lead a harmless-looking mount point onto /etc), and
 * checks that the view does not hide the config or the secrets file, which
 * every reload reads again.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"
#include "escape.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Directories of the system (the FHS's, and where this build keeps its
 * configuration and state): the view may not be mounted on one, as it would
 * hide what the directory holds, and the state may not be kept in one
 * itself.  A directory below them is fine (the default state-dir is
 * /var/lib/spigrpd); /mnt is not listed, as it is there for mounts.
 */
static const char *const system_dirs[] = {
	"/bin", "/boot", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media",
	"/opt", "/root", "/run", "/sbin", "/srv", "/tmp", "/usr", "/var",
	"/usr/bin", "/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
	"/usr/local", "/usr/sbin", "/usr/share", "/usr/src",
	"/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt",
	"/var/run", "/var/spool", "/var/tmp",
	"/run/lock", "/run/user",
	SYSCONFDIR, LOCALSTATEDIR, RUNSTATEDIR,
};

/* The kernel's file systems: neither a mount point nor the state below them. */
static const char *const kernel_dirs[] = { "/proc", "/sys", "/dev" };

bool cfgp_path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static bool is_system_dir(const char *path)
{
	size_t i;

	for (i = 0; i < N_ELEMS(system_dirs); i++)
		if (!strcmp(path, system_dirs[i]))
			return true;
	return false;
}

static bool in_kernel_fs(const char *path)
{
	size_t i;

	for (i = 0; i < N_ELEMS(kernel_dirs); i++)
		if (cfgp_path_within(path, kernel_dirs[i]))
			return true;
	return false;
}

/*
 * Rewrite an absolute path in place without repeated and trailing slashes.
 * "." and ".." components are refused: the checks compare paths as text.
 * Return: NULL, or why it is refused.
 */
static const char *clean_path(char *path)
{
	char *r = path, *w = path, *c, *shown;
	bool same;

	if (path[0] != '/')
		return "not an absolute path";
	/* -n prints it and the daemon logs it as it is: nothing that would
	 * have to be escaped (control bytes, bidi and invisible characters) */
	shown = escape_text(path, ESCAPE_NOCAP, ESCAPE_NOCAP);
	same = shown && !strcmp(shown, path);
	free(shown);
	if (!same)
		return "it holds control bytes or characters that hide or reorder text";
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
	if (w > path && (w[-1] == ' ' || w[-1] == '\t'))
		return "its last component ends in white space";
	if (w == path)
		*w++ = '/';
	*w = '\0';
	if (w - path >= PATH_MAX)
		return "longer than a path can be";
	return NULL;
}

/* Why clean @path cannot be the path of key @k, or NULL. */
static const char *rule_refuses(int k, const char *path)
{
	switch (k) {
	case D_MOUNT:
		if (!strcmp(path, "/"))
			return "the view cannot be mounted on /";
		if (in_kernel_fs(path))
			return "/proc, /sys and /dev belong to the kernel; mount the view elsewhere";
		if (is_system_dir(path))
			return "a system directory: the view would hide what it holds";
		return NULL;
	case D_CONTROL:
		if (!strcmp(path, "/"))
			return "not a file name";
		if (cfgp_path_within(path, "/proc") || cfgp_path_within(path, "/sys"))
			return "/proc and /sys cannot hold a socket";
		return NULL;
	default: /* D_STATE_DIR */
		if (in_kernel_fs(path))
			return "/proc, /sys and /dev belong to the kernel; keep the state elsewhere";
		if (!strcmp(path, "/") || is_system_dir(path))
			return "a system directory: keep the state in a directory of its own";
		return NULL;
	}
}

const char *cfgp_path_refused(int k, char *path)
{
	const char *why = clean_path(path);

	return why ? why : rule_refuses(k, path);
}

/* Report @name (mount or state-dir) at @path if it is, or is inside, the
 * control socket's lock file @lock. */
static void lock_conflict(struct cfg_parser *p, const char *name, const char *path, unsigned line,
			  const char *lock)
{
	if (!cfgp_path_within(path, lock))
		return;
	if (!strcmp(path, lock))
		perr_at(p, line, "%s \"%s\" is the control socket's lock file (control \"%s\" plus \".lock\")",
			name, path, p->c->control);
	else
		perr_at(p, line, "%s \"%s\" is inside \"%s\", the control socket's lock file", name, path,
			lock);
}

/*
 * The control socket's lock file, CONTROL.lock (ctl.c), against mount and
 * state-dir: neither may be that file or lie below it.
 */
static void check_lock_path(struct cfg_parser *p, unsigned ml, unsigned cl, unsigned sl)
{
	char *lock = NULL;

	if (asprintf(&lock, "%s.lock", p->c->control) < 0) {
		p->sink->oom = true;
		return;
	}
	if (ml || cl)
		lock_conflict(p, "mount", p->c->mount, ml > cl ? ml : cl, lock);
	if (sl || cl)
		lock_conflict(p, "state-dir", p->c->state_dir, sl > cl ? sl : cl, lock);
	free(lock);
}

/*
 * The [daemon] paths against each other, defaults included: the view is a
 * mount that hides whatever lies below it, and the control socket is a
 * file.  An error goes to the line of the key written last.
 */
void cfgp_check_daemon(struct cfg_parser *p)
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
		else if (cfgp_path_within(c->control, c->mount))
			perr_at(p, line, "control \"%s\" is inside mount \"%s\": the view would hide the socket",
				c->control, c->mount);
		else if (cfgp_path_within(c->mount, c->control))
			perr_at(p, line, "mount \"%s\" is inside control \"%s\", which is a socket", c->mount,
				c->control);
	}
	if ((ml || sl) && !strcmp(c->state_dir, c->mount))
		perr_at(p, ml > sl ? ml : sl,
			"state-dir and mount are the same path \"%s\": the view would hide the state files",
			c->mount);
	else if ((ml || sl) && cfgp_path_within(c->state_dir, c->mount))
		perr_at(p, ml > sl ? ml : sl, "state-dir \"%s\" is inside mount \"%s\": the view would hide it",
			c->state_dir, c->mount);
	if (cl || sl) {
		unsigned line = cl > sl ? cl : sl;

		if (!strcmp(c->state_dir, c->control))
			perr_at(p, line, "state-dir and control are the same path \"%s\": one is a directory, the other a socket",
				c->control);
		else if (cfgp_path_within(c->state_dir, c->control))
			perr_at(p, line, "state-dir \"%s\" is inside control \"%s\", which is a socket",
				c->state_dir, c->control);
	}
	check_lock_path(p, ml, cl, sl);
}


/* ---- the paths as the file system resolves them (cfg_load) ---- */

/*
 * @path (clean, absolute) with symbolic links resolved as far as it exists:
 * realpath(3) of its longest existing prefix, then the rest as written.
 * Return: malloc'ed, or NULL (out of memory, or a prefix that cannot be
 * resolved for another reason than not existing).
 */
static char *resolve(const char *path)
{
	char *head = strdup(path), *real = NULL, *out = NULL, *slash;
	size_t cut = strlen(path);

	while (head && !(real = realpath(head, NULL))) {
		if (errno != ENOENT && errno != ENOTDIR)
			break;
		slash = strrchr(head, '/');
		if (!slash || slash == head) {
			strcpy(head, "/");
			cut = 0;
		} else {
			*slash = '\0';
			cut = (size_t)(slash - head);
		}
	}
	if (real && asprintf(&out, "%s%s", strcmp(real, "/") || !path[cut] ? real : "", path + cut) < 0)
		out = NULL;
	free(real);
	free(head);
	return out;
}

char *cfgp_real_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	char *real = dir ? realpath(dir, NULL) : NULL;

	free(dir);
	return real;
}

/*
 * Where the daemon reaches @file (config or secrets, as cfg_load() opens
 * it): [0] its directory resolved plus its name (the path walked at every
 * reload), [1] the file itself resolved.  Unresolvable entries are NULL.
 */
static void file_places(const char *file, char *place[2])
{
	const char *slash = strrchr(file, '/');
	char *rdir = cfgp_real_dir(file);

	place[0] = NULL;
	if (rdir && asprintf(&place[0], "%s/%s", strcmp(rdir, "/") ? rdir : "",
			     slash ? slash + 1 : file) < 0)
		place[0] = NULL;
	place[1] = realpath(file, NULL);
	free(rdir);
}

/* The view at @mount (resolved) would hide @file: every reload fails. */
static void check_hidden(struct cfg_parser *p, const char *mount, const char *what, const char *file)
{
	char *place[2];
	int i;

	file_places(file, place);
	for (i = 0; i < 2; i++) {
		if (place[i] && cfgp_path_within(place[i], mount)) {
			perr_at(p, p->daemon_seen[D_MOUNT],
				"mount \"%s\" would hide the %s %s: every reload would fail to read it",
				p->c->mount, what, place[i]);
			break;
		}
	}
	free(place[0]);
	free(place[1]);
}

void cfgp_check_resolved(struct cfg_parser *p, const char *config, const char *secrets)
{
	static const int keys[] = { D_MOUNT, D_STATE_DIR };
	char *mount = NULL, *real;
	const char *why, *path;
	size_t i;

	if (p->path_refused)
		return;
	for (i = 0; i < N_ELEMS(keys); i++) {
		path = keys[i] == D_MOUNT ? p->c->mount : p->c->state_dir;
		real = resolve(path);
		why = real && strcmp(real, path) ? rule_refuses(keys[i], real) : NULL;
		if (why)
			perr_at(p, p->daemon_seen[keys[i]], "bad %s \"%s\": it resolves to %s: %s",
				cfgp_daemon_keys[keys[i]], path, real, why);
		if (keys[i] == D_MOUNT)
			mount = real;
		else
			free(real);
	}
	check_hidden(p, mount ? mount : p->c->mount, "config file", config);
	if (secrets)
		check_hidden(p, mount ? mount : p->c->mount, "secrets file", secrets);
	free(mount);
}
