// SPDX-License-Identifier: Apache-2.0
/*
 * Log pages' object (logpage.h): Nvme.Admin's GetLogPage on the
 * controller, and the feature as the orchestrator drives it.
 */
#include <errno.h>
#include <stdlib.h>

#include "dbus-names.h"
#include "drive.h"
#include "log.h"
#include "logpage.h"

static int get_log_page(sd_bus_message *m, struct mgmt_drive *md,
			sd_bus_error *error)
{
	uint32_t nsid, len;
	uint16_t lsi;
	uint8_t lid, lsp;
	int r;

	r = sd_bus_message_read(m, "yuyqu", &lid, &nsid, &lsp, &lsi, &len);
	if (r < 0)
		return r;
	if (len < 4 || len > LOGPAGE_MAX || len % 4)
		return sd_bus_error_setf(error, ERR_INVALID_ARG,
					 "Length %u: expected 4..%u, a "
					 "multiple of 4",
					 len, LOGPAGE_MAX);
	if (lsp > 0x7f)
		return sd_bus_error_setf(error, ERR_INVALID_ARG,
					 "LogSpecificField 0x%x: 7 bits", lsp);
	if (!mgmt_reachable(md, error))
		return -EHOSTUNREACH;
	if (logpage_reads(md) >= LOGPAGE_READS_MAX)
		return sd_bus_error_setf(error, ERR_UNAVAILABLE,
					 "Drive '%s': %u log page reads are "
					 "waiting already",
					 md->d->name, LOGPAGE_READS_MAX);
	return logpage_read(md, m, lid, nsid, lsp, lsi, len);
}

static int method_get_log_page(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	return mgmt_authorize(userdata, m, get_log_page);
}

/* clang-format off */
static const sd_bus_vtable admin_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("GetLogPage", "yuyqu",
				 SD_BUS_PARAM(LogId)
				 SD_BUS_PARAM(NamespaceId)
				 SD_BUS_PARAM(LogSpecificField)
				 SD_BUS_PARAM(LogSpecificId)
				 SD_BUS_PARAM(Length),
				 "ay", SD_BUS_PARAM(Data),
				 method_get_log_page,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

static void logpage_remove(struct mgmt_drive *md)
{
	struct logpage_drive *ld = logpage_drive(md);

	if (!ld)
		return;
	logpage_drop(md);
	sd_bus_slot_unref(ld->slot);
	mgmt_feature_free(md, MGMT_LOGPAGE);
}

/* Nvme.Admin on the controller's object: the drive's announcement
 * carries it. */
static int logpage_add(struct mgmt_drive *md)
{
	struct logpage_drive *ld =
		mgmt_feature_new(md, MGMT_LOGPAGE, sizeof(*ld));

	if (!ld)
		return -ENOMEM;
	return mgmt_add_vtable(md, &ld->slot, md->d->controller_path,
			       IFACE_ADMIN, admin_vtable, md);
}

/* GetLogPage emits no property. */
const struct mgmt_feature logpage_feature = {
	.add = logpage_add,
	.remove = logpage_remove,
};
