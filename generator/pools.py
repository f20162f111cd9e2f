"""Small pools of realistic strings, filled once per run by a seeded Faker; rows index into them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from faker import Faker

from generator.reference import COUNTRIES

POOL_SIZE = 120
# Only the providers the pools draw from: loading all ~26 per locale costs about a second of start-up.
# Providers share the instance's seeded random state, so the values are the same as with the full set
# (their order is kept, so _cities still finds the address provider first).
_PROVIDERS = [f"faker.providers.{name}" for name in ("address", "company", "internet", "lorem", "person")]


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters only, for e-mail local parts."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalpha()) or "x"


@dataclass(frozen=True)
class CountryPool:
    first_names: np.ndarray
    last_names: np.ndarray
    streets: np.ndarray
    cities: np.ndarray
    postcodes: np.ndarray


@dataclass(frozen=True)
class Pools:
    countries: tuple[CountryPool, ...]  # same order as reference.COUNTRIES
    email_domains: np.ndarray
    brands: np.ndarray
    adjectives: np.ndarray
    flat: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]]  # see flat_pool


def flat_pool(pools: Pools, attr: str, slug: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One array of all countries' values for `attr` (or their e-mail slugs), and each country's offset."""
    return pools.flat[(attr, slug)]


def _flatten(countries: list[CountryPool]) -> dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]]:
    flat = {}
    for attr in ("first_names", "last_names", "streets", "cities", "postcodes"):
        parts = [getattr(c, attr) for c in countries]
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        values = np.concatenate(parts)
        flat[(attr, False)] = (values, offsets)
        flat[(attr, True)] = (np.array([ascii_slug(v) for v in values], dtype=object), offsets)
    return flat


def _cities(fake: Faker, n: int) -> list[str]:
    """Some locales (it_IT) build their city list from a set, so its order follows the process's hash
    seed; drawing from the sorted list keeps the pool the same in every process."""
    for provider in fake.get_providers():
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list | tuple) and cities:
            ordered = sorted(cities)
            return [fake.random_element(ordered) for _ in range(n)]
    return [fake.city() for _ in range(n)]


def _unique(values: list[str]) -> np.ndarray:
    """Distinct values with single inner spaces and none at the ends (some locales leave a trailing
    space): only the injected noise may carry stray whitespace."""
    return np.array(sorted({" ".join(v.split()) for v in values}), dtype=object)


def _faker(locale: str) -> Faker:
    return Faker(locale, providers=_PROVIDERS)


def build_pools(seed: int) -> Pools:
    countries = []
    for index, (*_, locale, _share) in enumerate(COUNTRIES):
        fake = _faker(locale)
        fake.seed_instance(seed * 1000 + index)
        countries.append(
            CountryPool(
                first_names=_unique([fake.first_name() for _ in range(POOL_SIZE)]),
                last_names=_unique([fake.last_name() for _ in range(POOL_SIZE)]),
                streets=_unique([fake.street_address().replace("\n", " ") for _ in range(POOL_SIZE)]),
                cities=_unique(_cities(fake, POOL_SIZE // 3)),
                postcodes=_unique([fake.postcode() for _ in range(POOL_SIZE)]),
            )
        )
    fake = _faker("en_US")
    fake.seed_instance(seed)
    domains = {fake.free_email_domain() for _ in range(40)} | {fake.domain_name() for _ in range(20)}
    brands = [fake.last_name() + suffix for suffix in ("", " & Co", " Labs", "ware") for _ in range(20)]
    adjectives = [fake.word().capitalize() for _ in range(200)]
    return Pools(
        countries=tuple(countries),
        email_domains=_unique([d.lower() for d in domains]),
        brands=_unique(brands),
        adjectives=_unique(adjectives),
        flat=_flatten(countries),
    )
