#!/usr/bin/env python3
"""Synthetic catchment datacube for the drought use case (hython-like).

Writes one NetCDF-4 file with dimensions (time, catchment):
  forcing   precip, temp, pet                     (time, catchment)
  targets   discharge, soil_moisture, actevap     (time, catchment)
  static    area, elevation, slope, soil_capacity, theta_s, theta_r, ksat,
            forest_fraction, p_mean, pet_mean, aridity   (catchment)
The targets come from a conceptual HBV-type rainfall-runoff model whose
parameters depend on the static attributes. The equations are in
use-cases/drought/README.md, section "Data". Same seed and sizes, same file.

Needs only Debian's python3-numpy and python3-netcdf4.
"""

import argparse
import os
import sys

import numpy as np

FILL = -9999.0
DAY_S = 86400.0


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Write a synthetic (time x catchment) NetCDF datacube: weather forcing, "
        "catchment attributes and HBV-model targets (discharge, soil moisture, evaporation).")
    p.add_argument("--out", required=True, help="output NetCDF file (overwritten)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--catchments", type=int, default=300, help="number of catchments (default 300)")
    p.add_argument("--days", type=int, default=5 * 365, help="daily steps written (default 1825)")
    p.add_argument("--start", default="2000-01-01", help="date of the first step (default 2000-01-01)")
    p.add_argument("--spinup-days", type=int, default=730,
                   help="days simulated before --start and not written, so that stores start "
                   "in equilibrium (default 730)")
    p.add_argument("--missing", type=float, default=0.0,
                   help="fraction of discharge values missing in gaps (gauge outages), written "
                   "as _FillValue (default 0)")
    p.add_argument("--small", action="store_true",
                   help="test size: 8 catchments x 400 days, 365 spin-up days, 2%% missing discharge")
    a = p.parse_args(argv)
    if a.small:
        a.catchments, a.days, a.spinup_days, a.missing = 8, 400, 365, 0.02
    if a.catchments < 1 or a.days < 1 or a.spinup_days < 0 or not 0 <= a.missing < 1:
        p.error("--catchments and --days must be >= 1, --spinup-days >= 0, 0 <= --missing < 1")
    return a


def normal_cdf(x):
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf.
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def correlated_ar1(rng, n_t, n_c, phi, rho):
    """AR(1) in time (lag-1 correlation phi), unit variance, correlation rho between catchments."""
    shock = np.sqrt(rho) * rng.standard_normal((n_t, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n_t, n_c))
    out = np.empty((n_t, n_c))
    out[0] = shock[0]
    s = np.sqrt(1 - phi * phi)
    for t in range(1, n_t):
        out[t] = phi * out[t - 1] + s * shock[t]
    return out


def catchments(rng, n):
    """Static attributes (dict of name -> array[n]); see README 'Data'."""
    elev = 300.0 + 2700.0 * rng.beta(1.5, 2.5, n)                   # m
    e = (elev - 300.0) / 2700.0                                      # 0 valley .. 1 high alpine
    area = np.clip(np.exp(rng.normal(np.log(150.0), 1.0, n)), 5.0, 5000.0)  # km2
    slope = np.clip(0.02 + 0.45 * e + rng.normal(0, 0.05, n), 0.005, 0.8)   # m/m
    theta_s = rng.uniform(0.38, 0.55, n)                             # m3/m3 (porosity)
    theta_r = rng.uniform(0.03, 0.15, n)                             # m3/m3 (residual)
    root_depth = np.clip(rng.uniform(400.0, 1500.0, n) * (1.0 - 0.5 * e), 150.0, None)  # mm
    soil_capacity = (theta_s - theta_r) * root_depth                 # mm of storable water
    ksat = np.exp(rng.normal(np.log(150.0), 0.8, n))                 # mm/day
    forest = np.clip(rng.beta(2.0, 2.0, n) * (1.0 - 0.7 * e), 0.0, 1.0)
    lat = rng.uniform(45.5, 47.5, n)
    lon = rng.uniform(9.5, 13.5, n)
    return dict(lat=lat, lon=lon, area=area, elevation=elev, slope=slope, soil_capacity=soil_capacity,
                theta_s=theta_s, theta_r=theta_r, ksat=ksat, forest_fraction=forest)


