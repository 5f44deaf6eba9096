// SPDX-License-Identifier: Apache-2.0
/* See iowork.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iowork-exec.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "mi.h"
#include "sandbox.h"
#include "wire.h"

/* An I2C worker stuck this long in one transfer is killed and replaced:
 * far beyond the kernel's adapter timeout (1 s,
 * drivers/i2c/i2c-core-base.c) times its retries. An MCTP worker is
 * killed this long after its transaction's own limit. */
#define HANG_KILL_USEC	   (10 * 1000 * 1000ULL)
#define MI_HANG_GRACE_USEC (1000 * 1000ULL)
/* A worker that dies again within this long is restarted after it. */
#define RESPAWN_DELAY_USEC (1000 * 1000ULL)

struct worker;

struct iowork_req {
	struct worker *w;
	struct iowork_req *next;
	struct wire_req wire;
	uint8_t *dout; /* OP_ADMIN's data to the drive, wire.dout_len */
	unsigned timeout_ms;
	iowork_done_t done; /* NULL once answered early (-ETIME), cancelled */
	void *userdata;
	bool sent; /* handed to the worker: freed when its result comes */
};

/*
 * A worker's requests wait in queue until it is free; then all of them
 * (up to WIRE_BATCH_MAX) go in one batch, and wait in sent, in the
 * worker's order, each until its result comes. The worker runs them back
 * to back and answers each as soon as it is done, so the one it runs is
 * always sent's head, started when the result before it ended: that is
 * where the head's timeout counts from. While an SMBus batch runs (the
 * polls of a bus's drives, due together), nvmed does not wake for every
 * result: it collects them when the batch should be over (the worker's
 * usual time a transfer), or at the head's deadline, whichever comes
 * first, and only then waits on the socket.
 */
struct worker {
	struct iowork_set *s;
	struct worker *next;
	enum worker_kind kind;
	unsigned root; /* the key: root bus or network */
	pid_t pid;
	int fd;
	sd_event_source *io, *child, *timer, *respawn, *flush;
	uint64_t spawned_usec;
	struct iowork_req *queue, **tail; /* waiting, head first */
	struct iowork_req *sent, **sent_tail; /* in the worker, head first */
	unsigned n_sent;
	uint64_t head_start; /* when the worker began sent's head */
	uint64_t batch_due; /* 0: results wake nvmed one by one */
	bool progress; /* results came since the last wake-up */
	uint64_t xfer_usec; /* a transfer's usual time, for batch_due */
	uint32_t next_id;
};

struct iowork_set {
	sd_event *event;
	struct mi_root *mi;
	struct worker *workers;
	struct iowork_stats stats;
};

/* ---- the parent side ------------------------------------------------- */

/* A first guess of a transfer's time; then learnt from the batches. */
#define XFER_GUESS_USEC 2000
/* The wake-up for a batch comes this long after it should be over. */
#define BATCH_SLACK_USEC 1000

static uint64_t now_usec(struct iowork_set *s)
{
	uint64_t t = 0;

	(void)sd_event_now(s->event, CLOCK_MONOTONIC, &t);
	return t;
}

static void worker_kick(struct worker *w);
static int worker_spawn(struct worker *w);
static void worker_arm(struct worker *w);

static const char *worker_desc(const struct worker *w)
{
	return w->kind == WORKER_I2C ? "I2C bus" : "MCTP network";
}

static void req_free(struct iowork_req *q)
{
	free(q->dout);
	free(q);
}

static void req_finish(struct iowork_req *q, int r, const uint8_t *data,
		       size_t len)
{
	iowork_done_t done = q->done;
	void *userdata = q->userdata;

	req_free(q);
	if (done)
		done(r, data, len, userdata);
}

static struct iowork_req *sent_pop(struct worker *w)
{
	struct iowork_req *q = w->sent;

	if (!q)
		return NULL;
	w->sent = q->next;
	if (!w->sent)
		w->sent_tail = &w->sent;
	w->n_sent--;
	q->next = NULL;
	return q;
}

/*
 * The worker is gone (exited, killed). The transfer it was running gets
 * -ECONNRESET; the ones after it in its batch never started and wait
 * again, first, for the next worker.
 */
