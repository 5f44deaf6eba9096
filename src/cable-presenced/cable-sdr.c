/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cable-sdr: print the IPMI SDR grouping of the live cable objects.
 *
 * Reads every Inventory.Item.Cable object of cable-presenced
 * (GetManagedObjects at /xyz/openbmc_project/inventory), groups them with
 * sdr_group_cables() and prints one line per SDR:
 *
 *   <SDR name> <assertion mask> <members>
 *
 * e.g. "cdfp[0-3] 0x0005 4": bit i of the mask is Present of cdfp<0+i>.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "bus.h"
#include "config.h"
#include "log.h"
#include "macros.h"
#include "sdr.h"

struct cable_list {
	struct sdr_cable *v;
	char **parents; /* the parent paths */
	char **names; /* the names, as sdbusplus reads them back */
	size_t n, cap;
};

static void cable_list_clear(struct cable_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->parents[i]);
		free(l->names[i]);
	}
	free(l->parents);
	free(l->names);
	free(l->v);
}

static int cable_list_add(struct cable_list *l, const char *path, bool present)
{
	char *parent, *name, *slash;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct sdr_cable *v = realloc(l->v, cap * sizeof(*v));
		char **p;

		if (!v)
			return -ENOMEM;
		l->v = v;
		p = realloc(l->parents, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->parents = p;
		p = realloc(l->names, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->names = p;
		l->cap = cap;
	}
	/* Grouped per parent object and named as libcable-ipmi does. */
	parent = strdup(path);
	name = sdr_name_from_path(path);
	if (!parent || !name) {
		free(parent);
		free(name);
		return -ENOMEM;
	}
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	l->parents[l->n] = parent;
	l->names[l->n] = name;
	l->v[l->n] = (struct sdr_cable){ .name = name,
					 .present = present,
					 .parent = slash ? parent : NULL };
	l->n++;
	return 0;
}

/* What one object of the reply says. */
struct object_info {
	bool is_cable; /* it has Inventory.Item.Cable */
	bool present; /* Inventory.Item's Present */
};

/* A property of Inventory.Item (bus_for_each_prop): Present is read,
 * the others skipped. */
static int read_item_prop(sd_bus_message *m, const char *prop,
			  const char *contents, void *userdata)
{
	struct object_info *o = userdata;
	int b, r;

	if (strcmp(prop, "Present"))
		return 0;
	r = sd_bus_message_read(m, "v", "b", &b);
	if (r < 0)
		return r;
	o->present = b;
	return 1;
}

/* An interface of the object (bus_for_each_iface). */
static int read_iface(sd_bus_message *m, const char *iface,
		      const char *contents, void *userdata)
{
	struct object_info *o = userdata;
	int r;

	if (!strcmp(iface, IFACE_CABLE))
		o->is_cable = true;
	if (strcmp(iface, IFACE_ITEM))
		return 0;
	r = bus_for_each_prop(m, read_item_prop, o);
	return r < 0 ? r : 1;
}

struct cables_read {
	struct cable_list *l;
	bool oom; /* the walk stopped for want of memory, not a bad reply */
};

/* An object of the reply (bus_for_each_object): a cable is listed. */
static int read_object(sd_bus_message *m, const char *path,
		       const char *contents, void *userdata)
{
	struct cables_read *rd = userdata;
	struct object_info o = { 0 };
	int r;

	r = bus_for_each_iface(m, read_iface, &o);
	if (r < 0)
		return r;
	if (o.is_cable) {
		r = cable_list_add(rd->l, path, o.present);
		if (r < 0) {
			rd->oom = true;
			return r;
		}
	}
	return 1;
}

static int read_cables(sd_bus *bus, const char *service, const char *root,
		       struct cable_list *l)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct cables_read rd = { .l = l };
	int r;

	r = sd_bus_call_method(bus, service, root,
			       "org.freedesktop.DBus.ObjectManager",
			       "GetManagedObjects", &error, &reply, "");
	if (r < 0)
		return log_error_errno(
			r, "GetManagedObjects on %s at %s: %s", service, root,
			error.message ? error.message : "failed");
	r = bus_for_each_object(reply, read_object, &rd);
	if (rd.oom)
		return log_oom();
	if (r < 0)
		return log_error_errno(
			r, "Malformed GetManagedObjects reply from %s",
			service);
	return 0;
}

/* One line per SDR: NAME MASK MEMBERS [FULL NAME if truncated]. */
static int print_groups(const struct cable_list *l)
{
	struct sdr_group *groups = NULL;
	int n;

	n = sdr_group_cables(l->v, l->n, &groups);
	if (n < 0)
		return log_oom();
	for (int i = 0; i < n; i++) {
		printf("%s 0x%04x %u", groups[i].name, groups[i].mask,
		       groups[i].count);
		if (groups[i].truncated)
			printf(" %s", groups[i].full_name);
		printf("\n");
	}
	sdr_groups_free(groups, (size_t)n);
	return 0;
}

static void help(void)
{
	printf("Usage: cable-sdr [OPTIONS]\n"
	       "\n"
	       "Print the IPMI SDR grouping of the live cable objects, one line\n"
	       "per SDR: NAME MASK MEMBERS [FULL NAME if truncated to 16].\n"
	       "Bit i of MASK is Present of <prefix><start+i>. Names are\n"
	       "unique: cut names that meet get \"~<n>\" (before \"[a-b]\").\n"
	       "\n"
	       "  -s, --service NAME   bus name to read (default %s)\n"
	       "  -r, --root PATH      ObjectManager path (default %s)\n"
	       "  -h, --help           show this help\n"
	       "  -V, --version        show the version\n",
	       CABLE_BUS_NAME, CABLE_OM_PATH);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "service", required_argument, NULL, 's' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(cable_list_clear) struct cable_list l = { 0 };
	const char *service = CABLE_BUS_NAME, *root = CABLE_OM_PATH;
	int c, r;

	while ((c = getopt_long(argc, argv, "s:r:hV", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			service = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case 'V':
			printf("cable-sdr %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return EXIT_FAILURE;
	}

	r = sd_bus_open_system(&bus);
	if (r < 0) {
		log_error_errno(r, "Cannot connect to the system bus");
		return EXIT_FAILURE;
	}
	r = read_cables(bus, service, root, &l);
	if (r < 0)
		return EXIT_FAILURE;

	return print_groups(&l) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
