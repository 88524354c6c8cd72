#pragma once
// The one check for NetCDF-C return codes (private to src/data).

#include <string>

namespace itwin::data::detail {

/// nc_strerror without its "NetCDF: " prefix.
std::string nc_reason(int status);

/// Throws "WHERE: nc_call failed: reason" unless status is NC_NOERR.
void nc_check(int status, const char* expression, const std::string& where);

/// Throws when a classic-format file (CDF-1, -2, -5) is shorter than its
/// header says or its header is cut or corrupt; other files pass.
void check_classic_length(const std::string& path);

}  // namespace itwin::data::detail

/// Checks a NetCDF-C call; the error names the call and `where` (file, variable).
#define ITWIN_NC(where, call) ::itwin::data::detail::nc_check((call), #call, (where))