static void worker_lost(struct worker *w, const char *why)
{
	struct iowork_req *q = sent_pop(w), *rest = TAKE_PTR(w->sent);

	w->sent_tail = &w->sent;
	w->n_sent = 0;
	w->io = sd_event_source_disable_unref(w->io);
	w->child = sd_event_source_disable_unref(w->child);
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->pid = 0;
	log_warning("I/O worker of %s %u %s; restarting it", worker_desc(w),
		    w->root, why);
	w->s->stats.restarts++;
	if (rest) {
		struct iowork_req **p = &rest;

		while (*p) {
			struct iowork_req *r = *p;

			if (!r->done) { /* cancelled meanwhile */
				*p = r->next;
				req_free(r);
				continue;
			}
			r->sent = false;
			p = &r->next;
		}
		*p = w->queue;
		if (!w->queue)
			w->tail = p;
		w->queue = rest;
	}
	if (q)
		req_finish(q, -ECONNRESET, NULL, 0);
	worker_kick(w);
}

static int on_child(sd_event_source *es, const siginfo_t *si, void *userdata)
{
	struct worker *w = userdata;
	char why[64];

	if (si->si_code == CLD_EXITED)
		snprintf(why, sizeof(why), "exited with status %d",
			 si->si_status);
	else
		snprintf(why, sizeof(why), "was killed by signal %d",
			 si->si_status);
	worker_lost(w, why);
	return 0;
}

/* Something other than a result: the child source reports the death;
 * stop reading in the meantime. */
static void worker_garbled(struct worker *w)
{
	(void)sd_event_source_set_enabled(w->io, SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
	if (w->pid > 0)
		(void)kill(w->pid, SIGKILL);
}

static uint64_t learn(uint64_t avg, uint64_t sample)
{
	avg = (7 * avg + sample) / 8;
	return avg < 100 ? 100 : avg;
}

/* The result of sent's head. Returns false when it is not. */
static bool take_result(struct worker *w, const struct wire_resp *p,
			uint64_t now)
{
	struct iowork_req *q = w->sent;
	uint64_t end = p->end_usec;

	if (!q || p->id != q->wire.id)
		return false;
	/* the next transfer began when this one ended, by the worker's
	 * clock (CLOCK_MONOTONIC is the same in both processes) */
	if (end < w->head_start || end > now)
		end = now;
	/* learn a transfer's usual time from those answered: a timeout
	 * says nothing of how long an answer takes */
	if (p->r == 0)
		w->xfer_usec = learn(w->xfer_usec, end - w->head_start);
	w->head_start = end;
	w->progress = true;
	q = sent_pop(w);
	if (q->done)
		req_finish(q, p->r, p->data, p->len);
	else
		req_free(q);
	return true;
}

/* Read every result there is. False when the worker is garbled. */
static bool drain(struct worker *w)
{
	static struct wire_resp p;
	uint64_t now = now_usec(w->s);

	while (w->sent) {
		ssize_t n = recv(w->fd, &p, sizeof(p), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < (ssize_t)WIRE_RESP_HDR ||
		    (size_t)n != WIRE_RESP_HDR + p.len ||
		    !take_result(w, &p, now)) {
			worker_garbled(w);
			return false;
		}
	}
	return true;
}

/* The batch is over, or the wait for it goes on. */
static void worker_progress(struct worker *w)
{
	if (w->sent) {
		worker_arm(w);
		return;
	}
	(void)sd_event_source_set_enabled(w->io, SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
	worker_kick(w);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct worker *w = userdata;

	if (drain(w))
		worker_progress(w);
	return 0;
}

static uint64_t head_deadline(const struct worker *w)
{
	const struct iowork_req *q = w->sent;

	if (q->done) /* still awaited */
		return w->head_start + q->timeout_ms * 1000ULL;
	return w->head_start + HANG_KILL_USEC; /* abandoned: the kill */
}

/* Wake at the head's deadline, or when the batch should be over. */
static void worker_arm(struct worker *w)
{
	uint64_t t = head_deadline(w);
	int r;

	if (w->batch_due && w->batch_due < t)
		t = w->batch_due;
	r = sd_event_source_set_time(w->timer, t);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		log_error_errno(r, "%s %u: cannot arm a transfer timeout",
				worker_desc(w), w->root);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct worker *w = userdata;
	uint64_t now = now_usec(w->s);
	struct iowork_req *q;

	if (!drain(w))
		return 0;
	if (w->batch_due && now >= w->batch_due) {
		if (w->progress) {
			/* slower than usual, but going: wait for the rest */
			w->batch_due = now + w->xfer_usec * w->n_sent +
				       BATCH_SLACK_USEC;
			w->progress = false;
		} else {
			/* stuck on one: from here on each result wakes us */
			w->batch_due = 0;
			(void)sd_event_source_set_enabled(w->io, SD_EVENT_ON);
		}
	}
	q = w->sent;
	if (q && now >= head_deadline(w)) {
		if (q->done) {
			/* A failure now: the drive does not wait for the
			 * kernel. The worker stays busy until its transfer
			 * returns; those after it wait. */
			w->s->stats.timeouts++;
			if (w->kind == WORKER_I2C)
				log_debug("I2C bus %u: transfer to 0x%02x on "
					  "bus %u abandoned after %u ms",
					  w->root, q->wire.addr, q->wire.bus,
					  q->timeout_ms);
			else
				log_debug("MCTP network %u: transaction with "
					  "EID %u abandoned after %u ms",
					  w->root, q->wire.eid, q->timeout_ms);
			TAKE_PTR(q->done)(-ETIMEDOUT, NULL, 0, q->userdata);
		} else if (w->pid > 0) {
			log_error("I/O worker of %s %u stuck in one transfer "
				  "for %llu s; killing it",
				  worker_desc(w), w->root,
				  HANG_KILL_USEC / 1000000ULL);
			(void)kill(w->pid, SIGKILL);
			return 0;
		}
	}
	worker_progress(w);
	return 0;
}

static int on_flush(sd_event_source *es, void *userdata)
{
	worker_kick(userdata);
	return 0;
}

static int respawn_cb(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct worker *w = userdata;

	w->respawn = sd_event_source_disable_unref(w->respawn);
	worker_kick(w);
	return 0;
}

/* ---- the worker programs ----------------------------------------------- */

/* O_PATH descriptors of nvmed-worker-i2c and nvmed-worker-mctp */
static int programs[2] = { -1, -1 };

static int program_open(const char *dir, const char *name, int *ret)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return log_error_errno(-ENAMETOOLONG, "I/O worker %s/%s", dir,
				       name);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(negative_errno(),
				       "Cannot find the I/O worker program %s "
				       "(--worker-dir, $%s)",
				       path, IOWORK_DIR_ENV);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & 0111)) {
		close(fd);
		return log_error_errno(-EACCES,
				       "The I/O worker program %s is not an "
				       "executable file",
				       path);
	}
	*ret = fd;
	return 0;
}

