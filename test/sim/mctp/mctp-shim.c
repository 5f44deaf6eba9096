/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmctp-shim.so: AF_MCTP for machines without kernel MCTP, for tests.
 *
 * Loaded with LD_PRELOAD. socket(AF_MCTP, SOCK_DGRAM, 0) becomes an
 * AF_UNIX SOCK_SEQPACKET connection to $MCTP_SHIM_SOCK (served by
 * nvme-mi-emu, protocol in mctp-shim-proto.h), and sendmsg/recvmsg/
 * sendto/recvfrom/bind/ioctl/close on such a descriptor behave like the
 * kernel's AF_MCTP (net/mctp/af_mctp.c, net/mctp/route.c), errors
 * included. Every other descriptor is passed through untouched: libdbus
 * and sd-bus call sendmsg/recvmsg on their own sockets in the same
 * process. Without $MCTP_SHIM_SOCK, socket(AF_MCTP) fails with
 * EAFNOSUPPORT, as on a kernel built without MCTP, and nothing else
 * changes.
 *
 * Approximations (documented in README.md): routes are asked from the
 * emulator on every send (a new connection that only reads the hello
 * frame), tag reservations are process-wide rather than netns-wide, and
 * automatically allocated owner tags are not held until the reply.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <linux/sockios.h>
#include <linux/mctp.h>

#include "mctp-shim-proto.h"

#ifndef AF_MCTP
#define AF_MCTP 45
#endif

/* The kernel's default network (MCTP_INITIAL_DEFAULT_NET). */
#define SHIM_DEFAULT_NET      1
#define SHIM_HELLO_TIMEOUT_MS 5000
#define SHIM_EXPORT	      __attribute__((visibility("default")))

struct shim_sock {
	int fd;
	bool no_tags;
	bool bound;
	struct sockaddr_mctp bind_addr;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* tags_held[eid]: bit t set = tag t preallocated by this socket */
	uint8_t tags_held[256];
	struct shim_sock *next;
};

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_sock *shim_socks;
static atomic_int shim_count;

static int (*real_socket)(int, int, int);
static int (*real_close)(int);
static int (*real_close_range)(unsigned int, unsigned int, int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
				socklen_t *);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_ioctl)(int, unsigned long, ...);

static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

static void shim_atfork_prepare(void)
{
	pthread_mutex_lock(&shim_lock);
}

static void shim_atfork_release(void)
{
	pthread_mutex_unlock(&shim_lock);
}

/* POSIX's way to turn dlsym()'s void * into a function pointer */
#define RESOLVE(name) (*(void **)&real_##name = dlsym(RTLD_NEXT, #name))

static void shim_init(void)
{
	RESOLVE(socket);
	RESOLVE(close);
	RESOLVE(close_range);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(sendmsg);
	RESOLVE(recvmsg);
	RESOLVE(send);
	RESOLVE(recv);
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(sendto);
	RESOLVE(recvfrom);
	RESOLVE(bind);
	RESOLVE(connect);
	RESOLVE(ioctl);
	pthread_atfork(shim_atfork_prepare, shim_atfork_release,
		       shim_atfork_release);
}

static void shim_ensure_init(void)
{
	pthread_once(&shim_once, shim_init);
}

