// SPDX-License-Identifier: Apache-2.0
/*
 * Cable presence SDRs in phosphor-host-ipmid's dynamic sensors (dbus-sdr),
 * served by libcable-ipmi (cable-ipmi.h). Goes to include/dbus-sdr/ of
 * phosphor-host-ipmid; see 0001-dbus-sdr-cable-presence-SDRs.patch beside
 * it for the three places that call it.
 */
#pragma once

#include "dbus-sdr/sdrutils.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ipmi::cable
{

/* Add one sensor tree key per cable SDR, after every /sensors and /vr key
 * (the tree sorts with strverscmp), so that cables never renumber the
 * threshold sensors. Asks the mapper for the cables anew. */
void addToSensorTree(SensorSubTree& tree);

/* Run fn whenever the set of cables changes (an Item.Cable added or
 * removed, or its service gone): the tree and the SDR repository are
 * stale. Safe to call from static initialisers. */
void onChange(std::function<void()> fn);

/* Is this sensor tree key a cable SDR's? */
bool isCable(const std::string& path);

/* The type 03h record of the cable SDR at path. */
bool record(const std::string& path, uint16_t recordId, uint16_t sensorNum,
            std::vector<uint8_t>& out);

/* Get Sensor Event Status (04h 2Bh) and Get Sensor Reading (04h 2Dh)
 * response data, from every member's Present now. */
bool eventStatus(const std::string& path, std::array<uint8_t, 5>& out);
bool reading(const std::string& path, std::array<uint8_t, 4>& out);

} // namespace ipmi::cable
