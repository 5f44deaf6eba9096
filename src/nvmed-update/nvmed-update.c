// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed-update: update a drive's firmware from an image file through
 * nvmed's xyz.openbmc_project.Software.Update, as bmcweb's UpdateService
 * does, and follow the update to its end. busctl cannot pass a file
 * descriptor (systemd 252), hence this tool.
 *
 *   nvmed-update [--apply-time Immediate|OnReset|Default] [--no-wait]
 *                DRIVE IMAGE
 *
 * DRIVE is the drive's inventory leaf (NVMe_1, as in
 * /xyz/openbmc_project/inventory/drive/NVMe_1). It prints the update's
 * object path, its progress as it changes and the outcome; the exit
 * status is 0 for Active or Staged, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "config.h"
#include "dbus-names.h"
#include "macros.h"

#define POLL_USEC 200000

static void help(void)
{
	printf("Usage: nvmed-update [OPTIONS] DRIVE IMAGE\n"
	       "Update the firmware of nvmed's drive DRIVE (its inventory "
	       "leaf, e.g. NVMe_1)\nfrom the image file IMAGE, through "
	       "xyz.openbmc_project.Software.Update.\n\n"
	       "  -a, --apply-time T  Immediate, OnReset or Default "
	       "(default: Default)\n"
	       "  -n, --no-wait       print the update's object and exit\n"
	       "  -h, --help          this text\n"
	       "  -V, --version       the version\n");
}

static int start(sd_bus *bus, const char *sw, int fd, const char *apply,
		 char **ret_path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	const char *path;
	int r;

	r = sd_bus_call_method(bus, NVMED_BUS_NAME, sw,
			       "xyz.openbmc_project.Software.Update",
			       "StartUpdate", &err, &reply, "hs", fd, apply);
	if (r < 0) {
		fprintf(stderr, "StartUpdate: %s (%s)\n",
			err.message ? err.message : strerror(-r),
			err.name ? err.name : "");
		sd_bus_error_free(&err);
		return r;
	}
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	*ret_path = strdup(path);
	return *ret_path ? 0 : -ENOMEM;
}

/* Follow Activation and Progress until the update ends. */
static int follow(sd_bus *bus, const char *path)
{
	int last = -1;

	for (;;) {
		_cleanup_free_ char *act = NULL;
		uint8_t progress = 0;
		int r;

		r = sd_bus_get_property_string(
			bus, NVMED_BUS_NAME, path,
			"xyz.openbmc_project.Software.Activation", "Activation",
			NULL, &act);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
			return r;
		}
		(void)sd_bus_get_property_trivial(
			bus, NVMED_BUS_NAME, path,
			"xyz.openbmc_project.Software.ActivationProgress",
			"Progress", NULL, 'y', &progress);
		if (progress != last)
			printf("Progress %u %%\n", progress);
		last = progress;
		if (strncmp(act, ENUM_ACTIVATIONS, strlen(ENUM_ACTIVATIONS)) ==
			    0 &&
		    strcmp(act + strlen(ENUM_ACTIVATIONS), "Activating") != 0) {
			const char *a = act + strlen(ENUM_ACTIVATIONS);

			printf("Activation %s\n", a);
			return strcmp(a, "Active") == 0 ||
					       strcmp(a, "Staged") == 0 ?
				       0 :
				       -EIO;
		}
		usleep(POLL_USEC);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "apply-time", required_argument, NULL, 'a' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_free_ char *sw = NULL, *apply = NULL, *path = NULL;
	const char *when = "Default";
	_cleanup_close_ int fd = -1;
	bool wait = true;
	int c, r;

	while ((c = getopt_long(argc, argv, "a:nhV", opts, NULL)) >= 0) {
		switch (c) {
		case 'a':
			when = optarg;
			break;
		case 'n':
			wait = false;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("nvmed-update %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "Expected DRIVE and IMAGE (--help)\n");
		return 2;
	}
	fd = open(argv[optind + 1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	if (asprintf(&sw, NVMED_SOFTWARE_PREFIX "%s", argv[optind]) < 0 ||
	    asprintf(&apply, ENUM_APPLY_TIMES "%s", when) < 0)
		return 1;
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "Cannot connect to the system bus: %s\n",
			strerror(-r));
		return 1;
	}
	r = start(bus, sw, fd, apply, &path);
	if (r < 0)
		return 1;
	printf("%s\n", path);
	fflush(stdout);
	return !wait || follow(bus, path) == 0 ? 0 : 1;
}