/* Caller holds shim_lock. */
static struct shim_sock *shim_find_locked(int fd)
{
	for (struct shim_sock *s = shim_socks; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

/* Copy of the entry for fd (so no lock is held across system calls). */
static bool shim_lookup(int fd, struct shim_sock *ret)
{
	struct shim_sock *s;

	if (fd < 0 || atomic_load(&shim_count) == 0)
		return false;
	pthread_mutex_lock(&shim_lock);
	s = shim_find_locked(fd);
	if (s && ret)
		*ret = *s;
	pthread_mutex_unlock(&shim_lock);
	return s != NULL;
}

static void shim_forget(int fd)
{
	struct shim_sock **p, *s;

	if (fd < 0 || atomic_load(&shim_count) == 0)
		return;
	pthread_mutex_lock(&shim_lock);
	for (p = &shim_socks; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			s = *p;
			*p = s->next;
			free(s);
			atomic_fetch_sub(&shim_count, 1);
			break;
		}
	}
	pthread_mutex_unlock(&shim_lock);
}

static int shim_set_path(struct sockaddr_un *sun, const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	return 0;
}

/*
 * Connect to the emulator and read its hello frame. Returns the connected
 * descriptor (blocking, close-on-exec) and, if ret_routes is not NULL, the
 * malloc'ed route list; -errno on failure.
 */
static int shim_connect(const char *path, struct mctp_shim_route **ret_routes,
			size_t *ret_count)
{
	size_t bufsize = sizeof(struct mctp_shim_hello) +
			 MCTP_SHIM_MAX_ROUTES * sizeof(struct mctp_shim_route);
	struct mctp_shim_hello hello;
	struct sockaddr_un sun;
	struct pollfd pfd;
	uint8_t *buf;
	ssize_t n;
	int fd, r;

	r = shim_set_path(&sun, path);
	if (r < 0)
		return r;
	fd = real_socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (real_connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		goto fail;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	do
		r = poll(&pfd, 1, SHIM_HELLO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		r = r < 0 ? -errno : -ETIMEDOUT;
		goto fail;
	}
	buf = malloc(bufsize);
	if (!buf) {
		r = -ENOMEM;
		goto fail;
	}
	n = real_recvfrom(fd, buf, bufsize, 0, NULL, NULL);
	if (n < (ssize_t)sizeof(hello)) {
		r = n < 0 ? -errno : -EPROTO;
		free(buf);
		goto fail;
	}
	memcpy(&hello, buf, sizeof(hello));
	if (hello.magic != MCTP_SHIM_MAGIC ||
	    hello.version != MCTP_SHIM_VERSION ||
	    (size_t)n != sizeof(hello) +
				 hello.count * sizeof(struct mctp_shim_route)) {
		r = -EPROTO;
		free(buf);
		goto fail;
	}
	if (ret_routes) {
		memmove(buf, buf + sizeof(hello),
			hello.count * sizeof(struct mctp_shim_route));
		*ret_routes = (struct mctp_shim_route *)buf;
		*ret_count = hello.count;
	} else {
		free(buf);
	}
	return fd;
fail:
	real_close(fd);
	return r;
}

/* 1 if (net, eid) is reachable now, 0 if not, -errno. */
static int shim_route_ok(const char *path, uint32_t net, uint8_t eid)
{
	struct mctp_shim_route *routes;
	size_t count;
	int fd, found = 0;

	fd = shim_connect(path, &routes, &count);
	if (fd < 0)
		return fd;
	real_close(fd);
	for (size_t i = 0; i < count; i++)
		if (routes[i].net == net && routes[i].eid == eid)
			found = 1;
	free(routes);
	return found;
}

static int shim_fail(int err)
{
	errno = err;
	return -1;
}

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	struct shim_sock *s;
	const char *path;
	int fd, r, flags;

	shim_ensure_init();
	if (domain != AF_MCTP)
		return real_socket(domain, type, protocol);

	path = getenv("MCTP_SHIM_SOCK");
	if (!path || !*path)
		return shim_fail(EAFNOSUPPORT);
	/* mctp_create(): datagrams only, protocol 0 */
	flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_DGRAM)
		return shim_fail(ESOCKTNOSUPPORT);
	if (protocol != 0)
		return shim_fail(EPROTONOSUPPORT);

	s = calloc(1, sizeof(*s));
	if (!s)
		return shim_fail(ENOMEM);
	if (strlen(path) >= sizeof(s->path)) {
		free(s);
		return shim_fail(ENAMETOOLONG);
	}
	strcpy(s->path, path);
	s->no_tags = getenv("MCTP_SHIM_NO_TAGS") != NULL;

