/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every D-Bus name nvmed publishes or calls: its own bus name and object
 * roots, the interfaces of its objects (phosphor-dbus-interfaces' YAML
 * under yaml/xyz/openbmc_project), the enumeration prefixes, the error
 * names its methods answer with, the event messages it logs, and the
 * services it asks (mctpd, mctpreactor, the state managers). A name is
 * spelt here once; bmcweb, ipmid and fan control key on them, so none of
 * them may change.
 */
#pragma once

/* ---- ours ---------------------------------------------------------- */
#define NVMED_BUS_NAME "xyz.openbmc_project.NVMe"

/* Object paths: a drive's identity, so made by drive.c. bmcweb serves
 * drives and controllers under Systems/<system>/Storage/1 only
 * (redfish-core/lib/storage.hpp, storage_controller.hpp), so all of
 * nvmed's drives hang off one Storage whose Id, its last path segment, is
 * "1"; each drive's controller is below it, named after the drive. */
#define NVMED_SENSORS_ROOT	"/xyz/openbmc_project/sensors"
#define NVMED_SENSOR_PREFIX	"/xyz/openbmc_project/sensors/temperature/"
#define NVMED_INVENTORY_ROOT	"/xyz/openbmc_project/inventory"
#define NVMED_DRIVE_PREFIX	"/xyz/openbmc_project/inventory/drive/"
#define NVMED_STORAGE_PATH	"/xyz/openbmc_project/inventory/storage/1"
#define NVMED_CONTROLLER_PREFIX NVMED_STORAGE_PATH "/controller/"
#define NVMED_SOFTWARE_ROOT	"/xyz/openbmc_project/software"
#define NVMED_SOFTWARE_PREFIX	NVMED_SOFTWARE_ROOT "/nvme_"

/* ---- interfaces ---------------------------------------------------- */
#define IFACE_VALUE	     "xyz.openbmc_project.Sensor.Value"
#define IFACE_WARNING	     "xyz.openbmc_project.Sensor.Threshold.Warning"
#define IFACE_CRITICAL	     "xyz.openbmc_project.Sensor.Threshold.Critical"
#define IFACE_AVAIL	     "xyz.openbmc_project.State.Decorator.Availability"
#define IFACE_OPSTATUS	     "xyz.openbmc_project.State.Decorator.OperationalStatus"
#define IFACE_ASSOC	     "xyz.openbmc_project.Association.Definitions"
#define IFACE_ITEM	     "xyz.openbmc_project.Inventory.Item"
#define IFACE_DRIVE	     "xyz.openbmc_project.Inventory.Item.Drive"
#define IFACE_ASSET	     "xyz.openbmc_project.Inventory.Decorator.Asset"
#define IFACE_REVISION	     "xyz.openbmc_project.Inventory.Decorator.Revision"
#define IFACE_STATUS	     "xyz.openbmc_project.Nvme.Status"
#define IFACE_CONTROLLER     "xyz.openbmc_project.Inventory.Item.StorageController"
#define IFACE_STORAGE	     "xyz.openbmc_project.Inventory.Item.Storage"
#define IFACE_SW_VERSION     "xyz.openbmc_project.Software.Version"
#define IFACE_SW_ACTIVATION  "xyz.openbmc_project.Software.Activation"
#define IFACE_SW_PROGRESS    "xyz.openbmc_project.Software.ActivationProgress"
#define IFACE_SW_UPDATE	     "xyz.openbmc_project.Software.Update"
#define IFACE_SANITIZE	     "xyz.openbmc_project.Nvme.Sanitize"
#define IFACE_PROGRESS	     "xyz.openbmc_project.Common.Progress"
#define IFACE_ADMIN	     "xyz.openbmc_project.Nvme.Admin"
#define IFACE_ITEM_VOLUME    "xyz.openbmc_project.Inventory.Item.Volume"
#define IFACE_NVME_VOLUME    "xyz.openbmc_project.Nvme.Volume"
#define IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define IFACE_PROPERTIES     "org.freedesktop.DBus.Properties"

