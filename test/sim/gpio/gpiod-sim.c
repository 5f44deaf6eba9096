// SPDX-License-Identifier: Apache-2.0
/*
 * Files as GPIO lines: $GPIO_SIM_DIR/<chip>/<line> holds "0" or "1".
 * Each requested line with edge detection gets an inotify instance watching
 * its file (and its chip directory, for the chip vanishing); that instance
 * is the event fd. Reading events compares the file's level with the last
 * one reported and synthesizes at most one edge.
 */
#include <assert.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpiod-sim.h"

static pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;

struct sim_obj {
	struct sim_obj *next;
	const void *obj;
};
static struct sim_obj *sim_objs;
static struct sim_line *sim_requested;

const char *sim_dir(void)
{
	const char *d = getenv("GPIO_SIM_DIR");

	return d && *d ? d : NULL;
}

void *sim_real(const char *sym)
{
	void *p = dlsym(RTLD_NEXT, sym);

	if (!p) {
		/* The environment is broken, not the program under test. */
		fprintf(stderr, "libgpiod-sim: no next definition of %s\n",
			sym);
		abort();
	}
	return p;
}

void sim_register(void *obj)
{
	struct sim_obj *o = malloc(sizeof(*o));

	if (!o)
		abort();
	o->obj = obj;
	pthread_mutex_lock(&sim_lock);
	o->next = sim_objs;
	sim_objs = o;
	pthread_mutex_unlock(&sim_lock);
}

void sim_unregister(void *obj)
{
	struct sim_obj **p, *o;

	pthread_mutex_lock(&sim_lock);
	for (p = &sim_objs; *p; p = &(*p)->next) {
		if ((*p)->obj == obj) {
			o = *p;
			*p = o->next;
			free(o);
			break;
		}
	}
	pthread_mutex_unlock(&sim_lock);
}