	fd = shim_connect(path, NULL, NULL);
	if (fd < 0) {
		free(s);
		return shim_fail(-fd);
	}
	/* shim_connect() always sets close-on-exec; honour the caller. */
	if (!(flags & SOCK_CLOEXEC) && fcntl(fd, F_SETFD, 0) < 0)
		goto fail;
	if ((flags & SOCK_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;

	s->fd = fd;
	pthread_mutex_lock(&shim_lock);
	s->next = shim_socks;
	shim_socks = s;
	atomic_fetch_add(&shim_count, 1);
	pthread_mutex_unlock(&shim_lock);
	return fd;
fail:
	r = errno;
	real_close(fd);
	free(s);
	return shim_fail(r);
}

SHIM_EXPORT int close(int fd)
{
	shim_ensure_init();
	shim_forget(fd);
	return real_close(fd);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	shim_ensure_init();
	if (!real_close_range)
		return shim_fail(ENOSYS);
	if (!(flags & CLOSE_RANGE_CLOEXEC) && atomic_load(&shim_count) > 0) {
		struct shim_sock **p, *s;

		pthread_mutex_lock(&shim_lock);
		for (p = &shim_socks; *p;) {
			s = *p;
			if ((unsigned int)s->fd >= first &&
			    (unsigned int)s->fd <= last) {
				*p = s->next;
				free(s);
				atomic_fetch_sub(&shim_count, 1);
			} else {
				p = &s->next;
			}
		}
		pthread_mutex_unlock(&shim_lock);
	}
	return real_close_range(first, last, flags);
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	shim_ensure_init();
	if (oldfd != newfd)
		shim_forget(newfd);
	return real_dup2(oldfd, newfd);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	shim_ensure_init();
	if (oldfd != newfd)
		shim_forget(newfd);
	return real_dup3(oldfd, newfd, flags);
}

/* mctp_sockaddr_is_ok(): padding must be zero. */
static int shim_check_addr(const void *name, socklen_t len,
			   struct sockaddr_mctp *ret)
{
	struct sockaddr_mctp a;

	if (len < sizeof(a))
		return -EINVAL;
	memcpy(&a, name, sizeof(a));
	if (a.smctp_family != AF_MCTP)
		return -EINVAL;
	if (a.__smctp_pad0 || a.__smctp_pad1)
		return -EINVAL;
	*ret = a;
	return 0;
}

static uint8_t shim_tags_in_use_locked(uint8_t eid)
{
	uint8_t used = 0;

	for (struct shim_sock *s = shim_socks; s; s = s->next)
		used |= s->tags_held[eid];
	return used;
}

static int shim_lowest_free(uint8_t used)
{
	for (int t = 0; t <= MCTP_TAG_MASK; t++)
		if (!(used & (1u << t)))
			return t;
	return -1;
}

static ssize_t shim_sendmsg(int fd, const struct shim_sock *s,
			    const struct msghdr *msg, int flags)
{
	struct sockaddr_mctp addr;
	struct mctp_shim_hdr hdr;
	struct shim_sock *live;
	struct msghdr m;
	struct iovec *iov;
	size_t len = 0;
	uint8_t tag;
	ssize_t n;
	int r;

	if (!msg->msg_name)
		return shim_fail(EDESTADDRREQ);
	r = shim_check_addr(msg->msg_name, msg->msg_namelen, &addr);
	if (r < 0)
		return shim_fail(-r);
	if (addr.smctp_tag &
	    ~(MCTP_TAG_MASK | MCTP_TAG_OWNER | MCTP_TAG_PREALLOC))
		return shim_fail(EINVAL);
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	if (len > MCTP_SHIM_MAX_MSG)
		return shim_fail(EMSGSIZE);

	tag = addr.smctp_tag;
	pthread_mutex_lock(&shim_lock);
	live = shim_find_locked(fd);
	if (!live) {
		r = -EBADF;
	} else if (tag & MCTP_TAG_PREALLOC) {
		/* mctp_lookup_prealloc_tag(): must be ours, for this peer */
		if (!(tag & MCTP_TAG_OWNER))
			r = -EINVAL;
		else if (!(live->tags_held[addr.smctp_addr.s_addr] &
			   (1u << (tag & MCTP_TAG_MASK))))
			r = -ENOENT;
		else
			r = 0;
		tag &= MCTP_TAG_MASK | MCTP_TAG_OWNER;
	} else if (tag & MCTP_TAG_OWNER) {
		/* mctp_alloc_local_tag(): EBUSY when all 8 are taken */
		r = shim_lowest_free(
			shim_tags_in_use_locked(addr.smctp_addr.s_addr));
		if (r >= 0) {
			tag = (uint8_t)r | MCTP_TAG_OWNER;
			r = 0;
		} else {
			r = -EBUSY;
		}
	} else {
		r = 0;
	}
	pthread_mutex_unlock(&shim_lock);
	if (r < 0)
		return shim_fail(-r);

	hdr = (struct mctp_shim_hdr){
		.net = addr.smctp_network == MCTP_NET_ANY ? SHIM_DEFAULT_NET :
							    addr.smctp_network,
		.eid = addr.smctp_addr.s_addr,
		.type = addr.smctp_type,
		.tag = tag,
	};
	r = shim_route_ok(s->path, hdr.net, hdr.eid);
	if (r <= 0)
		return shim_fail(EHOSTUNREACH);

	iov = calloc(msg->msg_iovlen + 1, sizeof(*iov));
	if (!iov)
		return shim_fail(ENOMEM);
	iov[0] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
	if (msg->msg_iovlen)
		memcpy(iov + 1, msg->msg_iov, msg->msg_iovlen * sizeof(*iov));
	m = (struct msghdr){ .msg_iov = iov,
			     .msg_iovlen = msg->msg_iovlen + 1 };
	n = real_sendmsg(fd, &m, MSG_NOSIGNAL | (flags & MSG_DONTWAIT));
	r = errno;
	free(iov);
	if (n < 0) {
		/* The emulator went away: the datagram is simply lost. */
		if (r == EPIPE || r == ECONNRESET || r == ENOTCONN)
			return (ssize_t)len;
		return shim_fail(r);
	}
	return n - (ssize_t)sizeof(hdr);
}

static ssize_t shim_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct mctp_shim_hdr hdr;
	struct sockaddr_mctp addr;
	struct iovec *iov;
	struct msghdr m;
	ssize_t n;
	int err;

	/* mctp_recvmsg() */
	if (flags & ~(MSG_DONTWAIT | MSG_TRUNC | MSG_PEEK))
		return shim_fail(EOPNOTSUPP);

	iov = calloc(msg->msg_iovlen + 1, sizeof(*iov));
	if (!iov)
		return shim_fail(ENOMEM);
	iov[0] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
	if (msg->msg_iovlen)
		memcpy(iov + 1, msg->msg_iov, msg->msg_iovlen * sizeof(*iov));
	m = (struct msghdr){ .msg_iov = iov,
			     .msg_iovlen = msg->msg_iovlen + 1 };
	n = real_recvmsg(fd, &m, flags);
	err = errno;
	free(iov);
	if (n < 0)
		return shim_fail(err);
	if (n == 0) {
		/* emulator closed the connection: nothing more will come */
		msg->msg_flags = 0;
		msg->msg_namelen = 0;
		return 0;
	}
	if (n < (ssize_t)sizeof(hdr))
		return shim_fail(EIO);

	if (msg->msg_name) {
		addr = (struct sockaddr_mctp){
			.smctp_family = AF_MCTP,
			.smctp_network = hdr.net,
			.smctp_addr.s_addr = hdr.eid,
			.smctp_type = hdr.type,
			.smctp_tag = hdr.tag & (MCTP_TAG_MASK | MCTP_TAG_OWNER),
		};
		memcpy(msg->msg_name, &addr,
		       msg->msg_namelen < sizeof(addr) ? msg->msg_namelen :
							 sizeof(addr));
		msg->msg_namelen = sizeof(addr);
	}
	msg->msg_controllen = 0;
	msg->msg_flags = m.msg_flags & (MSG_TRUNC | MSG_EOR);
	return n - (ssize_t)sizeof(hdr);
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct shim_sock s;

	shim_ensure_init();
	if (!shim_lookup(fd, &s))
		return real_sendmsg(fd, msg, flags);
	if (!msg)
		return shim_fail(EFAULT);
	return shim_sendmsg(fd, &s, msg, flags);
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_recvmsg(fd, msg, flags);
	if (!msg)
		return shim_fail(EFAULT);
	return shim_recvmsg(fd, msg, flags);
}

/*
 * glibc declares the sockaddr arguments as transparent unions
 * (__CONST_SOCKADDR_ARG / __SOCKADDR_ARG) in GNU mode; the definitions
 * below use the same types so the prototypes match.
 */
SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   __CONST_SOCKADDR_ARG to_arg, socklen_t tolen)
{
	const struct sockaddr *to = to_arg.__sockaddr__;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = {
		.msg_name = (void *)to,
		.msg_namelen = tolen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct shim_sock s;

	shim_ensure_init();
	if (!shim_lookup(fd, &s))
		return real_sendto(fd, buf, len, flags, to, tolen);
	return shim_sendmsg(fd, &s, &m, flags);
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			     __SOCKADDR_ARG from_arg, socklen_t *fromlen)
{
	struct sockaddr *from = from_arg.__sockaddr__;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_name = from,
		.msg_namelen = from && fromlen ? *fromlen : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_recvfrom(fd, buf, len, flags, from, fromlen);
	n = shim_recvmsg(fd, &m, flags);
	if (n >= 0 && from && fromlen)
		*fromlen = m.msg_namelen;
	return n;
}

/* send()/write() carry no address: EDESTADDRREQ, as AF_MCTP has no
 * connect(). recv()/read() are recvfrom() without the source address. */
SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_send(fd, buf, len, flags);
	return shim_fail(EDESTADDRREQ);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_write(fd, buf, len);
	return shim_fail(EDESTADDRREQ);
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_recv(fd, buf, len, flags);
	return shim_recvmsg(fd, &m, flags);
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_read(fd, buf, len);
	return shim_recvmsg(fd, &m, 0);
}

