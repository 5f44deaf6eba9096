/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names of a drive's objects. Records name the temperature sensor
 * ("NVMe 1 Temp", "PM9D3a $index Temp" in entity-manager's configurations),
 * and the sensor keeps that name, as dbus-sensors publishes it. The drive,
 * its controller and their Redfish Ids (bmcweb takes the last path
 * segment: redfish-core/lib/storage.hpp) are named after the drive: the
 * record's Name without a trailing "Temp" word ("NVMe 1"), or the whole
 * Name when nothing would be left.
 */
#pragma once

#include <stddef.h>

/* The drive's name for a record Name: malloc'ed, NULL on ENOMEM. */
char *nvmed_drive_name(const char *record_name);