def extraterrestrial_radiation(lat_deg, doy):
    """FAO-56 eq. 21, MJ m-2 day-1, shape (len(doy), len(lat))."""
    phi = np.deg2rad(lat_deg)[None, :]
    j = doy[:, None].astype(float)
    dr = 1 + 0.033 * np.cos(2 * np.pi * j / 365)
    delta = 0.409 * np.sin(2 * np.pi * j / 365 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1, 1))
    return 24 * 60 / np.pi * 0.0820 * dr * (ws * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(ws))


def weather(rng, st, doy):
    """Daily precip (mm/day), temp (degC), pet (mm/day), each (time, catchment)."""
    n_t, n_c = len(doy), len(st["elevation"])
    season = 2 * np.pi * doy[:, None] / 365.25
    # Temperature: lapse rate 6.5 K/km, cold end of January, AR(1) anomalies shared by the region.
    t_mean = 13.0 - 6.5 * st["elevation"] / 1000.0 - 0.6 * (st["lat"] - 46.5) + rng.normal(0, 0.5, n_c)
    t_amp = 9.0 + rng.normal(0, 0.8, n_c)
    temp = t_mean - t_amp * np.cos(season - 2 * np.pi * 20 / 365.25) + 3.0 * correlated_ar1(rng, n_t, n_c, 0.8, 0.8)
    # Precipitation: a day is wet where a persistent, spatially correlated latent Gaussian is below
    # the seasonal wet-day probability (wet and dry spells, regional storms); wet-day amounts are Gamma.
    p_wet = np.clip(0.33 + 0.08 * np.cos(season - 2 * np.pi * 170 / 365.25), 0.05, 0.95)
    latent = correlated_ar1(rng, n_t, n_c, 0.55, 0.7)
    wet = normal_cdf(latent) < p_wet
    p_annual = np.clip(2.2 + 1.0 * st["elevation"] / 1000.0 + rng.normal(0, 0.3, n_c), 0.8, None)  # mm/day
    mean_wet = p_annual / 0.33 * (1 + 0.25 * np.cos(season - 2 * np.pi * 200 / 365.25))
    k = 0.75
    precip = np.where(wet, rng.gamma(k, 1.0, (n_t, n_c)) * mean_wet / k, 0.0)
    # Potential evapotranspiration: Oudin et al. (2005), PE = Re / (lambda rho) * (T + 5) / 100.
    re = extraterrestrial_radiation(st["lat"], doy)
    pet = np.where(temp + 5 > 0, re / 2.45 * (temp + 5) / 100.0, 0.0)
    return precip, temp, pet


def hbv_parameters(rng, st):
    """Catchment-specific HBV parameters from the static attributes (plus unexplained scatter)."""
    n = len(st["area"])
    noise = lambda s: np.exp(rng.normal(0, s, n))  # noqa: E731
    s = np.clip(st["slope"] / 0.5, 0, 1)
    lk = np.clip((np.log(st["ksat"]) - np.log(20.0)) / (np.log(1500.0) - np.log(20.0)), 0, 1)
    return dict(
        TT=rng.uniform(-1.0, 1.0, n),                                      # degC, snow/rain threshold
        CFMAX=np.clip((4.5 - 2.5 * st["forest_fraction"]) * noise(0.1), 1.0, 6.0),  # mm/degC/day
        SFCF=rng.uniform(0.85, 1.15, n),                                   # snowfall correction
        FC=st["soil_capacity"] * noise(0.05),                              # mm
        LP=np.clip(0.5 + 0.4 * st["forest_fraction"], 0.3, 1.0),           # fraction of FC
        BETA=np.clip(1.0 + 30.0 * (st["theta_r"] - 0.03) * noise(0.1), 1.0, 6.0),
        PERC=0.2 + 2.8 * lk,                                               # mm/day
        UZL=10.0 + 50.0 * (1 - s),                                         # mm
        K0=0.10 + 0.30 * s,                                                # 1/day
        K1=0.03 + 0.12 * s,                                                # 1/day
        K2=np.clip((0.004 + 0.06 * lk) * noise(0.1), 0.001, 0.15),         # 1/day
        MAXBAS=np.clip(1.0 + 0.8 * np.log1p(st["area"] / 20.0), 1.0, 7.0),  # days
    )