SHIM_EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr_arg, socklen_t len)
{
	const struct sockaddr *addr = addr_arg.__sockaddr__;
	struct sockaddr_mctp a;
	struct shim_sock *s;
	int r;

	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_bind(fd, addr, len);
	if (!addr)
		return shim_fail(EINVAL);
	/* mctp_bind(): a valid sockaddr; the IC bit of the type is ignored */
	r = shim_check_addr(addr, len, &a);
	if (r < 0)
		return shim_fail(-r);
	a.smctp_type &= 0x7f;
	pthread_mutex_lock(&shim_lock);
	s = shim_find_locked(fd);
	if (!s)
		r = -EBADF;
	else if (s->bound)
		r = -EADDRINUSE;
	else {
		s->bound = true;
		s->bind_addr = a;
	}
	pthread_mutex_unlock(&shim_lock);
	return r < 0 ? shim_fail(-r) : 0;
}

SHIM_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr_arg, socklen_t len)
{
	const struct sockaddr *addr = addr_arg.__sockaddr__;
	shim_ensure_init();
	if (!shim_lookup(fd, NULL))
		return real_connect(fd, addr, len);
	/* AF_MCTP sockets have no connect (sock_no_connect) */
	return shim_fail(EOPNOTSUPP);
}

static int shim_tag_ioctl(int fd, unsigned long req,
			  struct mctp_ioc_tag_ctl *ctl)
{
	struct shim_sock *s;
	int r = 0, t;

