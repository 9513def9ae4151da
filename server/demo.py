"""The demo venue's people and screens, so `make run` can be tried at once.

Only for the shipped demo venue: an admin, a venue manager, one officer per counter, all
with the printed demo password, and one paired screen per zone with a fixed demo token.
A real venue creates its own with `antrean users add` and `antrean devices add`.
"""

from __future__ import annotations

from server.accounts import AccountBook, hash_password
from server.domain.venue import Venue

PASSWORD = "antrean-demo"


def officer_name(counter_id: str) -> str:
    return f"loket{counter_id.lower()}"


def display_token(zone: str) -> str:
    return f"demo-{zone}"


KIOSK_TOKEN = "demo-kiosk"
SURVEY_TOKEN = "demo-survey"
# The guard at the entrance confirms priority tickets (lansia, disabilitas, ibu hamil, anak)
# at the kiosk with this PIN; the guard serves at no counter.
GUARD = "satpam"
GUARD_PIN = "246810"


async def seed(book: AccountBook, venue: Venue) -> bool:
    """Create the demo accounts once; True when they were created now."""
    accounts = await book.refresh()
    if accounts.users:
        # A demo log from before the survey tablet existed gets one too (once: a revoked
        # one stays in the log and stays revoked).
        if not any(d.kind == "survey" for d in accounts.devices.values()):
            await _survey_tablet(book, venue)
        return False
    # One argon2 hash for the one demo password: thirty would cost seconds at every start.
    hashed = hash_password(PASSWORD)
    await book.add_user("admin", "Admin Demo", "admin", PASSWORD, password_hash=hashed)
    await book.add_user("manajer", "Manajer MPP", "manager", PASSWORD, password_hash=hashed)
    for tenant in venue.tenants.values():
        # A supervisor per tenant sees only that tenant's dashboard and reports.
        await book.add_user(
            f"spv-{tenant.id}",
            f"Supervisor {tenant.short_name or tenant.name}",
            "supervisor",
            PASSWORD,
            tenant=tenant.id,
            password_hash=hashed,
        )
    for counter in venue.counters.values():
        await book.add_user(
            officer_name(counter.id),
            f"Petugas {counter.label}",
            "officer",
            PASSWORD,
            tenant=counter.tenant,
            counters=(counter.id,),
            password_hash=hashed,
        )
    for zone in venue.zones.values():
        # Named after the zone's configured speaker, so the demo screen is the one that speaks.
        name = zone.speaker or f"Layar {zone.name}"
        await book.add_device("display", zone.id, name, display_token(zone.id))
    await book.add_user(
        GUARD, "Satpam Lobi", "officer", PASSWORD, password_hash=hashed, floor_staff=True
    )
    await book.set_pin(GUARD, GUARD_PIN)
    first_zone = next(iter(venue.zones))
    await book.add_device("kiosk", first_zone, "Anjungan Lobi", KIOSK_TOKEN)
    await _survey_tablet(book, venue)
    return True


async def _survey_tablet(book: AccountBook, venue: Venue) -> None:
    await book.add_device("survey", next(iter(venue.zones)), "Tablet Survei Lobi", SURVEY_TOKEN)