/* ---- enumeration values (prefixes end in '.') ---------------------- */
#define ENUM_UNIT_DEGREES_C "xyz.openbmc_project.Sensor.Value.Unit.DegreesC"
#define ENUM_DRIVE_PROTOCOL_NVME \
	"xyz.openbmc_project.Inventory.Item.Drive.DriveProtocol.NVMe"
#define ENUM_DRIVE_TYPE_SSD \
	"xyz.openbmc_project.Inventory.Item.Drive.DriveType.SSD"
#define ENUM_ACTIVATIONS "xyz.openbmc_project.Software.Activation.Activations."
#define ENUM_REQUESTED_ACTIVATIONS \
	"xyz.openbmc_project.Software.Activation.RequestedActivations."
#define ENUM_APPLY_TIMES \
	"xyz.openbmc_project.Software.ApplyTime.RequestedApplyTimes."
#define ENUM_PURPOSE_OTHER \
	"xyz.openbmc_project.Software.Version.VersionPurpose.Other"
#define ENUM_SANITIZE_ACTIONS \
	"xyz.openbmc_project.Nvme.Sanitize.SanitizeAction."
#define ENUM_OPERATION_STATUS \
	"xyz.openbmc_project.Common.Progress.OperationStatus."
#define ENUM_OS_STATUS "xyz.openbmc_project.State.OperatingSystem.Status."

/* ---- errors our methods answer with -------------------------------- */
#define ERR_UNAVAILABLE "xyz.openbmc_project.Common.Error.Unavailable"
#define ERR_INVALID_ARG "xyz.openbmc_project.Common.Error.InvalidArgument"
#define ERR_UNSUPPORTED "xyz.openbmc_project.Common.Error.UnsupportedRequest"
#define ERR_TIMEOUT	"xyz.openbmc_project.Common.Error.Timeout"
#define ERR_ACCESS	"org.freedesktop.DBus.Error.AccessDenied"
#define ERR_UPDATE	"xyz.openbmc_project.Software.Update.Error."

/* ---- event messages (phosphor-logging) ----------------------------- */
#define EVENT_DRIVE_FAILED     "xyz.openbmc_project.Nvme.DriveFailed"
#define EVENT_DRIVE_RESTORED   "xyz.openbmc_project.Nvme.DriveRestored"
#define EVENT_CRITICAL_WARNING "xyz.openbmc_project.Nvme.CriticalWarning"

/* ---- services we call ---------------------------------------------- */
/* mctpd (CodeConstruct mctp, docs/mctpd.md) */
#define MCTPD_SERVICE	"au.com.codeconstruct.MCTP1"
#define MCTPD_ROOT	"/au/com/codeconstruct/mctp1"
#define MCTPD_BUSOWNER	"au.com.codeconstruct.MCTP.BusOwner1"
#define MCTPD_ENDPOINT1 "au.com.codeconstruct.MCTP.Endpoint1"
#define IFACE_MCTP_EP	"xyz.openbmc_project.MCTP.Endpoint"
#define IFACE_UUID	"xyz.openbmc_project.Common.UUID"
/* dbus-sensors' mctpreactor hosts the configured_by associations on the
 * endpoint paths, ObjectManager at MCTPD_ROOT (MCTPReactorMain.cpp). */
#define REACTOR_SERVICE "xyz.openbmc_project.MCTPReactor"

/* phosphor-state-manager */
#define HOST_SERVICE	"xyz.openbmc_project.State.Host0"
#define HOST_PATH	"/xyz/openbmc_project/state/host0"
#define HOST_IFACE	"xyz.openbmc_project.State.Host"
#define HOST_PROP	"CurrentHostState"
#define POST_IFACE	"xyz.openbmc_project.State.OperatingSystem.Status"
#define POST_PROP	"OperatingSystemState"
#define CHASSIS_SERVICE "xyz.openbmc_project.State.Chassis0"
#define CHASSIS_PATH	"/xyz/openbmc_project/state/chassis0"
#define CHASSIS_IFACE	"xyz.openbmc_project.State.Chassis"
#define CHASSIS_PROP	"CurrentPowerState"
