// SPDX-License-Identifier: Apache-2.0
/*
 * kt-mctp-link: create a kernel MCTP serial link for the real-kernel test
 * tier and hand its far end to a program (normally nvme-mi-emu).
 *
 *   kt-mctp-link --local-eid 8 [--route 9]... -- \
 *       nvme-mi-emu --scenario S --control C
 *
 * Opens a pty, puts the N_MCTP line discipline on its slave (the kernel
 * then creates an mctpserialN interface, MTU 68), brings the interface
 * up, gives it the local EID and a route per remote EID over rtnetlink,
 * and execs the program with "--serial-fd FD" (the pty master) appended.
 * The slave descriptor is inherited by the program and keeps the link
 * alive for as long as it runs. The interface name is printed on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef AF_MCTP
#define AF_MCTP 45
#endif
#ifndef N_MCTP
#define N_MCTP 28
#endif

#define MAX_ROUTES 32

struct nlreq {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	};
	char attrs[64];
};

static void add_attr(struct nlreq *req, unsigned short type, const void *data,
		     size_t len)
{
	struct rtattr *rta =
		(struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) +
			    (unsigned int)RTA_ALIGN(rta->rta_len);
}

/* Send one request and wait for its acknowledgement. */
static int nl_call(int fd, struct nlreq *req, const char *what)
{
	char buf[4096];
	ssize_t n;

	req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, req, req->nh.nlmsg_len, 0) < 0) {
		fprintf(stderr, "kt-mctp-link: %s: send: %s\n", what,
			strerror(errno));
		return -errno;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		fprintf(stderr, "kt-mctp-link: %s: recv: %s\n", what,
			strerror(errno));
		return -errno;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
	     NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			if (e->error) {
				fprintf(stderr, "kt-mctp-link: %s: %s\n", what,
					strerror(-e->error));
				return e->error;
			}
			return 0;
		}
	}
	fprintf(stderr, "kt-mctp-link: %s: no acknowledgement\n", what);
	return -EPROTO;
}

static int link_setup(unsigned int ifindex, unsigned char local,
		      const unsigned char *routes, size_t n_routes)
{
	struct nlreq req;
	int fd, r;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		fprintf(stderr, "kt-mctp-link: netlink socket: %s\n",
			strerror(errno));
		return -errno;
	}

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)ifindex;
	req.ifi.ifi_flags = IFF_UP;
	req.ifi.ifi_change = IFF_UP;
	r = nl_call(fd, &req, "link up");
	if (r < 0)
		goto out;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifa.ifa_family = AF_MCTP;
	req.ifa.ifa_index = ifindex;
	add_attr(&req, IFA_LOCAL, &local, 1);
	r = nl_call(fd, &req, "local EID");
	if (r < 0)
		goto out;

	for (size_t i = 0; i < n_routes; i++) {
		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rt));
		req.nh.nlmsg_type = RTM_NEWROUTE;
		req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		req.rt.rtm_family = AF_MCTP;
		req.rt.rtm_type = RTN_UNICAST;
		req.rt.rtm_table = RT_TABLE_DEFAULT;
		add_attr(&req, RTA_DST, &routes[i], 1);
		add_attr(&req, RTA_OIF, &ifindex, sizeof(ifindex));
		r = nl_call(fd, &req, "route");
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/* The interface the line discipline created: the one not in before[]. */
static unsigned int new_interface(const unsigned int *before, size_t n_before,
				  char name[IF_NAMESIZE])
{
	struct if_nameindex *ifs = if_nameindex();
	unsigned int found = 0;

	if (!ifs)
		return 0;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		size_t k;

		for (k = 0; k < n_before; k++)
			if (before[k] == i->if_index)
				break;
		if (k == n_before &&
		    strncmp(i->if_name, "mctpserial", 10) == 0) {
			found = i->if_index;
			snprintf(name, IF_NAMESIZE, "%s", i->if_name);
			break;
		}
	}
	if_freenameindex(ifs);
	return found;
}