def hbv(par, precip, temp, pet):
    """Runs the model day by day for all catchments; returns runoff (mm/day), SM/FC, AET (mm/day)."""
    n_t, n_c = precip.shape
    snow = np.zeros(n_c)
    sm = 0.5 * par["FC"]
    suz = np.zeros(n_c)
    slz = np.full(n_c, 20.0)
    q_gen, rel_sm, aet_out = np.empty((n_t, n_c)), np.empty((n_t, n_c)), np.empty((n_t, n_c))
    for t in range(n_t):
        p, tc, e = precip[t], temp[t], pet[t]
        cold = tc < par["TT"]
        snow += np.where(cold, p * par["SFCF"], 0.0)
        melt = np.minimum(snow, par["CFMAX"] * np.maximum(tc - par["TT"], 0.0))
        snow -= melt
        water = np.where(cold, 0.0, p) + melt
        recharge = water * (sm / par["FC"]) ** par["BETA"]
        sm += water - recharge
        excess = np.maximum(sm - par["FC"], 0.0)
        sm -= excess
        recharge += excess
        aet = np.minimum(e * np.minimum(sm / (par["LP"] * par["FC"]), 1.0), sm)
        sm -= aet
        suz += recharge
        perc = np.minimum(par["PERC"], suz)
        suz -= perc
        slz += perc
        q0 = par["K0"] * np.maximum(suz - par["UZL"], 0.0)
        q1 = par["K1"] * suz
        suz -= q0 + q1
        q2 = par["K2"] * slz
        slz -= q2
        q_gen[t], rel_sm[t], aet_out[t] = q0 + q1 + q2, sm / par["FC"], aet
    return route(q_gen, par["MAXBAS"]), rel_sm, aet_out


def route(q, maxbas):
    """Triangular unit hydrograph of base MAXBAS days (HBV's transform function)."""
    n_lag = int(np.ceil(maxbas.max()))
    edges = np.arange(n_lag + 1)[:, None].astype(float)
    # Cumulative area of a triangle of base b and height 2/b, evaluated at the day edges.
    x = np.clip(edges / maxbas[None, :], 0, 1)
    cum = np.where(x <= 0.5, 2 * x * x, 1 - 2 * (1 - x) ** 2)
    w = np.diff(cum, axis=0)
    out = np.zeros_like(q)
    for i in range(n_lag):
        out[i:] += w[i] * q[: len(q) - i]
    return out


def gaps(rng, n_t, n_c, fraction):
    """Mask of missing values: outages of 3-60 days until `fraction` of the values is gone."""
    mask = np.zeros((n_t, n_c), bool)
    target = int(round(fraction * n_t * n_c))
    while mask.sum() < target:
        c, start, length = rng.integers(n_c), rng.integers(n_t), rng.integers(3, 61)
        mask[start : start + length, c] = True
    return mask