	if (!ctl)
		return -EFAULT;
	if (ctl->flags)
		return -EINVAL;
	pthread_mutex_lock(&shim_lock);
	s = shim_find_locked(fd);
	if (!s) {
		r = -EBADF;
	} else if (s->no_tags) {
		r = -ENOTTY;
	} else if (req == SIOCMCTPALLOCTAG) {
		if (ctl->tag) {
			r = -EINVAL;
		} else {
			t = shim_lowest_free(
				shim_tags_in_use_locked(ctl->peer_addr));
			if (t < 0) {
				r = -EBUSY;
			} else {
				s->tags_held[ctl->peer_addr] |= 1u << t;
				ctl->tag = (uint8_t)t | MCTP_TAG_OWNER |
					   MCTP_TAG_PREALLOC;
			}
		}
	} else {
		t = ctl->tag & MCTP_TAG_MASK;
		if ((ctl->tag & ~MCTP_TAG_MASK) !=
			    (MCTP_TAG_OWNER | MCTP_TAG_PREALLOC) ||
		    !(s->tags_held[ctl->peer_addr] & (1u << t)))
			r = -EINVAL;
		else
			s->tags_held[ctl->peer_addr] &= ~(1u << t);
	}
	pthread_mutex_unlock(&shim_lock);
	return r;
}

SHIM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	shim_ensure_init();
	if ((req != SIOCMCTPALLOCTAG && req != SIOCMCTPDROPTAG) ||
	    !shim_lookup(fd, NULL))
		return real_ioctl(fd, req, arg);
	r = shim_tag_ioctl(fd, req, arg);
	return r < 0 ? shim_fail(-r) : 0;
}
