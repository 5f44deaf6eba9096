// SPDX-License-Identifier: Apache-2.0
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "dbus-names.h"
#include "drive.h"
#include "evlog.h"
#include "faults.h"
#include "fmt.h"
#include "log.h"
#include "macros.h"
#include "manager.h"

/*
 * Drive faults to phosphor-logging, once per fault (evlog.h), with what a
 * callout needs: the drive's inventory path (CALLOUT_INVENTORY_PATH) and
 * its I2C bus and address (CALLOUT_IIC_BUS, CALLOUT_IIC_ADDR, the keys
 * phosphor-logging's callouts read) or its MCTP network and EID. The
 * events are nvmed's own, in phosphor-dbus-interfaces' events.yaml style:
 * service_files/phosphor-dbus-interfaces/.../Nvme.events.yaml.
 *
 * A drive failing (Functional false) raises DriveFailed and its return
 * DriveRestored; any critical warning bit (NVMe 2.0 SMART log byte 0)
 * raises CriticalWarning, cleared when no bit is set.
 */
static void log_fault(struct drive *d, const char *what, bool raised,
		      const char *message, const char *severity,
		      const char *restored, const char *k, const char *v)
{
	_cleanup_free_ char *key = NULL;
	char bus[32], addr[16], net[16], eid[8];
	const char *data[16];
	size_t n = 0;

	if (!d->m->evlog)
		return;
	key = fmt_alloc("%s/%s", d->drive_path, what);
	if (!key) {
		log_oom();
		return;
	}
	data[n++] = "DRIVE_NAME";
	data[n++] = d->drive_path;
	data[n++] = "CALLOUT_INVENTORY_PATH";
	data[n++] = d->drive_path;
	if (d->basic || (!d->have_endpoint && d->i2c_bus)) {
		snprintf(bus, sizeof(bus), "/dev/i2c-%u", d->i2c_bus);
		snprintf(addr, sizeof(addr), "0x%02x", d->i2c_addr);
		data[n++] = "CALLOUT_IIC_BUS";
		data[n++] = bus;
		data[n++] = "CALLOUT_IIC_ADDR";
		data[n++] = addr;
	}
	if (d->have_endpoint) {
		snprintf(net, sizeof(net), "%u", d->net);
		snprintf(eid, sizeof(eid), "%u", d->eid);
		data[n++] = "MCTP_NETWORK";
		data[n++] = net;
		data[n++] = "MCTP_EID";
		data[n++] = eid;
	}
	if (k) {
		data[n++] = k;
		data[n++] = v;
	}
	data[n] = NULL;
	if (raised)
		(void)evlog_raise(d->m->evlog, key, message, severity, data);
	else
		(void)evlog_clear(d->m->evlog, key, restored, data);
}

static uint8_t critical_warning(const struct drive *d)
{
	uint8_t cw = 0;

	for (int f = 0; f < _FAULT_MAX; f++)
		if (d->faults[f] > 0)
			cw |= (uint8_t)(1u << f);
	return cw;
}

void faults_drive_changed(struct drive *d, uint64_t mask)
{
	uint64_t faults = 0;
	char buf[8];

	if (mask & DRIVE_BIT(DRIVE_FUNCTIONAL))
		log_fault(d, "functional", d->drive_functional == 0,
			  EVENT_DRIVE_FAILED, EVLOG_CRITICAL,
			  EVENT_DRIVE_RESTORED, NULL, NULL);
	for (int f = 0; f < _FAULT_MAX; f++)
		faults |= DRIVE_BIT(DRIVE_FAULT + f);
	if (mask & faults) {
		uint8_t cw = critical_warning(d);

		snprintf(buf, sizeof(buf), "0x%02x", cw);
		log_fault(d, "critical_warning", cw != 0,
			  EVENT_CRITICAL_WARNING, EVLOG_ERROR, NULL,
			  "CRITICAL_WARNING", buf);
	}
}