bool sim_owns(const void *obj)
{
	struct sim_obj *o;
	bool found = false;

	if (!obj)
		return false;
	pthread_mutex_lock(&sim_lock);
	for (o = sim_objs; o; o = o->next) {
		if (o->obj == obj) {
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&sim_lock);
	return found;
}

static char *sim_path(const char *chip, const char *name, const char *suffix)
{
	const char *dir = sim_dir();
	char *p;

	if (!dir) {
		errno = ENODEV;
		return NULL;
	}
	if (asprintf(&p, "%s/%s%s%s%s", dir, chip, name ? "/" : "",
		     name ? name : "", suffix ? suffix : "") < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

bool sim_chip_exists(const char *chip)
{
	char *p = sim_path(chip, NULL, NULL);
	struct stat st;
	bool r;

	if (!p)
		return false;
	/* A chip name is a single path component. */
	r = !strchr(chip, '/') && chip[0] != '.' && stat(p, &st) == 0 &&
	    S_ISDIR(st.st_mode);
	free(p);
	return r;
}

static bool file_exists(const char *chip, const char *name, const char *sfx)
{
	char *p = sim_path(chip, name, sfx);
	bool r;

	if (!p)
		return false;
	r = access(p, F_OK) == 0;
	free(p);
	return r;
}

bool sim_line_exists(const char *chip, const char *name)
{
	return sim_chip_exists(chip) && file_exists(chip, name, NULL);
}

char **sim_list_free(char **list)
{
	if (list) {
		for (char **p = list; *p; p++)
			free(*p);
		free(list);
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n >= m && strcmp(s + n - m, sfx) == 0;
}

/*
 * Sorted names of the entries of path of the wanted type (S_IFDIR or
 * S_IFREG), skipping dot files and "*.busy".
 */
static int list_dir(const char *path, mode_t type, char ***ret)
{
	char **list = NULL, **tmp;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r;

	/*
	 * Called by the interposed opendir("/dev") too: sim paths are never
	 * "/dev", so this reaches the real opendir through ours.
	 */
	d = opendir(path);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : -errno;
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.' || ends_with(de->d_name, ".busy"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    (st.st_mode & S_IFMT) != type)
			continue;
		if (n + 2 > cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(list, cap * sizeof(*list));
			if (!tmp)
				goto oom;
			list = tmp;
		}
		list[n] = strdup(de->d_name);
		if (!list[n])
			goto oom;
		list[++n] = NULL;
	}
	r = errno;
	closedir(d);
	if (r) {
		sim_list_free(list);
		return -r;
	}
	if (!list) {
		list = calloc(1, sizeof(*list));
		if (!list)
			return -ENOMEM;
	}
	qsort(list, n, sizeof(*list), cmp_str);
	*ret = list;
	return (int)n;
oom:
	closedir(d);
	sim_list_free(list);
	return -ENOMEM;
}

int sim_chip_list(char ***ret)
{
	const char *dir = sim_dir();
	int r;

	if (!dir)
		return -ENODEV;
	r = list_dir(dir, S_IFDIR, ret);
	/* No root directory yet: no chips. */
	if (r == -ENODEV) {
		*ret = calloc(1, sizeof(**ret));
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

int sim_line_list(const char *chip, char ***ret)
{
	char *p;
	int r;

	if (!sim_chip_exists(chip))
		return -ENODEV;
	p = sim_path(chip, NULL, NULL);
	if (!p)
		return -errno;
	r = list_dir(p, S_IFREG, ret);
	free(p);
	return r;
}

int sim_line_offset(const char *chip, const char *name)
{
	char **list;
	int n, r = -ENOENT;

	n = sim_line_list(chip, &list);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0) {
			r = i;
			break;
		}
	}
	sim_list_free(list);
	return r;
}

char *sim_line_name(const char *chip, unsigned int offset)
{
	char **list, *name = NULL;
	int n;

	n = sim_line_list(chip, &list);
	if (n < 0) {
		errno = -n;
		return NULL;
	}
	if (offset < (unsigned int)n) {
		name = strdup(list[offset]);
		if (!name)
			errno = ENOMEM;
	} else {
		errno = EINVAL;
	}
	sim_list_free(list);
	return name;
}

/* One attempt: 0/1, -EAGAIN for an empty file (a writer mid-way), -errno. */
static int read_level_once(const char *path)
{
	char buf[16];
	ssize_t n;
	size_t i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	for (i = 0; i < (size_t)n && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	if (i == (size_t)n)
		return -EAGAIN;
	if ((buf[i] == '0' || buf[i] == '1') &&
	    (i + 1 == (size_t)n || buf[i + 1] == '\n' || buf[i + 1] == ' '))
		return buf[i] - '0';
	return -EIO;
}

int sim_read_level(const char *chip, const char *name)
{
	struct timespec ms = { 0, 1000000 };
	char *p;
	int r = -EAGAIN;

	if (!sim_chip_exists(chip))
		return -ENODEV;
	p = sim_path(chip, name, NULL);
	if (!p)
		return -errno;
	/*
	 * "echo 1 > file" truncates before it writes: give a writer that
	 * emptied the file up to 100 ms to finish.
	 */
	for (int i = 0; i < 100 && r == -EAGAIN; i++) {
		r = read_level_once(p);
		if (r == -EAGAIN)
			nanosleep(&ms, NULL);
	}
	free(p);
	return r == -EAGAIN ? -EIO : r;
}

void sim_line_init(struct sim_line *l)
{
	memset(l, 0, sizeof(*l));
	l->ifd = -1;
	l->file_wd = -1;
	l->dir_wd = -1;
	l->last = -1;
	l->pending = -1;
}

#define FILE_EVENTS (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF)
#define DIR_EVENTS  (IN_DELETE_SELF | IN_MOVE_SELF)

static int watch_file(struct sim_line *l)
{
	char *p = sim_path(l->chip, l->name, NULL);
	int wd;

	if (!p)
		return -errno;
	wd = inotify_add_watch(l->ifd, p, FILE_EVENTS);
	free(p);
	if (wd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : -errno;
	l->file_wd = wd;
	return 0;
}

int sim_line_request(struct sim_line *l, bool edges, int no_irq_err)
{
	struct sim_line *o;
	char *p;
	int r;

	assert(!l->requested);
	if (!sim_chip_exists(l->chip) || !file_exists(l->chip, l->name, NULL))
		return -ENODEV;
	if (file_exists(l->chip, l->name, ".busy"))
		return -EBUSY;
	pthread_mutex_lock(&sim_lock);
	for (o = sim_requested; o; o = o->next)
		if (strcmp(o->chip, l->chip) == 0 &&
		    strcmp(o->name, l->name) == 0)
			break;
	pthread_mutex_unlock(&sim_lock);
	if (o)
		return -EBUSY;
	if (edges && file_exists(l->chip, ".no-events", NULL))
		return no_irq_err;

	/* Without edges the fd exists but never becomes readable, as in 2.x. */
	l->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (l->ifd < 0)
		return -errno;
	if (edges) {
		r = watch_file(l);
		if (r < 0)
			goto fail;
		p = sim_path(l->chip, NULL, NULL);
		if (!p) {
			r = -errno;
			goto fail;
		}
		l->dir_wd = inotify_add_watch(l->ifd, p, DIR_EVENTS);
		free(p);
		if (l->dir_wd < 0) {
			r = errno == ENOENT ? -ENODEV : -errno;
			goto fail;
		}
	}
	r = sim_read_level(l->chip, l->name);
	if (r < 0)
		goto fail;
	l->last = r;
	l->pending = -1;
	l->gone = false;
	l->edges = edges;
	l->requested = true;
	pthread_mutex_lock(&sim_lock);
	l->next = sim_requested;
	sim_requested = l;
	pthread_mutex_unlock(&sim_lock);
	return 0;
fail:
	close(l->ifd);
	l->ifd = l->file_wd = l->dir_wd = -1;
	return r;
}

void sim_line_release(struct sim_line *l)
{
	struct sim_line **p;

	if (!l->requested)
		return;
	pthread_mutex_lock(&sim_lock);
	for (p = &sim_requested; *p; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			break;
		}
	}
	pthread_mutex_unlock(&sim_lock);
	close(l->ifd);
	l->ifd = l->file_wd = l->dir_wd = -1;
	l->requested = false;
	l->next = NULL;
}

void sim_line_done(struct sim_line *l)
{
	sim_line_release(l);
	free(l->chip);
	free(l->name);
	l->chip = l->name = NULL;
}

int sim_line_get_value(struct sim_line *l)
{
	int r;

	if (!l->requested)
		return -EPERM;
	if (l->gone)
		return -ENODEV;
	r = sim_read_level(l->chip, l->name);
	if (r == -ENODEV)
		l->gone = true;
	return r;
}

/* Empty the inotify queue; -ENODEV when the file or chip went away. */
static int consume_inotify(struct sim_line *l)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool rewatch = false;
	ssize_t n;

	for (;;) {
		n = read(l->ifd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->wd == l->dir_wd &&
			    ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
					IN_IGNORED))
				return -ENODEV;
			/*
			 * The file was deleted or replaced (rename over it):
			 * follow the name, if it still exists.
			 */
			if (ev->wd == l->file_wd &&
			    ev->mask & (IN_DELETE_SELF | IN_IGNORED))
				rewatch = true;
		}
	}
	if (rewatch) {
		if (l->file_wd >= 0)
			inotify_rm_watch(l->ifd, l->file_wd);
		l->file_wd = -1;
		return watch_file(l);
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sim_line_wait(struct sim_line *l, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	struct pollfd pfd;
	int r, left;

	if (!l->requested || !l->edges)
		return -EPERM;
	if (l->gone)
		return -ENODEV;
	if (l->pending >= 0)
		return 1;
	for (;;) {
		left = timeout_ms;
		if (timeout_ms > 0) {
			int64_t d = deadline - now_ms();

			left = d > 0 ? (d > INT_MAX ? INT_MAX : (int)d) : 0;
		}
		pfd = (struct pollfd){ .fd = l->ifd, .events = POLLIN };
		r = poll(&pfd, 1, left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0;
		r = consume_inotify(l);
		if (r == 0)
			r = sim_read_level(l->chip, l->name);
		if (r == -ENODEV)
			l->gone = true;
		if (r < 0)
			return r;
		if (r != l->last) {
			l->pending = r;
			l->last = r;
			return 1;
		}
		if (timeout_ms == 0)
			return 0;
	}
}

int sim_line_read_event(struct sim_line *l)
{
	int r;

	r = sim_line_wait(l, -1);
	if (r < 0)
		return r;
	r = l->pending;
	l->pending = -1;
	return r;
}
