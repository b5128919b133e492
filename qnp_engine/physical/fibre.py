"""Fibre: transmissivity from length and attenuation, classical/photonic delay from length (R12)."""

from __future__ import annotations


def transmissivity(length_km: float, attenuation_db_per_km: float) -> float:
    """eta = 10^(-att * L / 10)."""
    return 10.0 ** (-attenuation_db_per_km * length_km / 10.0)


def delay_s(length_km: float, light_speed_km_s: float) -> float:
    return length_km / light_speed_km_s
