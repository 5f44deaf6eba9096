// SPDX-License-Identifier: Apache-2.0
/*
 * kt-ctl: send the request lines read from stdin to a line-oriented
 * AF_UNIX stream socket (nvme-mi-emu's control socket) and print one
 * reply line per request. The guest has no socat.
 *
 *   echo '{"eid":9,"temperature":50}' | kt-ctl /run/kt/emu.ctl
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *in;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: kt-ctl SOCKET < requests\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "kt-ctl: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	in = fdopen(dup(fd), "r");
	if (!in) {
		fprintf(stderr, "kt-ctl: %s\n", strerror(errno));
		return 1;
	}
	while ((len = getline(&line, &cap, stdin)) > 0) {
		char *reply = NULL;
		size_t rcap = 0;

		if (line[len - 1] != '\n') {
			if ((size_t)len + 1 >= cap) {
				char *g = realloc(line, (size_t)len + 2);

				if (!g)
					return 1;
				line = g;
			}
			line[len++] = '\n';
			line[len] = '\0';
		}
		if (write(fd, line, (size_t)len) != len) {
			fprintf(stderr, "kt-ctl: write: %s\n", strerror(errno));
			return 1;
		}
		if (getline(&reply, &rcap, in) <= 0) {
			fprintf(stderr, "kt-ctl: no reply\n");
			return 1;
		}
		fputs(reply, stdout);
		free(reply);
	}
	free(line);
	fclose(in);
	close(fd);
	return 0;
}
