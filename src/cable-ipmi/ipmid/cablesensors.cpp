// SPDX-License-Identifier: Apache-2.0
/*
 * Cable presence SDRs in dbus-sdr: the glue between phosphor-host-ipmid's
 * sensor tree and libcable-ipmi, which finds the cables (mapper), groups
 * them (the OpenBMC design "gpio-based-cable-presence"), builds the
 * records and reads the members' Present.
 *
 * A cable SDR is a sensor tree key "/xyz/openbmc_project/~cable/<n>",
 * <n> the library's group number, with no service: the key only holds
 * the SDR's place (and so its record ID and sensor number). '~' sorts
 * after every letter, so these keys come after /sensors and /vr.
 */
#include "dbus-sdr/cablesensors.hpp"

#include <cable-ipmi.h>

#include <ipmid/api.hpp>
#include <phosphor-logging/lg2.hpp>

#include <charconv>
#include <string_view>

namespace ipmi::cable
{

namespace
{

constexpr std::string_view keyPrefix = "/xyz/openbmc_project/~cable/";
constexpr uint8_t bmcSlaveAddr = 0x20;

std::vector<std::function<void()>>& listeners()
{
    static std::vector<std::function<void()>> fns;
    return fns;
}

void changed(struct cable_ipmi*, void*)
{
    for (const auto& fn : listeners())
    {
        fn();
    }
}

/* The library on ipmid's connection (the sd_bus of getSdBus(), which
 * providers are loaded after), its change callback installed. */
struct cable_ipmi* context()
{
    static struct cable_ipmi* ctx = [] {
        struct cable_ipmi* c = nullptr;
        int r = cable_ipmi_new(ipmid_get_sd_bus_connection(), &c);
        if (r >= 0)
        {
            r = cable_ipmi_set_changed_callback(c, changed, nullptr);
        }
        if (r < 0)
        {
            lg2::error("Cable SDRs unavailable: {ERRNO}", "ERRNO", -r);
        }
        return c;
    }();
    return ctx;
}

/* The group number of a cable key, or false. */
bool groupOf(const std::string& path, size_t& group)
{
    if (!path.starts_with(keyPrefix))
    {
        return false;
    }
    const char* first = path.data() + keyPrefix.size();
    const char* last = path.data() + path.size();
    auto [end, ec] = std::from_chars(first, last, group);
    return ec == std::errc() && end == last && first != last;
}

} // namespace

void onChange(std::function<void()> fn)
{
    listeners().push_back(std::move(fn));
    context();
}

void addToSensorTree(SensorSubTree& tree)
{
    struct cable_ipmi* c = context();
    if (c == nullptr)
    {
        return;
    }
    int r = cable_ipmi_refresh(c);
    if (r < 0)
    {
        lg2::error("Cable SDRs: mapper GetSubTree failed: {ERRNO}", "ERRNO",
                   -r);
    }
    for (size_t i = 0; i < cable_ipmi_count(c); i++)
    {
        tree.emplace(std::string(keyPrefix) + std::to_string(i),
                     boost::container::flat_map<std::string,
                                                std::vector<std::string>>{
                         {"", {"xyz.openbmc_project.Inventory.Item.Cable"}}});
    }
}

bool isCable(const std::string& path)
{
    size_t group = 0;
    return groupOf(path, group);
}

bool record(const std::string& path, uint16_t recordId, uint16_t sensorNum,
            std::vector<uint8_t>& out)
{
    size_t group = 0;
    uint8_t buf[CABLE_IPMI_RECORD_MAX];
    const cable_ipmi_key key = {
        .record_id = recordId,
        .owner_id = bmcSlaveAddr,
        .owner_lun = static_cast<uint8_t>(sensorNum >> 8),
        .sensor_number = static_cast<uint8_t>(sensorNum),
    };

    if (!groupOf(path, group))
    {
        return false;
    }
    int n = cable_ipmi_record(context(), group, &key, buf, sizeof(buf));
    if (n < 0)
    {
        return false;
    }
    out.assign(buf, buf + n);
    return true;
}

bool eventStatus(const std::string& path, std::array<uint8_t, 5>& out)
{
    size_t group = 0;
    return groupOf(path, group) &&
           cable_ipmi_event_status(context(), group, out.data(),
                                   out.size()) == static_cast<int>(out.size());
}

bool reading(const std::string& path, std::array<uint8_t, 4>& out)
{
    size_t group = 0;
    return groupOf(path, group) &&
           cable_ipmi_reading(context(), group, out.data(), out.size()) ==
               static_cast<int>(out.size());
}

} // namespace ipmi::cable