def write(path, a, st, dyn, time_units):
    import netCDF4

    n_t, n_c = dyn["precip"].shape
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.Conventions = "CF-1.8"
        nc.title = "Synthetic catchment datacube for the drought use case (itwin)"
        nc.source = "use-cases/drought/generate.py: stochastic weather + HBV-type conceptual model"
        nc.seed = np.int64(a.seed)
        nc.spinup_days = np.int32(a.spinup_days)
        nc.createDimension("time", n_t)
        nc.createDimension("catchment", n_c)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.calendar, t.standard_name = time_units, "standard", "time"
        t[:] = np.arange(n_t)
        c = nc.createVariable("catchment", "i4", ("catchment",))
        c.long_name = "catchment identifier"
        c[:] = np.arange(1, n_c + 1)
        chunk = (min(n_t, 365), n_c)

        def var(name, dims, units, long_name, data, fill=None, std=None):
            v = nc.createVariable(name, "f4", dims, zlib=True, complevel=4, fill_value=fill,
                                  chunksizes=chunk if len(dims) == 2 else None)
            v.units, v.long_name = units, long_name
            if std:
                v.standard_name = std
            v[:] = data
            return v

        S = ("catchment",)
        var("lat", S, "degrees_north", "latitude of the catchment centroid", st["lat"], std="latitude")
        var("lon", S, "degrees_east", "longitude of the catchment centroid", st["lon"], std="longitude")
        var("area", S, "km2", "catchment area", st["area"])
        var("elevation", S, "m", "mean catchment elevation", st["elevation"])
        var("slope", S, "1", "mean terrain slope (m/m)", st["slope"])
        var("soil_capacity", S, "mm", "plant-available water storage of the root zone", st["soil_capacity"])
        var("theta_s", S, "m3 m-3", "saturated volumetric water content", st["theta_s"])
        var("theta_r", S, "m3 m-3", "residual volumetric water content", st["theta_r"])
        var("ksat", S, "mm day-1", "vertical saturated hydraulic conductivity", st["ksat"])
        var("forest_fraction", S, "1", "fraction of the area covered by forest", st["forest_fraction"])
        var("p_mean", S, "mm day-1", "mean daily precipitation", dyn["precip"].mean(0))
        var("pet_mean", S, "mm day-1", "mean daily potential evapotranspiration", dyn["pet"].mean(0))
        var("aridity", S, "1", "aridity index pet_mean / p_mean", dyn["pet"].mean(0) / dyn["precip"].mean(0))
        D = ("time", "catchment")
        var("precip", D, "mm day-1", "precipitation", dyn["precip"], std="lwe_precipitation_rate")
        var("temp", D, "degC", "mean air temperature", dyn["temp"], std="air_temperature")
        var("pet", D, "mm day-1", "potential evapotranspiration (Oudin)", dyn["pet"])
        var("discharge", D, "m3 s-1", "river discharge at the outlet", dyn["discharge"], fill=FILL,
            std="water_volume_transport_in_river_channel")
        var("soil_moisture", D, "m3 m-3", "volumetric soil moisture of the root zone", dyn["soil_moisture"])
        var("actevap", D, "mm day-1", "actual evapotranspiration", dyn["actevap"])


def write_atomically(out, write):
    """Calls write(tmp) and renames tmp to `out`: a failed run leaves no half-written file."""
    tmp = f"{out}.tmp{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, out)
    except OSError as e:
        sys.exit(f"generate.py: cannot write {out}: {e.strerror or e}")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv):
    a = parse_args(argv)
    rng = np.random.default_rng(a.seed)
    try:
        start = np.datetime64(a.start, "D")
    except ValueError:
        sys.exit(f"generate.py: --start '{a.start}' is not a date (YYYY-MM-DD)")
    dates = start + np.arange(-a.spinup_days, a.days)
    doy = (dates - dates.astype("datetime64[Y]")).astype(int) + 1
    st = catchments(rng, a.catchments)
    precip, temp, pet = weather(rng, st, doy)
    runoff, rel_sm, aet = hbv(hbv_parameters(rng, st), precip, temp, pet)
    keep = slice(a.spinup_days, None)
    discharge = runoff[keep] * st["area"] * 1000.0 / DAY_S                # mm/day * km2 -> m3/s
    discharge *= np.exp(rng.normal(0, 0.05, discharge.shape))               # rating-curve error
    discharge[gaps(rng, a.days, a.catchments, a.missing)] = FILL
    dyn = dict(precip=precip[keep], temp=temp[keep], pet=pet[keep], discharge=discharge,
               soil_moisture=st["theta_r"] + (st["theta_s"] - st["theta_r"]) * rel_sm[keep],
               actevap=aet[keep])
    write_atomically(a.out, lambda tmp: write(tmp, a, st, dyn, f"days since {a.start} 00:00:00"))
    print(f"wrote {a.out}: {a.days} days x {a.catchments} catchments (seed {a.seed})")


if __name__ == "__main__":
    main(sys.argv[1:])
