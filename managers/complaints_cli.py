"""`antrean complaints contact CODE`: a complaint's contact in full, for the venue operator.

Everywhere a person sees a contact it is masked; the full one exists only sealed in the
log (`server.privacy`). Whoever runs the server holds its secret, so they, and only they,
can read it back, on the server's own terminal, when the reporter must be called back: the
read is written to the audit log with the code and the operating-system user.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from server.cli_venue import open_venue
from server.domain import events as ev
from server.domain.codes import canonical_code
from server.privacy import COMPLAINT_CONTACT, unseal
from server.settings import Settings
from server.web.auth import load_secret

audit = logging.getLogger("antrean.audit")
PAGE = 5000


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    complaints = commands.add_parser("complaints", help="complaints: read a reporter's contact")
    sub = complaints.add_subparsers(required=True, metavar="ACTION")
    contact = sub.add_parser("contact", help="print a complaint's contact in full (audited)")
    contact.add_argument("code", help="the tracking code, ABCD-EFGH-JKMN")
    Settings.add_arguments(contact)
    contact.set_defaults(handler=_contact)


def _contact(args: argparse.Namespace) -> int:
    opened = open_venue(args)
    if isinstance(opened, int):
        return opened
    settings, venue, url = opened
    code = canonical_code(args.code)
    filed = asyncio.run(_filed(url, venue.id, code))
    if filed is None:
        print(f"antrean: no complaint {code}", file=sys.stderr)
        return 1
    if not filed.contact_sealed:
        why = "anonymous" if filed.anonymous else "no contact given"
        print(f"antrean: complaint {code} has no contact ({why})", file=sys.stderr)
        return 1
    contact = unseal(
        load_secret(settings.data_dir, settings.secret), COMPLAINT_CONTACT, filed.contact_sealed
    )
    if contact is None:
        print("antrean: the contact cannot be unsealed with this server's secret", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    audit.info("complaint_contact_read code=%s by=%s", code, getpass.getuser())
    print(contact)
    return 0


async def _filed(url: str, venue_id: str, code: str) -> ev.ComplaintFiled | None:
    from server.store import open_log

    log = open_log(url)
    needle = code.encode()
    try:
        after = 0
        while records := await log.read(venue_id, after, PAGE):
            for record in records:
                after = record.seq
                if needle not in record.data:
                    continue  # the code appears in every event of its complaint, and only there
                event = ev.decode_event(record.data)
                if isinstance(event, ev.ComplaintFiled) and event.complaint == code:
                    return event
            if len(records) < PAGE:
                break
    finally:
        await log.close()
    return None