int iowork_open_programs(const char *dir)
{
	char self[PATH_MAX];
	int fds[2] = { -1, -1 }, r;

	if (!dir)
		dir = getenv(IOWORK_DIR_ENV);
	if (!dir || !*dir) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *slash;

		if (n <= 0)
			return log_error_errno(negative_errno(),
					       "Cannot find nvmed's own "
					       "directory (/proc/self/exe)");
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (!slash)
			return log_error_errno(-ENOENT,
					       "Cannot find nvmed's own "
					       "directory (/proc/self/exe)");
		*(slash == self ? slash + 1 : slash) = '\0';
		dir = self;
	}
	r = program_open(dir, WORKER_PROG_I2C, &fds[WORKER_I2C]);
	if (r >= 0)
		r = program_open(dir, WORKER_PROG_MCTP, &fds[WORKER_MCTP]);
	if (r < 0) {
		if (fds[WORKER_I2C] >= 0)
			close(fds[WORKER_I2C]);
		return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(programs); i++) {
		if (programs[i] >= 0)
			close(programs[i]);
		programs[i] = fds[i];
	}
	return 0;
}

/*
 * The child, between fork and exec: only async-signal-safe calls
 * (signal-safety(7)). The socket goes to WORKER_FD (not close-on-exec),
 * everything else nvmed holds is close-on-exec or closed by the worker.
 */