static int parse_eid(const char *s, unsigned char *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < 8 || v > 254) {
		fprintf(stderr, "kt-mctp-link: \"%s\" is not a unicast EID\n",
			s);
		return -EINVAL;
	}
	*ret = (unsigned char)v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: kt-mctp-link --local-eid EID [--route EID]... -- "
		"PROGRAM [ARGS...]\n"
		"Creates an MCTP serial link (pty + N_MCTP), sets its local "
		"EID and routes,\n"
		"and execs PROGRAM ARGS --serial-fd FD (FD: the pty "
		"master).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "local-eid", required_argument, NULL, 'l' },
		{ "route", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned char local = 0, routes[MAX_ROUTES];
	unsigned int before[256], ifindex;
	size_t n_routes = 0, n_before = 0;
	char name[IF_NAMESIZE] = "", fdarg[16], **args;
	struct if_nameindex *ifs;
	struct termios tio;
	int c, master, slave, ldisc = N_MCTP;

	while ((c = getopt_long(argc, argv, "+l:r:h", options, NULL)) >= 0) {
		switch (c) {
		case 'l':
			if (parse_eid(optarg, &local) < 0)
				return EXIT_FAILURE;
			break;
		case 'r':
			if (n_routes == MAX_ROUTES) {
				fprintf(stderr, "kt-mctp-link: too many "
						"routes\n");
				return EXIT_FAILURE;
			}
			if (parse_eid(optarg, &routes[n_routes]) < 0)
				return EXIT_FAILURE;
			n_routes++;
			break;
		case 'h':
			usage();
			return EXIT_SUCCESS;
		default:
			usage();
			return EXIT_FAILURE;
		}
	}
	if (!local || optind >= argc) {
		usage();
		return EXIT_FAILURE;
	}

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		fprintf(stderr, "kt-mctp-link: pty: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0) {
		fprintf(stderr, "kt-mctp-link: %s: %s\n", ptsname(master),
			strerror(errno));
		return EXIT_FAILURE;
	}
	/* no echo, no line editing, no CR/LF translation on either side */
	for (int i = 0; i < 2; i++) {
		int fd = i ? slave : master;

		if (tcgetattr(fd, &tio) < 0)
			continue;
		cfmakeraw(&tio);
		(void)tcsetattr(fd, TCSANOW, &tio);
	}

	ifs = if_nameindex();
	for (struct if_nameindex *i = ifs; i && i->if_index && n_before < 256;
	     i++)
		before[n_before++] = i->if_index;
	if (ifs)
		if_freenameindex(ifs);

	if (ioctl(slave, TIOCSETD, &ldisc) < 0) {
		fprintf(stderr,
			"kt-mctp-link: TIOCSETD N_MCTP: %s (kernel without "
			"CONFIG_MCTP_SERIAL?)\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	ifindex = new_interface(before, n_before, name);
	if (!ifindex) {
		fprintf(stderr, "kt-mctp-link: no new mctpserial interface\n");
		return EXIT_FAILURE;
	}
	if (link_setup(ifindex, local, routes, n_routes) < 0)
		return EXIT_FAILURE;
	printf("%s\n", name);
	fflush(stdout);

	args = calloc((size_t)(argc - optind) + 3, sizeof(*args));
	if (!args) {
		fprintf(stderr, "kt-mctp-link: out of memory\n");
		return EXIT_FAILURE;
	}
	for (int i = optind; i < argc; i++)
		args[i - optind] = argv[i];
	snprintf(fdarg, sizeof(fdarg), "%d", master);
	args[argc - optind] = "--serial-fd";
	args[argc - optind + 1] = fdarg;
	execvp(args[0], args);
	fprintf(stderr, "kt-mctp-link: exec %s: %s\n", args[0],
		strerror(errno));
	return EXIT_FAILURE;
}
