"""Reference data that the generator uses and writes as dbt seeds (seeds/*.csv)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

# code, alpha3, name, region, currency, Faker locale, share of customers
COUNTRIES: tuple[tuple[str, str, str, str, str, str, float], ...] = (
    ("DE", "DEU", "Germany", "Western Europe", "EUR", "de_DE", 0.24),
    ("FR", "FRA", "France", "Western Europe", "EUR", "fr_FR", 0.16),
    ("NL", "NLD", "Netherlands", "Western Europe", "EUR", "nl_NL", 0.09),
    ("BE", "BEL", "Belgium", "Western Europe", "EUR", "nl_BE", 0.05),
    ("AT", "AUT", "Austria", "Western Europe", "EUR", "de_AT", 0.05),
    ("ES", "ESP", "Spain", "Southern Europe", "EUR", "es_ES", 0.10),
    ("IT", "ITA", "Italy", "Southern Europe", "EUR", "it_IT", 0.10),
    ("PT", "PRT", "Portugal", "Southern Europe", "EUR", "pt_PT", 0.03),
    ("PL", "POL", "Poland", "Central Europe", "PLN", "pl_PL", 0.06),
    ("CZ", "CZE", "Czechia", "Central Europe", "CZK", "cs_CZ", 0.03),
    ("SE", "SWE", "Sweden", "Northern Europe", "SEK", "sv_SE", 0.03),
    ("DK", "DNK", "Denmark", "Northern Europe", "DKK", "da_DK", 0.02),
    ("FI", "FIN", "Finland", "Northern Europe", "EUR", "fi_FI", 0.02),
    ("IE", "IRL", "Ireland", "Northern Europe", "EUR", "en_IE", 0.02),
)

CURRENCIES: tuple[tuple[str, str, int], ...] = (
    ("CZK", "Czech koruna", 2),
    ("DKK", "Danish krone", 2),
    ("EUR", "Euro", 2),
    ("PLN", "Polish zloty", 2),
    ("SEK", "Swedish krona", 2),
)

# code, name, department, mean price in EUR, popularity weight before / after the drift day
CATEGORIES: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("electronics", "Consumer Electronics", "Electronics", 180.0, 0.10, 0.16),
    ("computers", "Computers & Accessories", "Electronics", 260.0, 0.07, 0.09),
    ("phones", "Phones & Wearables", "Electronics", 320.0, 0.06, 0.09),
    ("home_kitchen", "Home & Kitchen", "Home", 45.0, 0.11, 0.09),
    ("furniture", "Furniture", "Home", 210.0, 0.05, 0.04),
    ("garden", "Garden & Outdoor", "Home", 60.0, 0.06, 0.05),
    ("fashion_women", "Women's Fashion", "Fashion", 40.0, 0.12, 0.10),
    ("fashion_men", "Men's Fashion", "Fashion", 45.0, 0.08, 0.07),
    ("shoes", "Shoes", "Fashion", 70.0, 0.07, 0.06),
    ("beauty", "Beauty & Personal Care", "Health & Beauty", 22.0, 0.08, 0.07),
    ("sports", "Sports & Fitness", "Leisure", 55.0, 0.06, 0.06),
    ("toys", "Toys & Games", "Leisure", 30.0, 0.06, 0.05),
    ("books", "Books", "Leisure", 16.0, 0.05, 0.04),
    ("pet_supplies", "Pet Supplies", "Home", 25.0, 0.03, 0.03),
)

# code, name, is_paid, share of sessions
CHANNELS: tuple[tuple[str, str, bool, float], ...] = (
    ("direct", "Direct", False, 0.22),
    ("organic_search", "Organic Search", False, 0.25),
    ("paid_search", "Paid Search", True, 0.18),
    ("social_organic", "Organic Social", False, 0.07),
    ("social_paid", "Paid Social", True, 0.08),
    ("email", "E-mail", False, 0.10),
    ("affiliate", "Affiliate", True, 0.06),
    ("display", "Display Advertising", True, 0.04),
)

# month, day, name; observed in every country (country-specific days below)
_COMMON_HOLIDAYS = ((1, 1, "New Year's Day"), (12, 25, "Christmas Day"))
_NATIONAL_HOLIDAYS: dict[str, tuple[tuple[int, int, str], ...]] = {
    "DE": ((10, 3, "Day of German Unity"), (12, 26, "St. Stephen's Day"), (5, 1, "Labour Day")),
    "FR": ((7, 14, "Bastille Day"), (5, 1, "Labour Day"), (11, 11, "Armistice Day")),
    "NL": ((4, 27, "King's Day"), (12, 26, "Second Christmas Day")),
    "BE": ((7, 21, "National Day"), (5, 1, "Labour Day")),
    "AT": ((10, 26, "National Day"), (12, 8, "Immaculate Conception")),
    "ES": ((10, 12, "National Day"), (12, 6, "Constitution Day")),
    "IT": ((6, 2, "Republic Day"), (8, 15, "Assumption Day")),
    "PT": ((4, 25, "Freedom Day"), (6, 10, "Portugal Day")),
    "PL": ((5, 3, "Constitution Day"), (11, 11, "Independence Day")),
    "CZ": ((10, 28, "Independence Day"), (7, 6, "Jan Hus Day")),
    "SE": ((6, 6, "National Day"), (12, 26, "Boxing Day")),
    "DK": ((6, 5, "Constitution Day"), (12, 26, "Second Christmas Day")),
    "FI": ((12, 6, "Independence Day"), (12, 26, "St. Stephen's Day")),
    "IE": ((3, 17, "St. Patrick's Day"), (12, 26, "St. Stephen's Day")),
}
_HOLIDAY_YEARS_MIN, _HOLIDAY_YEARS_MAX = 2024, 2027


def easter_sunday(year: int) -> dt.date:
    """Anonymous Gregorian algorithm."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def black_friday(year: int) -> dt.date:
    """The day after the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + dt.timedelta(days=1)


def holidays(first_year: int, last_year: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for year in range(min(first_year, _HOLIDAY_YEARS_MIN), max(last_year, _HOLIDAY_YEARS_MAX) + 1):
        easter_monday = easter_sunday(year) + dt.timedelta(days=1)
        for code, *_ in COUNTRIES:
            days = [*_COMMON_HOLIDAYS, *_NATIONAL_HOLIDAYS[code]]
            rows += [(dt.date(year, m, d).isoformat(), code, name) for m, d, name in days]
            rows.append((easter_monday.isoformat(), code, "Easter Monday"))
    return sorted(set(rows))


def _write_csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_seeds(seeds_dir: Path, first_year: int, last_year: int) -> None:
    seeds_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(
        seeds_dir / "countries.csv",
        ["country_code", "country_code_alpha3", "country_name", "region", "currency_code"],
        [c[:5] for c in COUNTRIES],
    )
    _write_csv(
        seeds_dir / "product_categories.csv",
        ["category_code", "category_name", "department"],
        [c[:3] for c in CATEGORIES],
    )
    _write_csv(
        seeds_dir / "channels.csv",
        ["channel_code", "channel_name", "is_paid"],
        [(code, name, str(paid).lower()) for code, name, paid, _ in CHANNELS],
    )
    _write_csv(
        seeds_dir / "currencies.csv", ["currency_code", "currency_name", "minor_units"], list(CURRENCIES)
    )
    _write_csv(
        seeds_dir / "holidays.csv",
        ["holiday_date", "country_code", "holiday_name"],
        list(holidays(first_year, last_year)),
    )
