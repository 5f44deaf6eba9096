// SPDX-License-Identifier: Apache-2.0
/*
 * kt-naive-mi: an NVMe-MI client written the way a naive daemon would be:
 * it opens the endpoint once and keeps using it whatever happens. The
 * real-kernel tests use it to show what nvmed's close-and-reopen policy
 * protects against (libnvme 1.3 leaks an MCTP tag on every timeout; the
 * kernel never expires manually allocated tags, so after eight of them
 * every send to that EID fails with EBUSY, for every socket in the
 * network namespace, until this one is closed).
 *
 *   kt-naive-mi NET EID TIMEOUT_MS
 *
 * Reads commands from stdin, one per line, and answers each with one
 * line: "poll" (Subsystem Health Status Poll) -> "ok", "status N" or
 * "error NAME" (errno name, e.g. ETIMEDOUT, EBUSY); "quit" or EOF ends.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnvme-mi.h>

static const char *errno_name(int e)
{
	switch (e) {
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EBUSY:
		return "EBUSY";
	case EPROTO:
		return "EPROTO";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case EBADMSG:
		return "EBADMSG";
	case 0:
		return "0";
	default:
		return strerror(e);
	}
}

int main(int argc, char **argv)
{
	struct nvme_mi_nvm_ss_health_status hs;
	char line[64];
	nvme_root_t root;
	nvme_mi_ep_t ep;
	unsigned long net, eid, timeout;

	if (argc != 4) {
		fprintf(stderr, "usage: kt-naive-mi NET EID TIMEOUT_MS\n");
		return 2;
	}
	net = strtoul(argv[1], NULL, 0);
	eid = strtoul(argv[2], NULL, 0);
	timeout = strtoul(argv[3], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);

	root = nvme_mi_create_root(stderr, 3);
	if (!root) {
		fprintf(stderr, "kt-naive-mi: nvme_mi_create_root failed\n");
		return 1;
	}
	nvme_mi_set_probe_enabled(root, false);
	ep = nvme_mi_open_mctp(root, (unsigned int)net, (unsigned char)eid);
	if (!ep) {
		fprintf(stderr, "kt-naive-mi: open %lu,%lu: %s\n", net, eid,
			strerror(errno));
		return 1;
	}
	if (nvme_mi_ep_set_timeout(ep, (unsigned int)timeout) < 0) {
		fprintf(stderr, "kt-naive-mi: set timeout: %s\n",
			strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int rc;

		if (strncmp(line, "quit", 4) == 0)
			break;
		if (strncmp(line, "poll", 4) != 0) {
			printf("unknown command\n");
			continue;
		}
		errno = 0;
		rc = nvme_mi_mi_subsystem_health_status_poll(ep, true, &hs);
		if (rc == 0)
			printf("ok\n");
		else if (rc > 0)
			printf("status %d\n", rc);
		else
			printf("error %s\n", errno_name(errno));
	}
	nvme_mi_close(ep);
	nvme_mi_free_root(root);
	return 0;
}
