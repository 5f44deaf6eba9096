// SPDX-License-Identifier: Apache-2.0
/* The volumes that are out, against what a refresh read. See volume.h. */
#include <stdlib.h>

#include "drive.h"
#include "macros.h"
#include "volume.h"

struct volume_drive *volume_drive(const struct mgmt_drive *md)
{
	return md->feature[MGMT_VOLUME];
}

/* Field by field: the struct's padding holds nothing to compare. */
static bool namespace_same(const struct admin_namespace *a,
			   const struct admin_namespace *b)
{
	return a->size == b->size && a->capacity == b->capacity &&
	       a->used == b->used && a->block_size == b->block_size &&
	       a->metadata == b->metadata && a->format == b->format;
}

bool volumes_same(const struct mgmt_drive *md)
{
	const struct volume_drive *vd = volume_drive(md);

	if (vd->n_volumes != md->n_ns_ids)
		return false;
	for (size_t i = 0; i < vd->n_volumes; i++)
		if (vd->volumes[i].nsid != md->ns_ids[i] ||
		    !namespace_same(&vd->volumes[i].ns, &md->ns_new[i]))
			return false;
	return true;
}

void volumes_drop(struct mgmt_drive *md)
{
	struct volume_drive *vd = volume_drive(md);

	for (size_t i = 0; i < vd->n_volumes; i++) {
		struct volume *v = &vd->volumes[i];

		(void)sd_bus_emit_object_removed(mgmt_bus(md), v->path);
		for (size_t k = 0; k < ARRAY_SIZE(v->slots); k++)
			sd_bus_slot_unref(v->slots[k]);
		free(v->path);
	}
	free(vd->volumes);
	vd->volumes = NULL;
	vd->n_volumes = 0;
}

struct volume *volumes_new(struct mgmt_drive *md)
{
	struct volume_drive *vd = volume_drive(md);

	vd->volumes = calloc(md->n_ns_ids, sizeof(*vd->volumes));
	if (!vd->volumes)
		return NULL;
	vd->n_volumes = md->n_ns_ids;
	for (size_t i = 0; i < vd->n_volumes; i++)
		vd->volumes[i] = (struct volume){ .md = md,
						  .nsid = md->ns_ids[i],
						  .ns = md->ns_new[i] };
	return vd->volumes;
}
