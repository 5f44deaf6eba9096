// SPDX-License-Identifier: Apache-2.0
/*
 * The volumes' objects (volume.h), published after each refresh that
 * read namespaces other than those out, and the feature as the
 * orchestrator drives it.
 */
#include <errno.h>
#include <stdlib.h>

#include "dbus-names.h"
#include "drive.h"
#include "log.h"
#include "macros.h"
#include "volume.h"

#define V(field) offsetof(struct volume, field)

static int get_false(sd_bus *bus, const char *path, const char *iface,
		     const char *prop, sd_bus_message *reply, void *userdata,
		     sd_bus_error *error)
{
	return sd_bus_message_append(reply, "b", 0);
}

static int get_block_size(sd_bus *bus, const char *path, const char *iface,
			  const char *prop, sd_bus_message *reply,
			  void *userdata, sd_bus_error *error)
{
	struct volume *v = userdata;

	return sd_bus_message_append(reply, "t", (uint64_t)v->ns.block_size);
}

static int get_volume_assoc(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply,
			    void *userdata, sd_bus_error *error)
{
	struct volume *v = userdata;

	return sd_bus_message_append(reply, "a(sss)", 2, "contained",
				     "containing", NVMED_STORAGE_PATH,
				     "attached", "attaching",
				     v->md->d->controller_path);
}

/* clang-format off */
static const sd_bus_vtable item_volume_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Locked", "b", get_false, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Size", "t", NULL, V(ns.size),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("BlockSize", "t", get_block_size, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable nvme_volume_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("NamespaceId", "u", NULL, V(nsid),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("LBAFormat", "y", NULL, V(ns.format),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MetadataSize", "q", NULL, V(ns.metadata),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Capacity", "t", NULL, V(ns.capacity),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Utilization", "t", NULL, V(ns.used),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable volume_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_volume_assoc, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

static const struct {
	const char *iface;
	const sd_bus_vtable *vtable;
} ifaces[] = {
	{ IFACE_ITEM_VOLUME, item_volume_vtable },
	{ IFACE_NVME_VOLUME, nvme_volume_vtable },
	{ IFACE_ASSOC, volume_assoc_vtable },
};

static int volume_add(struct mgmt_drive *md, struct volume *v)
{
	sd_bus *bus = mgmt_bus(md);
	int r = 0;

	_Static_assert(ARRAY_SIZE(ifaces) == ARRAY_SIZE(v->slots), "slots");
	v->path = mgmt_leaf_path(NVMED_STORAGE_PATH "/volume", "%s_%u",
				 md->d->drive_name, v->nsid);
	if (!v->path)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(ifaces); i++)
		r = sd_bus_add_object_vtable(bus, &v->slots[i], v->path,
					     ifaces[i].iface, ifaces[i].vtable,
					     v);
	if (r >= 0)
		(void)sd_bus_emit_object_added(bus, v->path);
	return r;
}

/* Publish what the refresh read, when it differs from what is out. */
static void volumes_publish(struct mgmt_drive *md)
{
	size_t n = md->n_ns_ids;
	struct volume *vs;
	int r;

	if (volumes_same(md))
		return;
	volumes_drop(md);
	if (n == 0)
		return;
	vs = volumes_new(md);
	if (!vs) {
		log_oom();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		r = volume_add(md, &vs[i]);
		if (r < 0)
			log_error_errno(r,
					"Drive '%s': cannot publish "
					"namespace %u",
					md->d->name, vs[i].nsid);
	}
	log_info("Drive '%s': %zu namespace%s", md->d->name, n,
		 n == 1 ? "" : "s");
}

static int volume_feature_add(struct mgmt_drive *md)
{
	return mgmt_feature_new(md, MGMT_VOLUME, sizeof(struct volume_drive)) ?
		       0 :
		       -ENOMEM;
}

static void volume_feature_remove(struct mgmt_drive *md)
{
	if (!volume_drive(md))
		return;
	volumes_drop(md);
	mgmt_feature_free(md, MGMT_VOLUME);
}

/* Constant properties only: nothing emitted. */
const struct mgmt_feature volume_feature = {
	.add = volume_feature_add,
	.remove = volume_feature_remove,
	.refreshed = volumes_publish,
};