static _Noreturn void exec_worker(int prog, int sock, pid_t parent,
				  char *const argv[])
{
	static const char msg[] = "<3>nvmed: cannot execute an I/O worker\n";
	extern char **environ;

	/* kept across the exec, set again by the worker (worker.c) */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	if (prog == WORKER_FD)
		prog = fcntl(prog, F_DUPFD_CLOEXEC, WORKER_FD + 1);
	if (sock == WORKER_FD) {
		if (fcntl(sock, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(sock, WORKER_FD) < 0) {
		_exit(127);
	}
	/* execveat(prog, "", ..., AT_EMPTY_PATH): the program opened at
	 * start-up, whatever its path is now; environ carries LD_PRELOAD
	 * and the like (the tests' device shims) */
	(void)fexecve(prog, argv, environ);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
}

/*
 * fork + exec rather than posix_spawn(3): the child sets
 * PR_SET_PDEATHSIG, which no posix_spawn attribute does, and execs from a
 * descriptor (fexecve), which posix_spawn cannot. Not vfork(2): its
 * child shares nvmed's memory and stack until the exec, where even the
 * prctl and dup2 above are more than vfork(2) allows. A worker starts once per root bus and network and again
 * only after a hang: the fork's page-table copy (some 100 us for nvmed's
 * few MB) is paid that seldom, and the child dirties almost nothing
 * before its exec drops the copy.
 */
static int worker_spawn(struct worker *w)
{
	char name[32], key[16], ppid[16], tmo[16], mprt[16], level[16];
	char *argv[8] = { name, (char *)WORKER_KIND_NAME(w->kind), key, ppid,
			  NULL };
	pid_t parent = getpid(), pid;
	int sv[2], r;

	if (programs[w->kind] < 0)
		return -ENOEXEC;
	snprintf(name, sizeof(name), "nvmed-%s-%u", WORKER_KIND_NAME(w->kind),
		 w->root);
	snprintf(key, sizeof(key), "%u", w->root);
	snprintf(ppid, sizeof(ppid), "%d", (int)parent);
	if (w->kind == WORKER_MCTP) {
		unsigned timeout_ms, mprt_ms;
		int log_level;

		mi_root_params(w->s->mi, &timeout_ms, &mprt_ms, &log_level);
		snprintf(tmo, sizeof(tmo), "%u", timeout_ms);
		snprintf(mprt, sizeof(mprt), "%u", mprt_ms);
		snprintf(level, sizeof(level), "%d", log_level);
		argv[4] = tmo;
		argv[5] = mprt;
		argv[6] = level;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0)
		exec_worker(programs[w->kind], sv[1], parent, argv);
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->spawned_usec = now_usec(w->s);
	r = sd_event_add_io(w->s->event, &w->io, w->fd, EPOLLIN, on_io, w);
	if (r >= 0) /* results are collected by the timer first */
		r = sd_event_source_set_enabled(w->io, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_child(w->s->event, &w->child, pid, WEXITED,
				       on_child, w);
	if (r < 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		w->io = sd_event_source_disable_unref(w->io);
		close(w->fd);
		w->fd = -1;
		w->pid = 0;
		return r;
	}
	log_debug("I/O worker of %s %u: pid %d", worker_desc(w), w->root,
		  (int)pid);
	return 0;
}

/* Hand every waiting transfer (up to WIRE_BATCH_MAX, WIRE_BATCH_BYTES)
 * to the worker in one batch, starting it if needed. */
static void worker_kick(struct worker *w)
{
	struct iovec iov[1 + 2 * WIRE_BATCH_MAX];
	struct wire_batch hdr = { 0 };
	size_t bytes = sizeof(hdr), n_iov = 1;
	uint64_t now = now_usec(w->s);
	struct iowork_req *q;
	int r;

	if (!w->queue || w->sent || w->respawn)
		return;
	if (w->pid <= 0) {
		if (w->spawned_usec &&
		    now < w->spawned_usec + RESPAWN_DELAY_USEC) {
			r = sd_event_add_time(
				w->s->event, &w->respawn, CLOCK_MONOTONIC,
				w->spawned_usec + RESPAWN_DELAY_USEC, 0,
				respawn_cb, w);
			if (r >= 0)
				return;
		}
		r = worker_spawn(w);
		if (r < 0) {
			log_error_errno(r, "%s %u: cannot start an I/O worker",
					worker_desc(w), w->root);
			q = w->queue;
			w->queue = q->next;
			if (!w->queue)
				w->tail = &w->queue;
			req_finish(q, r, NULL, 0);
			return;
		}
	}
	iov[0] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
	while ((q = w->queue) && hdr.n < WIRE_BATCH_MAX &&
	       bytes + sizeof(q->wire) + q->wire.dout_len <= WIRE_BATCH_BYTES) {
		w->queue = q->next;
		if (!w->queue)
			w->tail = &w->queue;
		q->next = NULL;
		q->sent = true;
		*w->sent_tail = q;
		w->sent_tail = &q->next;
		w->n_sent++;
		hdr.n++;
		iov[n_iov++] = (struct iovec){ .iov_base = &q->wire,
					       .iov_len = sizeof(q->wire) };
		if (q->wire.dout_len)
			iov[n_iov++] =
				(struct iovec){ .iov_base = q->dout,
						.iov_len = q->wire.dout_len };
		bytes += sizeof(q->wire) + q->wire.dout_len;
	}
	if (sendmsg(w->fd,
		    &(struct msghdr){ .msg_iov = iov, .msg_iovlen = n_iov },
		    MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)bytes) {
		/* the death (or the kill) requeues the batch; its head gets
		 * -ECONNRESET */
		log_warning_errno(negative_errno(),
				  "%s %u: cannot hand the I/O worker its "
				  "transfers",
				  worker_desc(w), w->root);
		worker_garbled(w);
		return;
	}
	w->s->stats.transfers += hdr.n;
	w->head_start = now;
	w->progress = false;
	/* SMBus: collected when the batch should be over. NVMe-MI: each
	 * result as it comes, as the management commands that follow one
	 * another (a refresh, an update's pieces) wait on each. */
	if (w->kind == WORKER_I2C) {
		w->batch_due = now + w->xfer_usec * hdr.n + BATCH_SLACK_USEC;
		(void)sd_event_source_set_enabled(w->io, SD_EVENT_OFF);
	} else {
		w->batch_due = 0;
		(void)sd_event_source_set_enabled(w->io, SD_EVENT_ON);
	}
	worker_arm(w);
}

static struct worker *worker_get(struct iowork_set *s, enum worker_kind kind,
				 unsigned root)
{
	struct worker *w;

	for (w = s->workers; w; w = w->next)
		if (w->kind == kind && w->root == root)
			return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->s = s;
	w->kind = kind;
	w->root = root;
	w->fd = -1;
	w->tail = &w->queue;
	w->sent_tail = &w->sent;
	w->xfer_usec = XFER_GUESS_USEC;
	/* the batch goes out once the loop has run everything else due now
	 * (the drives' poll timers are at NORMAL + 10) */
	if (sd_event_add_defer(s->event, &w->flush, on_flush, w) < 0 ||
	    sd_event_source_set_priority(w->flush,
					 SD_EVENT_PRIORITY_NORMAL + 20) < 0 ||
	    sd_event_source_set_enabled(w->flush, SD_EVENT_OFF) < 0 ||
	    sd_event_add_time(s->event, &w->timer, CLOCK_MONOTONIC, UINT64_MAX,
			      1000, on_timer, w) < 0 ||
	    sd_event_source_set_enabled(w->timer, SD_EVENT_OFF) < 0) {
		sd_event_source_disable_unref(w->flush);
		sd_event_source_disable_unref(w->timer);
		free(w);
		return NULL;
	}
	w->next = s->workers;
	s->workers = w;
	s->stats.workers++;
	return w;
}

/* dout: the request's data to the drive, taken over (freed on failure).
 * The request goes to the worker with the others submitted in this turn
 * of the loop (the drives due at the same time): one batch. */
static int submit(struct worker *w, const struct wire_req *wire, uint8_t *dout,
		  unsigned timeout_ms, iowork_done_t done, void *userdata,
		  struct iowork_req **ret)
{
	struct iowork_req *q;
	int r;

	q = calloc(1, sizeof(*q));
	if (!q) {
		free(dout);
		return -ENOMEM;
	}
	q->w = w;
	q->dout = dout;
	q->wire = *wire;
	q->wire.id = ++w->next_id;
	q->timeout_ms = timeout_ms;
	q->done = done;
	q->userdata = userdata;
	*w->tail = q;
	w->tail = &q->next;
	if (ret)
		*ret = q;
	r = sd_event_source_set_enabled(w->flush, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_debug_errno(r, "%s %u: no batch, sending at once",
				worker_desc(w), w->root);
		worker_kick(w);
	}
	return 0;
}

int iowork_smbus_block_read(struct iowork_set *s, unsigned root, unsigned bus,
			    uint8_t addr, bool pec, uint8_t cmd,
			    unsigned timeout_ms, iowork_done_t done,
			    void *userdata, struct iowork_req **ret)
{
	struct worker *w = worker_get(s, WORKER_I2C, root);
	const struct wire_req wire = { .op = OP_SMBUS_BLOCK_READ,
				       .bus = bus,
				       .addr = addr,
				       .pec = pec,
				       .cmd = cmd };

	if (!w)
		return -ENOMEM;
	return submit(w, &wire, NULL, timeout_ms, done, userdata, ret);
}

int iowork_mi(struct iowork_set *s, uint32_t net, uint8_t eid,
	      enum iowork_mi_op op, size_t len, bool fresh, unsigned timeout_ms,
	      iowork_done_t done, void *userdata, struct iowork_req **ret)
{
	struct worker *w;
	const struct wire_req wire = { .op = (uint8_t)(OP_MI + op),
				       .bus = net,
				       .eid = eid,
				       .fresh = fresh,
				       .len = (uint16_t)len };

	if (len == 0 || len > REPLY_MAX)
		return -EINVAL;
	w = worker_get(s, WORKER_MCTP, net);
	if (!w)
		return -ENOMEM;
	return submit(w, &wire, NULL, timeout_ms, done, userdata, ret);
}

int iowork_admin(struct iowork_set *s, uint32_t net, uint8_t eid,
		 const struct mi_admin_cmd *cmd, const void *dout,
		 size_t dout_len, size_t din_len, iowork_done_t done,
		 void *userdata, struct iowork_req **ret)
{
	struct wire_req wire = { .op = OP_ADMIN,
				 .bus = net,
				 .eid = eid,
				 .len = (uint16_t)din_len,
				 .dout_len = (uint16_t)dout_len,
				 .admin = *cmd };
	_cleanup_free_ uint8_t *copy = NULL;
	struct worker *w;
	unsigned limit;

	if (din_len > REPLY_MAX || dout_len > REPLY_MAX ||
	    (din_len && dout_len))
		return -EINVAL;
	if (dout_len) {
		copy = malloc(dout_len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, dout, dout_len);
	}
	w = worker_get(s, WORKER_MCTP, net);
	if (!w)
		return -ENOMEM;
	limit = mi_transaction_limit_ms(s->mi);
	if (cmd->timeout_ms)
		limit += 2 * cmd->timeout_ms;
	return submit(w, &wire, TAKE_PTR(copy), limit, done, userdata, ret);
}

void iowork_cancel(struct iowork_req *q)
{
	struct worker *w;

	if (!q)
		return;
	w = q->w;
	if (q->sent) {
		/* the worker has it: freed when its result comes, ignored */
		q->done = NULL;
		return;
	}
	for (struct iowork_req **p = &w->queue; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			if (!*p)
				w->tail = p;
			req_free(q);
			return;
		}
}

void iowork_get_stats(const struct iowork_set *s, struct iowork_stats *ret)
{
	*ret = s->stats;
}

int iowork_set_new(sd_event *event, struct mi_root *mi, struct iowork_set **ret)
{
	struct iowork_set *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return log_oom();
	if (programs[WORKER_I2C] < 0 || programs[WORKER_MCTP] < 0) {
		r = iowork_open_programs(NULL);
		if (r < 0) {
			free(s);
			return r;
		}
	}
	/* Fatal: a process that cannot shed them must not go on serving
	 * D-Bus with them. */
	r = sandbox_caps_effective(false);
	if (r < 0) {
		free(s);
		return log_error_errno(r, "Cannot clear the effective "
					  "capabilities of the D-Bus process");
	}
	s->event = sd_event_ref(event);
	s->mi = mi;
	*ret = s;
	return 0;
}

struct iowork_set *iowork_set_free(struct iowork_set *s)
{
	if (!s)
		return NULL;
	while (s->workers) {
		struct worker *w = s->workers;

		s->workers = w->next;
		while (w->queue) {
			struct iowork_req *q = w->queue;

			w->queue = q->next;
			req_free(q);
		}
		while (w->sent)
			req_free(sent_pop(w));
		sd_event_source_disable_unref(w->io);
		sd_event_source_disable_unref(w->child);
		sd_event_source_disable_unref(w->timer);
		sd_event_source_disable_unref(w->flush);
		sd_event_source_disable_unref(w->respawn);
		if (w->fd >= 0)
			close(w->fd); /* EOF: the worker exits */
		if (w->pid > 0) {
			(void)kill(w->pid, SIGKILL);
			(void)waitpid(w->pid, NULL, 0);
		}
		free(w);
	}
	sd_event_unref(s->event);
	free(s);
	return NULL;
}
